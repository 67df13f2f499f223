import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { END, START, renderForumTable, updateReadme, type ReproductionInfo } from '../../rig/forum/readme-table.ts';
import type { Cell, Results } from '../../rig/results/schema.ts';
import { ROOT } from './helpers.ts';

function cell(
  scenario: string,
  variant: string,
  board: string,
  status: Cell['status'],
  kind: Cell['outcome']['kind'],
  code?: string,
  reason?: string,
): Cell {
  return {
    id: `${scenario}/${variant}/${board}`,
    scenario,
    variant,
    board,
    target: board === 'control' ? 'host' : 'twin',
    status,
    outcome: { kind, ...(code ? { code } : {}) },
    failures: [],
    durationMs: 1,
    attempts: 1,
    ...(reason ? { reason } : {}),
  };
}

const RESULTS: Results = {
  version: 1,
  run: {
    id: 'run-1',
    startedAt: '2026-11-22T09:00:00Z',
    rigVersion: '0.1.0',
    target: ['twin', 'host'],
    broker: { provider: 'local' },
    versions: {},
  },
  cells: [
    cell('seed-002-x', 'fixed', 'esp8266', 'pass', 'connected'),
    cell('seed-002-x', 'broken', 'esp8266', 'pass', 'tls/name-mismatch', 'bearssl:56'),
    cell('seed-002-x', 'broken', 'control', 'pass', 'connected'),
    cell('seed-002-x', 'fixed', 'esp32', 'skip', 'none', undefined, 'no expectation for esp32 in variant fixed'),
    cell('forum-a', 'broken', 'mkr1000', 'skip', 'none', undefined, 'hardware only: WINC1500 firmware'),
    cell('forum-a', 'fixed', 'mkr1000', 'fail', 'timeout'),
    cell('not-a-repro', 'default', 'esp32', 'pass', 'connected'),
  ],
};
const INFOS: ReproductionInfo[] = [
  {
    id: 'forum-a',
    file: 'scenarios/forum/forum-a.yaml',
    title: 'A | B',
    source: ['https://github.com/espressif/arduino-esp32/issues/657'],
    tags: ['forum', 'mkr-samd'],
  },
  {
    id: 'seed-002-x',
    file: 'scenarios/seeds/seed-002-x.yaml',
    source: ['seed 002_2b23c8249877878c.txt'],
    tags: ['seed', 'forum'],
  },
  { id: 'forum-missing', file: 'scenarios/forum/forum-missing.yaml', source: ['https://x.test/1'], tags: ['forum'] },
  { id: 'not-a-repro', file: 'scenarios/matrix/n.yaml', source: [], tags: ['matrix'] },
];

describe('README forum table', () => {
  const table = renderForumTable(RESULTS, INFOS);
  const rows = table.split('\n').filter((l) => l.startsWith('| ['));

  it('has one row per reproduction in the run, seeds first, and a column per board seen', () => {
    assert.deepEqual(
      rows.map((r) => /^\| \[([^\]]+)\]/.exec(r)![1]),
      ['seed-002-x', 'forum-a'],
    );
    assert.match(table, /^\| Reproduction \| Source \| esp8266 \| mkr1000 \| PC \(mqtt\.js\) \|$/m);
    assert.doesNotMatch(table, /not-a-repro/);
    assert.match(table, /Not in this run: `forum-missing`\./);
  });

  it('lists variant, status, kind and raw code per board; broken before fixed; hardware-only skips say so', () => {
    assert.match(
      rows[0]!,
      /\| broken ✅ tls\/name-mismatch `bearssl:56`<br>fixed ✅ connected \| {2}\| broken ✅ connected \|$/,
    );
    assert.match(rows[1]!, /broken ⏭️ hardware only<br>fixed ❌ timeout/);
    assert.match(
      rows[1]!,
      /\[espressif\/arduino-esp32#657\]\(https:\/\/github\.com\/espressif\/arduino-esp32\/issues\/657\)/,
    );
    assert.match(rows[1]!, /<sub>A \\\| B<\/sub>/, 'pipes in titles are escaped');
    assert.match(rows[0]!, /\| seed 002 \|/);
    assert.match(table, /2 reproductions, 3 cells passed, 1 failed, 0 errors, 1 skipped/);
  });

  it('a cell on a pinned core says which core', () => {
    const pinned = {
      ...cell('seed-002-x', 'broken', 'esp8266', 'pass', 'tls/name-mismatch', 'bearssl:56'),
      id: 'seed-002-x/broken/esp8266@3.0.2',
      core: '3.0.2',
    };
    const t = renderForumTable({ ...RESULTS, cells: [...RESULTS.cells, pinned] }, INFOS);
    assert.match(t, /broken \(core 3\.0\.2\) ✅ tls\/name-mismatch `bearssl:56`/);
  });

  it('replaces only the text between the markers, and appends a section when they are missing', () => {
    const readme = `# x\n\nbefore\n${START}\nold table\n${END}\nafter\n`;
    const updated = updateReadme(readme, 'NEW');
    assert.equal(updated, `# x\n\nbefore\n${START}\nNEW\n${END}\nafter\n`);
    assert.equal(updateReadme(updated, 'NEW'), updated, 'idempotent');
    assert.match(
      updateReadme('# x\n', 'T'),
      /## Forum reproductions\n\n<!-- forum-table:start -->\nT\n<!-- forum-table:end -->\n$/,
    );
    assert.throws(() => updateReadme(`a ${START} b`, 'T'), /only one of/);
  });

  it('the script rewrites a README from a results.json file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rig-readme-'));
    try {
      const seed = JSON.parse(JSON.stringify(RESULTS)) as Results;
      seed.cells = [
        cell('seed-002-esp8266-mtls-bad-server-name', 'broken', 'esp8266', 'pass', 'tls/name-mismatch', 'bearssl:56'),
      ];
      writeFileSync(path.join(dir, 'results.json'), JSON.stringify(seed));
      writeFileSync(path.join(dir, 'README.md'), `# r\n${START}\n${END}\n`);
      const r = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(ROOT, 'rig', 'forum', 'readme-table.ts'),
          path.join(dir, 'results.json'),
          '--readme',
          path.join(dir, 'README.md'),
        ],
        { encoding: 'utf8', cwd: ROOT, timeout: 60_000 },
      );
      assert.equal(r.status, 0, r.stderr);
      const text = readFileSync(path.join(dir, 'README.md'), 'utf8');
      assert.match(
        text,
        /\| \[seed-002-esp8266-mtls-bad-server-name\]\([^)]*scenarios\/seeds\/seed-002-esp8266-mtls-bad-server-name\.yaml\)/,
      );
      assert.match(text, /broken ✅ tls\/name-mismatch `bearssl:56`/);
      const bad = spawnSync(
        process.execPath,
        ['--import', 'tsx', path.join(ROOT, 'rig', 'forum', 'readme-table.ts'), path.join(dir, 'README.md')],
        { encoding: 'utf8', cwd: ROOT },
      );
      assert.notEqual(bad.status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
