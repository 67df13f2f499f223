// Attacks on a whole run through `rig run`: a catastrophic-backtracking expectation (attack 8: the run still
// ends, the watchdog and Ctrl-C still win), a terminal's Ctrl-C (never recorded as "broker died"), and links
// planted in a cell folder (the run follows none of them and still writes a complete, valid report).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readResults } from '../../rig/report/index.ts';
import { projectPaths } from '../../rig/project.ts';
import { needSandbox } from './helpers.ts';

const RIG = path.join(projectPaths().root, 'bin', 'rig.mjs');

function scenario(id: string, variants: string[], expect: string, timeoutMs = 15000): string {
  return [
    'version: 1',
    `id: ${id}`,
    'pki:',
    '  ca: { subject: { CN: Sec CA } }',
    '  server: { subject: { CN: broker.test }, san: ["DNS:broker.test"] }',
    'broker:',
    '  listeners: [{ port: 8883, tls: {}, allowAnonymous: true }]',
    'boards: [esp32]',
    'client: { connect: broker.test, topic: rig/sec }',
    `timeoutMs: ${timeoutMs}`,
    'variants:',
    ...variants.map((v) => `  ${v}: {}`),
    'expect:',
    ...variants.map((v) => `  ${v}: { esp32: ${expect} }`),
    '',
  ].join('\n');
}

/** `rig run` in its own process group (as a terminal runs it); resolves with its exit and output. */
function rigRun(
  args: string[],
  o: { interruptAfterMs?: number } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  const child = spawn(process.execPath, [RIG, 'run', ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  // The terminal's Ctrl-C goes to the whole foreground process group.
  const timer = o.interruptAfterMs
    ? setTimeout(() => process.kill(-child.pid!, 'SIGINT'), o.interruptAfterMs)
    : undefined;
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    }),
  );
}

describe('security: a whole run against what it meets', function () {
  this.timeout(300_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-sec-run-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('attack 8: a catastrophic-backtracking expectation cannot hang the run', async function () {
    needSandbox(this);
    const file = path.join(tmp, 'sec-regex.yaml');
    // On a backtracking engine each of these takes longer than the universe on a 40-character serial line.
    writeFileSync(
      file,
      scenario(
        'sec-regex',
        ['a'],
        `{ kind: connected, serial: { see: ['^(.+)+X$'], notSee: ['^(\\w+\\s?)*$', '(.*a){25}$'] } }`,
        // The cell waits its whole time for the line it never sees: a short time keeps the test short.
        6000,
      ),
    );
    const out = path.join(tmp, 'regex-run');
    const t0 = Date.now();
    const r = await rigRun([file, '--out', out, '--watchdog', '120000', '--retries', '0']);
    assert.equal(r.code, 1, r.out);
    const cell = readResults(path.join(out, 'results.json')).cells[0]!;
    assert.equal(cell.status, 'fail');
    assert.match(cell.failures.join('\n'), /serial never showed \/\^\(\.\+\)\+X\$\//);
    assert.ok(Date.now() - t0 < 120_000, 'the run only ended by the watchdog');
  });

  it('a lookahead in a scenario is refused at load, with its position (the engine cannot run it)', () => {
    const file = path.join(tmp, 'sec-lookahead.yaml');
    writeFileSync(file, scenario('sec-lookahead', ['a'], `{ serial: ['^(?!x)a'] }`));
    const r = spawnSync(process.execPath, [RIG, 'check', file], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /sec-lookahead\.yaml:\d+:\d+: expect\.a\.esp32\.serial\[0\]: .*lookahead/);
  });

  for (const ms of [1500, 3500, 6000]) {
    it(`Ctrl-C to the whole process group after ${ms} ms: exit 130, a report, and never "broker died"`, async function () {
      needSandbox(this);
      const file = path.join(tmp, `sec-int-${ms}.yaml`);
      writeFileSync(file, scenario(`sec-int-${ms}`, ['a', 'b', 'c', 'd'], '{ kind: connected }'));
      const out = path.join(tmp, `int-${ms}`);
      const r = await rigRun([file, '--out', out, '--jobs', '2'], { interruptAfterMs: ms });
      if (r.signal === 'SIGINT') {
        // Still loading when the signal came (the run had not started): it ends as Ctrl-C ends a command, 130 to
        // the shell, with no run folder to write.
        assert.equal(existsSync(path.join(out, 'results.json')), false, r.out);
        console.log(`      (Ctrl-C at ${ms} ms came before the run started)`);
        return;
      }
      assert.equal(r.code, 130, r.out);
      const res = readResults(path.join(out, 'results.json'));
      assert.equal(res.run.interrupted, true);
      for (const c of res.cells) {
        const text = JSON.stringify(c);
        assert.doesNotMatch(text, /broker died/, text);
      }
    });
  }

  it('links planted in a cell folder are not followed, and the report is complete and valid', async function () {
    needSandbox(this);
    const file = path.join(tmp, 'sec-links.yaml');
    writeFileSync(file, scenario('sec-links', ['a'], '{ kind: connected }'));
    const out = path.join(tmp, 'links-run');
    const cellDir = path.join(out, 'cells', 'sec-links_a_esp32_twin');
    mkdirSync(cellDir, { recursive: true });
    const victim = path.join(tmp, 'victim.txt');
    const secret = path.join(tmp, 'secret.key');
    writeFileSync(victim, 'do not overwrite\n');
    writeFileSync(secret, 'SECRET-KEY-MATERIAL\n');
    symlinkSync(victim, path.join(cellDir, 'serial.log'));
    symlinkSync(secret, path.join(cellDir, 'twin-facts.txt'));
    symlinkSync(victim, path.join(cellDir, 'world.json'));
    const r = await rigRun([file, '--out', out, '--retries', '0']);
    assert.equal(readFileSync(victim, 'utf8'), 'do not overwrite\n', 'a file was written through a link');
    const res = readResults(path.join(out, 'results.json'));
    const c = res.cells[0]!;
    assert.equal(c.status, 'error', `${r.out}\n${JSON.stringify(c)}`);
    for (const f of ['results.json', 'junit.xml', 'summary.md', 'report.html']) {
      assert.ok(lstatSync(path.join(out, f)).isFile(), f);
      assert.doesNotMatch(readFileSync(path.join(out, f), 'utf8'), /SECRET-KEY-MATERIAL/, f);
    }
  });
});
