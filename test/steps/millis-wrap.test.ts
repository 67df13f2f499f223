// The millis() wrap on real parts: MKR1000 twins (g++ -m32 + BearSSL for i386, and the host's 64-bit build for
// comparison), a local Mosquitto restarted after the twin's millis() was moved to 6 s before 2^32 through its
// control channel. The signed-long reconnect of PubSubClient's v2.8 example stops retrying on the 32-bit twin only;
// PubSubClient's keepalive carries a connection across the wrap.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../rig/project.ts';
import type { Cell } from '../../rig/results/schema.ts';
import { type RunOutcome } from '../../rig/runner/run.ts';
import { checkTool, TOOLS } from '../../rig/setup/tools.ts';
import { runStepFixture } from '../helpers/matrix.ts';

const WRAP = 2 ** 32;

describe('steps: millis() wrap on 32-bit MKR1000 twins', function () {
  this.timeout(300_000);
  const paths = projectPaths();
  let tmp: string;
  let run: RunOutcome;
  const cell = (variant: string): Cell => run.results.cells.find((c) => c.variant === variant)!;
  const step = (c: Cell, name: string) => c.steps!.find((s) => s.name === name)!;
  /** What the sketch printed for its "millis" command: millis() and how long the connection has been up. */
  const printed = (c: Cell): { millis: number; up: number } => {
    const m = /RIG: millis=(\d+) up=(\d+)/.exec(step(c, 'millis').detail ?? '');
    assert.ok(m, `no millis answer: ${step(c, 'millis').detail}`);
    return { millis: Number(m[1]), up: Number(m[2]) };
  };

  before(async function () {
    if (!existsSync('/usr/sbin/mosquitto')) {
      console.log('      skipped: mosquitto is not installed (apt-get install mosquitto)');
      this.skip();
    }
    const m32 = await checkTool(TOOLS['g++-m32']);
    if (!m32.ok) {
      console.log(
        `      skipped: no 32-bit twin build here (rig setup installs ${TOOLS['g++-m32'].pkg}): ${m32.problem}`,
      );
      this.skip();
    }
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-millis-test-'));
    run = await runStepFixture('steps-millis-wrap.yaml', path.join(tmp, 'run'));
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('unsigned subtraction: retries at once; the connection made before 2^32 keeps its 1 s keepalive across it', () => {
    const c = cell('unsigned');
    assert.equal(c.status, 'pass', JSON.stringify(c.steps));
    assert.equal(step(c, 'near-wrap').detail, 'millis() moved on to 4294961296');
    assert.match(step(c, 'reconnect').detail!, /New client connected .* as rig-mkr1000-/);
    const { millis, up } = printed(c);
    assert.ok(millis < 60_000, `millis() wrapped on the 32-bit twin: it printed ${millis}`);
    // Connected before the wrap ((millis - up) mod 2^32 is in the last 10 s before it) and up since (no drop).
    const connectedAt = (millis - up + WRAP) % WRAP;
    assert.ok(connectedAt > WRAP - 10_000, `connected at ${connectedAt}, up ${up} ms`);
    assert.ok(up >= 6_000, `the connection lasted across the wrap: up ${up} ms`);
  });

  it("PubSubClient v2.8's signed long: no retry once millis() is past 2^31, exactly the step the variant names", () => {
    const c = cell('signed-long');
    assert.equal(c.status, 'pass', JSON.stringify(c.steps));
    assert.equal(step(c, 'retries').status, 'fail');
    assert.match(step(c, 'retries').detail!, /no serial line matching \/Attempting MQTT connection\/ within 2500 ms/);
    assert.ok(
      step(c, 'restart')
        .serial.concat(step(c, 'retries').serial)
        .some((l) => /RIG: connection lost/.test(l)),
      'the board noticed the restart (it is not stuck elsewhere)',
    );
  });

  it('the same sketch as a 64-bit twin: long holds millis() past 2^32, so it retries, and never wraps', () => {
    const c = cell('signed-long-lp64');
    assert.equal(c.status, 'pass', JSON.stringify(c.steps));
    assert.equal(step(c, 'retries').status, 'pass');
    assert.ok(printed(c).millis >= WRAP, `a 64-bit millis() went on past 2^32: ${printed(c).millis}`);
    // The 32-bit cells ran an i386 binary: every ilp32 build of this sketch in the cache is ELFCLASS32 (e_ident[4] = 1).
    const dir = path.join(paths.cache, 'twin', 'sketch');
    const builds = readdirSync(dir).filter((n) => n.startsWith('lifecycle-mkr1000-pubsub-mkr1000-ilp32-'));
    assert.ok(builds.length > 0, `no 32-bit build in ${dir}`);
    for (const b of builds) {
      const twin = path.join(dir, b, 'twin');
      if (existsSync(twin)) assert.equal(readFileSync(twin).subarray(0, 5).toString('latin1'), '\x7fELF\x01', twin);
    }
  });
});
