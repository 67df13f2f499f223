// `rig run --libraries DIR` reaches the twin build: a sketch including the user's own libraries builds and runs
// with the folder, is skipped naming the header without it, and a folder that is not there is a usage error.
// Real rig run: mosquitto, g++, the twin on a pty.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectPaths } from '../../rig/project.ts';
import { Results } from '../../rig/results/schema.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const root = projectPaths().root;

function rig(args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'rig.mjs'), ...args], {
    encoding: 'utf8',
    cwd: root,
    timeout: 540_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('rig run --libraries', function () {
  this.timeout(600_000);
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rig-libraries-flag-'));
    // The fixture scenario without its own librariesDir: only the flag can give the libraries.
    const text = readFileSync(path.join(FIXTURES, 'scenarios', 'user-library.yaml'), 'utf8')
      .replace(/^librariesDir: .*\n/m, '')
      .replace(
        'sketch: ../sketches/user-library-sketch',
        `sketch: ${path.join(FIXTURES, 'sketches', 'user-library-sketch')}`,
      )
      .replace('id: fixture-user-library', 'id: flag-user-library');
    assert.doesNotMatch(text, /librariesDir/);
    file = path.join(dir, 'flag-user-library.yaml');
    writeFileSync(file, text);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cell = (out: string) =>
    Results.parse(JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'))).cells[0]!;

  it('with the folder the sketch builds with the user libraries and passes; without it the cell is a skip', () => {
    const withLibs = path.join(dir, 'with');
    const r = rig([
      'run',
      file,
      '--broker',
      'local',
      '--libraries',
      path.join(FIXTURES, 'user-libraries'),
      '--out',
      withLibs,
    ]);
    assert.equal(r.code, 0, `${r.out}\n${r.err}`);
    const passed = cell(withLibs);
    assert.equal(passed.status, 'pass', JSON.stringify(passed));
    assert.equal(passed.outcome.kind, 'connected');

    const without = path.join(dir, 'without');
    const s = rig(['run', file, '--broker', 'local', '--out', without]);
    assert.equal(s.code, 0, `${s.out}\n${s.err}`);
    const skipped = cell(without);
    assert.equal(skipped.status, 'skip', JSON.stringify(skipped));
    assert.equal(skipped.outcome.kind, 'build/unsupported');
    assert.match(skipped.reason ?? '', /the twin has no SensorFormat\.h/);
  });

  it('a folder that is not there is a usage error naming it', () => {
    const r = rig([
      'run',
      file,
      '--broker',
      'local',
      '--libraries',
      path.join(dir, 'nope'),
      '--out',
      path.join(dir, 'x'),
    ]);
    assert.equal(r.code, 2, `${r.out}\n${r.err}`);
    assert.match(r.err, /--libraries .*nope: no such folder/);
  });
});
