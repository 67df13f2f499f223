import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResultsFileError, readResults, writeResults } from '../../rig/report/results.ts';
import { cell, results, tmpDir } from './helpers.ts';

describe('report/results', () => {
  it('round-trips a valid file', () => {
    const f = join(tmpDir(), 'results.json');
    const r = results([cell({ scenario: 's', variant: 'v', board: 'b' })]);
    writeResults(f, r);
    assert.deepEqual(readResults(f), r);
  });

  it('names the file and the field of a bad value', () => {
    const f = join(tmpDir(), 'results.json');
    const r = results([
      cell({ scenario: 's', variant: 'v', board: 'b' }),
      cell({ scenario: 's', variant: 'w', board: 'b' }),
    ]);
    (r.cells[1] as unknown as Record<string, unknown>).status = 'passed';
    writeFileSync(f, JSON.stringify(r));
    assert.throws(
      () => readResults(f),
      (e: Error) =>
        e instanceof ResultsFileError &&
        e.message.startsWith(`${f}: invalid results file`) &&
        /cells\[1\]\.status: /.test(e.message),
    );
  });

  it('rejects another version and broken JSON with the file name', () => {
    const f = join(tmpDir(), 'results.json');
    writeFileSync(f, JSON.stringify({ ...results([]), version: 2 }));
    assert.throws(() => readResults(f), /results\.json: invalid results file\n {2}version: /);
    writeFileSync(f, '{"version": 1,');
    assert.throws(() => readResults(f), /results\.json: invalid results file\n {2}not valid JSON/);
  });
});
