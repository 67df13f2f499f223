import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { writeReports } from '../../rig/report/index.ts';
import { makeRedactor } from '../../rig/report/redact.ts';
import { readResults } from '../../rig/report/results.ts';
import { COMMENT_LIMIT } from '../../rig/report/summary.ts';
import { syntheticResults, writeSyntheticRun } from '../../rig/report/synthetic.ts';
import { tmpDir } from './helpers.ts';

describe('report/writeReports', () => {
  it('writes the four files for a 5,000-cell run, summary under the comment limit', () => {
    const dir = tmpDir();
    const r = writeSyntheticRun(dir, 5000, { longReasons: true });
    const { paths, ms } = writeReports(dir, r, {
      redactor: makeRedactor([]),
      baseline: syntheticResults(5000, { seed: 3, runId: 'base' }),
    });
    for (const p of Object.values(paths)) assert.ok(existsSync(p), p);
    assert.equal(readResults(paths.results).cells.length, 5000);
    const md = readFileSync(paths.summary, 'utf8');
    assert.ok(md.length < COMMENT_LIMIT, `summary.md is ${md.length} characters`);
    assert.match(md, /Changes since baseline \(run base\)/);
    const junit = readFileSync(paths.junit, 'utf8');
    assert.equal((junit.match(/<testcase /g) ?? []).length, 5000);
    // One suite per scenario.
    assert.equal((junit.match(/<testsuite /g) ?? []).length, new Set(r.cells.map((c) => c.scenario)).size);
    assert.ok(readFileSync(paths.html, 'utf8').includes('MQTT connected'), 'html embeds the logs');
    assert.ok(Number.isFinite(ms) && ms >= 0);
  });
});
