// Sessions, takeovers and ACL changes end to end on real parts: the MKR1000 twin (g++ + BearSSL, the real
// PubSubClient behaviour), a local Mosquitto restarted with persistence or a new acl_file, the rig's takeover CONNECT.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Cell } from '../../rig/results/schema.ts';
import { type RunOutcome } from '../../rig/runner/run.ts';
import { runStepFixture } from '../helpers/matrix.ts';

describe('steps: session cells on the MKR1000 twin', function () {
  this.timeout(300_000);
  let tmp: string;
  let run: RunOutcome;
  const cell = (variant: string): Cell => run.results.cells.find((c) => c.variant === variant)!;
  const steps = (c: Cell) => Object.fromEntries(c.steps!.map((s) => [s.name, s]));

  before(async function () {
    if (!existsSync('/usr/sbin/mosquitto')) {
      console.log('      skipped: mosquitto is not installed (apt-get install mosquitto)');
      this.skip();
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-session-test-'));
    run = await runStepFixture('steps-session.yaml', path.join(tmp, 'run'));
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('a QoS 1 command published while the board sleeps reaches it after a broker restart with persistence', () => {
    const c = cell('persistent-restart');
    assert.equal(c.status, 'pass', JSON.stringify(c.steps));
    const s = steps(c);
    assert.match(s.reconnects!.detail!, /\(p2, c0, k15\)/, 'clean session 0 on the wire');
    assert.equal(s.receives!.detail, 'RIG: echo while-offline');
  });

  it("a takeover with the board's client id drops its connection, and its own CONNECT is not the reconnect", () => {
    const c = cell('takeover');
    assert.equal(c.status, 'pass', JSON.stringify(c.steps));
    const s = steps(c);
    const port = /port (\d+)/.exec(s.kick!.detail!)?.[1];
    assert.ok(port, s.kick!.detail);
    assert.match(s.reconnect!.detail!, /New client connected from \S+ as rig-mkr1000-takeover/);
    assert.doesNotMatch(s.reconnect!.detail!, new RegExp(`:${port} `), "the taker's connection is not the board's");
  });

  it("an ACL that no longer lets the board write its answer: mosquitto's Denied PUBLISH, and no answer", () => {
    const c = cell('echo-denied');
    assert.equal(c.status, 'pass', JSON.stringify(c.steps));
    const s = steps(c);
    assert.match(s.change!.detail!, /new ACL file \(2 line\(s\)/);
    assert.match(s.denied!.detail!, /Denied PUBLISH from rig-mkr1000-echo-denied \(d0, q0/);
    assert.equal(s.answer!.status, 'fail');
  });
});
