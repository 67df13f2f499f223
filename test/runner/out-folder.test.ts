// Reusing --out: an earlier run's cells and reports go, so a report never lists what this run did not do;
// a folder that is not a rig run folder keeps what it holds.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../rig/project.ts';
import { loadScenario } from '../../rig/scenario/load.ts';
import { runQuiet } from '../helpers/matrix.ts';

describe('runner: --out folder reuse', function () {
  this.timeout(120_000);
  const paths = projectPaths();
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-out-reuse-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const run = async (outDir: string, filter: RegExp) =>
    runQuiet({
      scenarios: [await loadScenario(path.join(paths.scenarios, 'seeds', 'esp8266-san-ip-bad-server-name.yaml'))],
      boards: ['control'],
      filter,
      outDir,
      paths,
      defaultTimeoutMs: 10_000,
    });

  it('a second run into the same folder leaves only its own cells', async () => {
    const out = path.join(tmp, 'run');
    await run(out, /\/control$/);
    assert.equal(readdirSync(path.join(out, 'cells')).length, 2);
    const second = await run(out, /\/fixed\/control$/);
    assert.equal(second.results.cells.length, 1);
    const left = readdirSync(path.join(out, 'cells'));
    assert.equal(left.length, 1, left.join(', '));
    assert.match(left[0]!, /fixed_control/);
  });

  it('a folder without a rig results.json keeps its own files', async () => {
    const out = path.join(tmp, 'mine');
    mkdirSync(path.join(out, 'cells'), { recursive: true });
    writeFileSync(path.join(out, 'cells', 'notes.txt'), 'mine');
    writeFileSync(path.join(out, 'results.json'), '{"not":"a rig run"}');
    await run(out, /\/fixed\/control$/);
    assert.ok(existsSync(path.join(out, 'cells', 'notes.txt')));
  });
});
