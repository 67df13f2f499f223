// Nightly history: per cell, its state in each run, when it last changed, its flaky rate, and the first night
// of a failure with what changed that night; the page shows it across the runs (checked in Chromium too).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildHistory, HistoryFile } from '../../rig/report/history.ts';
import { writeResults } from '../../rig/report/results.ts';
import { projectPaths } from '../../rig/project.ts';
import type { Cell, CertSummary, Results } from '../../rig/results/schema.ts';
import { launchChromium } from '../helpers/browser.ts';
import { cell, results, tmpDir } from './helpers.ts';

const cert = (san: string[]): CertSummary => ({
  name: 'server',
  subject: 'CN=raspberry',
  issuer: 'CN=MQTTCA',
  san,
  notBefore: '2026-01-01T00:00:00Z',
  notAfter: '2027-01-01T00:00:00Z',
  key: 'RSA 2048',
  signature: 'sha256WithRSAEncryption',
  version: 3,
  isCA: false,
});

function night(
  day: number,
  states: Record<string, Cell['status']>,
  over: Partial<Results['run']> = {},
  cellOver: Partial<Cell> = {},
): Results {
  const cells = Object.entries(states).map(([name, status]) =>
    cell({
      scenario: name,
      variant: 'broken',
      board: 'esp32',
      status,
      scenarioHash: 'aaaa1111',
      certificates: [cert(['IP:127.0.0.1'])],
      ...cellOver,
    }),
  );
  const r = results(cells, `night-${day}`);
  r.run.startedAt = `2026-11-${day}T02:00:00.000Z`;
  r.run.commit = 'c'.repeat(40);
  Object.assign(r.run, over);
  return r;
}

describe('report/history', () => {
  const runs = [
    night(20, { a: 'pass', b: 'pass', c: 'pass', d: 'flaky' }),
    night(21, { a: 'pass', b: 'pass', c: 'fail', d: 'skip' }),
    // The night a broke: a library was upgraded and the rig moved on.
    night(
      22,
      { a: 'fail', b: 'pass', c: 'pass', d: 'pass' },
      { versions: { mbedtls: '2.28.9' }, commit: 'd'.repeat(40) },
    ),
    night(23, { a: 'fail', b: 'pass', c: 'pass' }, { versions: { mbedtls: '2.28.9' }, commit: 'd'.repeat(40) }),
  ];
  // Given out of order: history sorts by start time.
  const h = HistoryFile.parse(buildHistory([runs[2]!, runs[0]!, runs[3]!, runs[1]!]));
  const get = (s: string): HistoryFile['cells'][number] => h.cells.find((c) => c.scenario === s)!;

  it("keeps each cell's state per run, oldest first, null where it was absent", () => {
    assert.deepEqual(
      h.runs.map((r) => r.id),
      ['night-20', 'night-21', 'night-22', 'night-23'],
    );
    assert.deepEqual(get('a').states, ['pass', 'pass', 'fail', 'fail']);
    assert.deepEqual(get('d').states, ['flaky', 'skip', 'pass', null]);
    assert.equal(h.cells[0]!.scenario, 'a', 'failing now comes first');
  });

  it('says when a cell last changed state, and its flaky rate and flips', () => {
    assert.deepEqual(get('a').lastChange, { run: 'night-22', index: 2, from: 'pass', to: 'fail' });
    assert.deepEqual(get('c').lastChange, { run: 'night-22', index: 2, from: 'fail', to: 'pass' });
    assert.equal(get('c').flips, 2);
    assert.equal(get('b').lastChange, undefined);
    assert.equal(get('d').flakyRate, 0.5, 'flaky in one of the two runs it ran in');
    assert.equal(get('d').flips, 0, 'a flaky pass is still a pass');
  });

  it('names the first night of a failure and what changed that night', () => {
    assert.deepEqual(get('a').firstFailure, {
      run: 'night-22',
      index: 2,
      since: 'night-21',
      changes: [
        { what: 'library', detail: 'mbedtls 2.28.3 → 2.28.9' },
        { what: 'rig', detail: 'cccccccccccc → dddddddddddd' },
      ],
    });
    assert.equal(get('c').firstFailure, undefined, 'passing now');
  });

  it('tells a changed scenario, certificate or core apart', () => {
    const before = night(1, { x: 'pass' });
    const after = night(
      2,
      { x: 'fail' },
      {},
      { scenarioHash: 'bbbb2222', core: '3.1.2', certificates: [cert(['DNS:raspberry'])] },
    );
    const x = buildHistory([before, after]).cells[0]!;
    assert.deepEqual(
      x.firstFailure?.changes.map((c) => c.what),
      ['core', 'scenario', 'certificate'],
    );
    // A fresh PKI (new serials and dates, same shape) is no change.
    const again = night(
      3,
      { x: 'fail' },
      {},
      {
        certificates: [
          {
            ...cert(['IP:127.0.0.1']),
            serial: '99',
            notBefore: '2026-02-01T00:00:00Z',
            notAfter: '2027-02-01T00:00:00Z',
          },
        ],
      },
    );
    assert.deepEqual(buildHistory([before, again]).cells[0]!.firstFailure?.changes, []);
  });

  it('rig report history turns run folders into history.json and a page that shows the runs', async function () {
    this.timeout(120_000);
    const root = tmpDir('rig-history-');
    for (const r of runs) writeResults(join(root, 'runs', r.run.id, 'results.json'), r);
    const out = join(root, 'out');
    const cli = spawnSync(
      process.execPath,
      [join(projectPaths().root, 'bin/rig.mjs'), 'report', 'history', join(root, 'runs'), '--out', out],
      { encoding: 'utf8' },
    );
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /history of 4 runs, 4 cells \(1 failing now\)/);
    const file = HistoryFile.parse(JSON.parse(readFileSync(join(out, 'history.json'), 'utf8')));
    assert.deepEqual(file.cells.find((c) => c.scenario === 'a')?.states, ['pass', 'pass', 'fail', 'fail']);
    const b = await launchChromium();
    if (typeof b === 'string') {
      console.log(`skip (browser part): ${b}`);
      return;
    }
    try {
      const page = await b.context.newPage();
      await page.setViewportSize({ width: 1400, height: 900 });
      await page.goto(`file://${join(out, 'history.html')}`);
      const first = page.locator('#cells tbody tr').first();
      assert.match((await first.locator('td').first().textContent()) ?? '', /^a\/broken\/esp32/);
      assert.deepEqual(await first.locator('.sq').evaluateAll((els) => els.map((e) => e.className)), [
        'sq s-pass',
        'sq s-pass',
        'sq s-fail',
        'sq s-fail',
      ]);
      assert.match((await first.textContent()) ?? '', /library: mbedtls 2\.28\.3 → 2\.28\.9/);
      const box = await first.boundingBox();
      assert.ok(box && box.y < 900, 'the failing cell is on the first screen');
      // "only notable" hides b (always passing); unticking shows every cell.
      assert.equal(await page.locator('#cells tbody tr:visible').count(), 3);
      await page.uncheck('#only');
      assert.equal(await page.locator('#cells tbody tr:visible').count(), 4);
    } finally {
      await b.close();
    }
  });
});
