// Every cell records the core it ran on, but a board with one core version keeps its plain label in every
// report ("esp32", not "esp32@2.0.17"): labels come from the cell id's board segment, not from `core`.
import assert from 'node:assert/strict';
import { columnKey, coreSuffix } from '../../rig/report/cells.ts';
import { buildHtml } from '../../rig/report/html.ts';
import { buildJunit } from '../../rig/report/junit.ts';
import { makeLogStore } from '../../rig/report/logs.ts';
import { makeRedactor } from '../../rig/report/redact.ts';
import { buildSummary } from '../../rig/report/summary.ts';
import { cell, results, tmpDir } from './helpers.ts';

describe('report columns: labelled by the cell id, whatever core it records', () => {
  const r = results([
    cell({
      id: 'seed/broken/esp32',
      scenario: 'seed',
      variant: 'broken',
      board: 'esp32',
      core: '2.0.17',
      status: 'fail',
      reason: 'expected kind tls/name-mismatch, got connected',
      outcome: { kind: 'connected' },
    }),
    cell({ id: 'seed/broken/esp32@1.0.2', scenario: 'seed', variant: 'broken', board: 'esp32', core: '1.0.2' }),
    cell({
      id: 'seed/broken/esp32',
      scenario: 'seed',
      variant: 'broken',
      board: 'esp32',
      core: '2.0.17',
      target: 'hardware',
    }),
    cell({ id: 'seed/broken/control', scenario: 'seed', variant: 'broken', board: 'control', target: 'host' }),
  ]);

  it('columnKey and coreSuffix', () => {
    assert.deepEqual(r.cells.map(columnKey), ['esp32', 'esp32@1.0.2', 'esp32', 'control']);
    assert.deepEqual(r.cells.map(coreSuffix), ['', '@1.0.2', '', '']);
  });

  it('junit test case names', () => {
    const xml = buildJunit(r, makeLogStore(tmpDir(), makeRedactor([])));
    const names = [...xml.matchAll(/<testcase [^>]*name="([^"]*)"/g)].map((m) => m[1]);
    // Every name says the board (with a pinned core) and the target.
    assert.deepEqual(names.sort(), [
      'seed/broken on control (host)',
      'seed/broken on esp32 (hardware)',
      'seed/broken on esp32 (twin)',
      'seed/broken on esp32@1.0.2 (twin)',
    ]);
  });

  it('summary table columns and failure details', () => {
    const md = buildSummary(r, {});
    assert.match(md, /\| esp32 \|/);
    assert.match(md, /\| esp32@1\.0\.2 \|/);
    assert.doesNotMatch(md, /esp32@2\.0\.17/);
    assert.match(md, /on esp32 \(twin\)/);
  });

  it('the report page labels no column with the recorded core', () => {
    const html = buildHtml(r, { logs: makeLogStore(tmpDir(), makeRedactor([])) });
    assert.match(html, /<option value="">all \(3\)<\/option>/, 'esp32, esp32@1.0.2, control');
    assert.doesNotMatch(html.slice(0, html.indexOf('<script')), /esp32@2\.0\.17/, 'server-side markup');
  });
});
