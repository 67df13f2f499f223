// Measures writeReports on a synthetic run: `npx tsx rig/report/bench.ts [cells]`.
// Prints wall time and the process RSS afterwards (targets: ≤ 2 s and ≤ 300 MB for 5,000 cells).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReports } from './index.ts';
import { makeRedactor } from './redact.ts';
import { syntheticResults, writeSyntheticRun } from './synthetic.ts';

export function benchWriteReports(cells: number): {
  cells: number;
  ms: number;
  rssMb: number;
  bytes: Record<string, number>;
} {
  const dir = mkdtempSync(join(tmpdir(), 'rig-report-bench-'));
  try {
    const results = writeSyntheticRun(dir, cells, { longReasons: true });
    const baseline = syntheticResults(cells, { seed: 7, runId: 'baseline' });
    const { paths, ms } = writeReports(dir, results, { redactor: makeRedactor(['hunter2', 'mqtt-pass']), baseline });
    const bytes = Object.fromEntries(Object.entries(paths).map(([k, p]) => [k, statSync(p).size]));
    return { cells, ms, rssMb: Math.round(process.memoryUsage().rss / 1_048_576), bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(benchWriteReports(Number(process.argv[2] ?? 5000))));
}
