// Steps end to end on real parts: the MKR1000 twin (g++ + BearSSL), a local Mosquitto restarted and given a renewed
// certificate or a new password file, the twin's calendar moved through its control channel; the timeline in
// results.json and summary.md.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Cell } from '../../rig/results/schema.ts';
import { type RunOutcome } from '../../rig/runner/run.ts';
import { runStepFixture } from '../helpers/matrix.ts';

describe('steps: lifecycle cells on the MKR1000 twin', function () {
  this.timeout(300_000);
  let tmp: string;
  let run: RunOutcome;
  const cell = (variant: string): Cell => run.results.cells.find((c) => c.variant === variant)!;

  before(async function () {
    if (!(await import('node:fs')).existsSync('/usr/sbin/mosquitto')) {
      console.log('      skipped: mosquitto is not installed (apt-get install mosquitto)');
      this.skip();
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-steps-test-'));
    run = await runStepFixture('steps-lifecycle.yaml', path.join(tmp, 'run'));
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('a renewed server certificate from the same CA: the board reconnects, every step holds', () => {
    const c = cell('renewed');
    assert.equal(c.status, 'pass', JSON.stringify(c));
    assert.deepEqual(
      c.steps?.map((s) => [s.name, s.status]),
      [
        ['first-connect', 'pass'],
        ['renew', 'pass'],
        ['reconnect', 'pass'],
      ],
    );
    assert.match(c.steps![2]!.detail!, /New client connected .* as rig-mkr1000-/);
    assert.ok(
      c.steps![1]!.broker.some((l) => /mosquitto version \S+ running/.test(l)),
      'the restart is in the timeline',
    );
  });

  it("a new password for the board's user: refused with state 5, and neither password in any report", () => {
    const c = cell('password-changed');
    assert.equal(c.status, 'pass', JSON.stringify(c));
    const byName = Object.fromEntries(c.steps!.map((s) => [s.name, s]));
    assert.equal(byName.change!.detail, 'new password for user "device"; broker restarted');
    assert.match(byName.refused!.detail!, /RIG: connect fail state=5/);
    for (const f of ['results.json', 'junit.xml', 'summary.md', 'report.html']) {
      const text = readFileSync(path.join(run.runDir, f), 'utf8');
      assert.doesNotMatch(text, /fixture-(first|second)-pw/, `a password in ${f}`);
    }
  });

  it('the calendar past notAfter: the reconnect fails with BearSSL 54 (expired), exactly the step the variant names', () => {
    const c = cell('expired');
    assert.equal(c.status, 'pass', JSON.stringify(c));
    const byName = Object.fromEntries(c.steps!.map((s) => [s.name, s]));
    assert.match(byName['years-later']!.detail!, /calendar set to 2040-01-01/);
    assert.equal(byName.refused!.status, 'pass');
    assert.equal(byName.reconnect!.status, 'fail');
    assert.equal(byName.reconnect!.line, 26, 'its line in the scenario file');
    // Every test case's output in junit.xml carries the timeline, with the serial line the step saw.
    const junit = readFileSync(path.join(run.runDir, 'junit.xml'), 'utf8');
    assert.match(junit, /✘ reconnect \(line 26\): expectReconnect within 1000 ms/);
    assert.match(junit, /✔ refused \(line 25\).*RIG: connect fail state=-2 tls=54/);
  });
});
