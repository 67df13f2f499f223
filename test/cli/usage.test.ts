// Mistakes on the command line and in scenario files end in exit 2 with one clear line (never a stack trace or a
// green run that tested nothing), and every path typed is relative to the folder the user is in.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../rig/project.ts';

const root = projectPaths().root;
const rig = (args: string[], cwd = root): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'rig.mjs'), ...args], {
    encoding: 'utf8',
    cwd,
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
// Every profile in boards/, as the error lists them (sorted ids).
const KNOWN = `known boards: ${readdirSync(path.join(projectPaths().root, 'boards'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''))
  .sort()
  .join(', ')}`;

/** Exit 2 and exactly one line on stderr, no stack trace. */
function usageLine(r: { code: number | null; err: string }): string {
  assert.equal(r.code, 2, r.err);
  assert.doesNotMatch(r.err, /\n\s+at /, 'a message, not a stack trace');
  const lines = r.err.trim().split('\n');
  assert.equal(lines.length, 1, r.err);
  return lines[0]!;
}

const SCENARIO = `version: 1
id: cli-usage
pki:
  ca: { subject: { CN: CA } }
  server: { subject: { CN: broker } }
broker:
  listeners: [{ port: 8883, tls: {} }]
boards: [esp32]
expect:
  default: { esp32: { hardwareOnly: "needs a board" } }
`;

describe('rig CLI: usage and scenario errors', function () {
  this.timeout(120_000);
  let dir: string;
  const write = (name: string, text: string): string => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rig-cli-usage-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('rig check says what a field holds, not only what it should hold', () => {
    const f = write('abc.yaml', SCENARIO.replace('port: 8883', 'port: "abc"'));
    assert.equal(
      usageLine(rig(['check', f])),
      `${f}:7:23: broker.listeners[0].port: expected number, got string "abc"`,
    );
  });

  it('rig check: a board with no profile in boards/ is an error at its list entry, naming the known boards', () => {
    const f = write('contrl.yaml', SCENARIO.replace('boards: [esp32]', 'boards: [esp32, contrl]'));
    assert.equal(
      usageLine(rig(['check', f])),
      `${f}:8:17: boards[1]: no board profile "contrl" in boards/ (did you mean "control"?); ${KNOWN}`,
    );
  });

  it('rig run loads scenarios the same way: an unknown board fails before anything runs', () => {
    const f = write('contrl-run.yaml', SCENARIO.replace('boards: [esp32]', 'boards: [esp32, contrl]'));
    const out = path.join(dir, 'never');
    assert.match(
      usageLine(rig(['run', f, '--out', out])),
      /contrl-run\.yaml:8:17: boards\[1\]: no board profile "contrl"/,
    );
    assert.equal(existsSync(out), false);
  });

  it('a pinned core the twin does not imitate is a usage error at its key, naming the nearest releases', () => {
    const pinned = SCENARIO.replace(
      'default: { esp32: { hardwareOnly: "needs a board" } }',
      'default: { esp32: { hardwareOnly: "needs a board" }, "esp32@1.0.7": { kind: connected } }',
    );
    const f = write('pinned.yaml', pinned);
    const line = usageLine(rig(['check', f]));
    assert.match(
      line,
      new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:10:\\d+: expect\\.default\\.esp32@1\\.0\\.7: `),
    );
    assert.match(line, /the esp32 twin imitates no core 1\.0\.7; nearest: 1\.0\.5, 1\.0\.6, 2\.0\.0/);
    assert.match(usageLine(rig(['run', f, '--list'])), /esp32@1\.0\.7: the esp32 twin imitates no core 1\.0\.7/);
  });

  it('a pinned patch release the table covers plans a cell on that release (esp8266@2.7.1 -> the 2.6.x-2.7.x row)', () => {
    const f = write(
      'patch.yaml',
      SCENARIO.replace('boards: [esp32]', 'boards: [esp8266]').replace(
        'default: { esp32: { hardwareOnly: "needs a board" } }',
        'default: { "esp8266@2.7.1": { kind: connected } }',
      ),
    );
    const r = rig(['run', f, '--list', '--target', 'twin']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /cli-usage\/default\/esp8266@2\.7\.1/);
  });

  it('rig check: client.port with no listener on it is an error with its position', () => {
    const f = write('port.yaml', `${SCENARIO}client: { port: 9999 }\n`);
    assert.equal(
      usageLine(rig(['check', f])),
      `${f}:11:17: client.port: the broker has no listener on port 9999 (it listens on 8883)`,
    );
  });

  it('rig run --boards with an unknown board is a usage error listing the known ones', () => {
    const out = path.join(dir, 'nosuch-run');
    assert.equal(
      usageLine(rig(['run', 'esp8266-san-ip-bad-server-name', '--boards', 'nosuch', '--out', out])),
      `rig run: --boards: no board profile "nosuch" in boards/; ${KNOWN}`,
    );
    assert.equal(existsSync(out), false);
  });

  it('rig run --boards naming no board of the selected scenarios is a usage error, not "0 cells"', () => {
    assert.equal(
      usageLine(rig(['run', 'esp8266-san-ip-bad-server-name', '--boards', 'mkr1000', '--out', path.join(dir, 'none')])),
      'rig run: --boards mkr1000: no selected scenario runs this board (they run: control, esp8266)',
    );
  });

  it('rig run --quarantine and --baseline with a missing file', () => {
    assert.equal(
      usageLine(rig(['run', '--quarantine', '/nonexistent.yaml'])),
      "rig run: --quarantine /nonexistent.yaml: cannot read: ENOENT: no such file or directory, open '/nonexistent.yaml'",
    );
    assert.equal(
      usageLine(rig(['run', '--baseline', '/nonexistent.json'])),
      "rig run: --baseline /nonexistent.json: cannot read: ENOENT: no such file or directory, open '/nonexistent.json'",
    );
  });

  it('rig run --baseline with a file that is not a results.json', () => {
    const f = write('bad.json', '{"version": 1, "cells": "none"}\n');
    const line = usageLine(rig(['run', '--baseline', f]));
    assert.ok(line.startsWith(`rig run: --baseline ${f}: not a valid results.json: `), line);
    assert.match(line, /cells: /);
    const g = write('notjson.json', 'nope');
    assert.match(
      usageLine(rig(['run', '--baseline', g])),
      /^rig run: --baseline .*notjson\.json: not a valid results\.json: not valid JSON/,
    );
  });

  it('rig report merge with a folder that does not exist, or is not a run folder', () => {
    assert.equal(
      usageLine(rig(['report', 'merge', dir, '/nonexistent', '--out', path.join(dir, 'm')])),
      'rig report: merge: /nonexistent: no such folder',
    );
    assert.equal(
      usageLine(rig(['report', 'merge', dir, '--out', path.join(dir, 'm')])),
      `rig report: merge: ${dir}: no results.json (not a run folder)`,
    );
  });

  it('rig pki and rig broker with a variant the scenario does not have', () => {
    assert.equal(
      usageLine(rig(['pki', 'esp8266-san-ip-bad-server-name', '--variant', 'nope', '--out', path.join(dir, 'pki')])),
      'rig pki: --variant nope: scenario esp8266-san-ip-bad-server-name has no such variant (have: broken, fixed)',
    );
    assert.match(
      usageLine(rig(['broker', 'esp8266-san-ip-bad-server-name', '--variant', 'nope'])),
      /^rig broker: --variant nope: /,
    );
  });
});

describe('rig CLI: paths are relative to the current folder', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rig-cli-cwd-'));
    writeFileSync(path.join(dir, 'skip.yaml'), SCENARIO);
    writeFileSync(
      path.join(dir, 'q.yaml'),
      'version: 1\nentries:\n  - cells: "cli-usage/*/esp32"\n    issue: https://example.invalid/1\n',
    );
    writeFileSync(
      path.join(dir, 'q-bad.yaml'),
      'version: 1\nentries:\n  - cells: "cli-usage/*/esp32"\n    issue: not-a-link\n',
    );
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('run --quarantine reads the file here (a bad entry is reported at its position in that file)', () => {
    const r = rig(['run', 'skip.yaml', '--quarantine', 'q-bad.yaml', '--out', 'never'], dir);
    assert.ok(
      usageLine(r).startsWith(
        `${path.join(dir, 'q-bad.yaml')}:4:12: entries[0].issue: Invalid URL, got string "not-a-link"`,
      ),
      r.err,
    );
  });

  it('run --quarantine, --out and --baseline, then report merge and render, all from here', () => {
    const run = rig(['run', 'skip.yaml', '--quarantine', 'q.yaml', '--out', 'run-1'], dir);
    assert.equal(run.code, 0, run.err);
    assert.ok(existsSync(path.join(dir, 'run-1', 'results.json')));
    const again = rig(
      ['run', 'skip.yaml', '--quarantine', 'q.yaml', '--baseline', 'run-1/results.json', '--out', 'run-2'],
      dir,
    );
    assert.equal(again.code, 0, again.err);
    const merge = rig(['report', 'merge', 'run-1', '--out', 'merged'], dir);
    assert.equal(merge.code, 0, merge.err);
    const merged = JSON.parse(readFileSync(path.join(dir, 'merged', 'results.json'), 'utf8')) as {
      cells: { id: string; status: string }[];
    };
    assert.deepEqual(
      merged.cells.map((c) => [c.id, c.status]),
      [['cli-usage/default/esp32', 'skip']],
    );
    const render = rig(['report', 'render', 'merged', '--baseline', 'run-2/results.json'], dir);
    assert.equal(render.code, 0, render.err);
    assert.ok(existsSync(path.join(dir, 'merged', 'summary.md')));
  });

  it('pki --out writes here', () => {
    mkdirSync(path.join(dir, 'sub'));
    const r = rig(['pki', 'esp8266-san-ip-bad-server-name', '--out', 'certs'], path.join(dir, 'sub'));
    assert.equal(r.code, 0, r.err);
    assert.ok(existsSync(path.join(dir, 'sub', 'certs', 'server.crt')));
  });
});
