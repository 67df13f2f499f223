// Twins on virtual time (boards/twin/core/host/clock.cpp) end as they do on real time: the same outcome and the same
// serial text up to the board's verdict line, on a few seed cells (a handshake that fails, one that connects, on
// mbedTLS and BearSSL). Board timestamps and the calendar differ by design and are masked. On virtual time the rig
// judges a burst where the twin says it ended, and answers the twin's burst ends.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadBoards } from '../../rig/boards/load.ts';
import { loadScenarios } from '../../rig/scenario/files.ts';
import { projectPaths } from '../../rig/project.ts';
import { runMatrix } from '../../rig/runner/run.ts';
import { createProgress } from '../../rig/runner/progress.ts';
import type { Results } from '../../rig/results/schema.ts';

const CELLS = /^seed-00[02][^/]*\/(broken|fixed)\/(esp32|esp8266)$/;

/** Serial up to the first `RIG:` verdict line, with board timestamps and dates masked. */
export function verdictText(log: string): string[] {
  const lines = log.replace(/\r/g, '').split('\n');
  const end = lines.findIndex((l) => l.startsWith('RIG:'));
  return lines.slice(0, end < 0 ? lines.length : end + 1).map((l) =>
    l
      .replace(/\b([EWIDV]) \(\d+\)/g, '$1 (T)')
      .replace(/\[\s*\d+\]\[/g, '[T][')
      .replace(/\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4}/g, 'DATE'),
  );
}

describe('twins on virtual time', function () {
  this.timeout(300_000);
  it('end with the outcome and the serial text of a real-time run', async () => {
    const paths = projectPaths();
    const boards = await loadBoards(paths.boards);
    const files = ['seed-000-esp32-mdns-ip-cn-home.yaml', 'seed-002-esp8266-mtls-bad-server-name.yaml'];
    const scenarios = await loadScenarios(
      files.map((f) => path.join(paths.scenarios, 'seeds', f)),
      boards,
    );
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-vtime-'));
    const run = async (realTime: boolean): Promise<{ dir: string; results: Results }> => {
      const outDir = path.join(tmp, realTime ? 'real' : 'virtual');
      const r = await runMatrix({
        scenarios,
        boardProfiles: boards,
        targets: ['twin'],
        filter: CELLS,
        jobs: 2,
        retries: 0,
        broker: 'local',
        outDir,
        quarantine: [],
        sandbox: true,
        progress: createProgress(process.stderr, { quiet: true }),
        paths,
        defaultTimeoutMs: 20_000,
        args: [],
        ...(realTime ? { realTime: true } : {}),
      });
      return { dir: r.runDir, results: r.results };
    };
    try {
      const virtual = await run(false);
      const real = await run(true);
      const summary = (r: Results): Record<string, string> =>
        Object.fromEntries(
          r.cells
            .filter((c) => c.target === 'twin')
            .map((c) => [c.id, `${c.status} ${c.outcome.kind} ${c.outcome.code ?? ''}`.trim()]),
        );
      assert.equal(Object.keys(summary(real.results)).length, 4, 'four cells ran');
      assert.deepEqual(summary(virtual.results), summary(real.results));
      for (const c of real.results.cells.filter((x) => x.target === 'twin')) {
        const twin = virtual.results.cells.find((x) => x.id === c.id)!;
        assert.ok(c.serialLog && twin.serialLog, `${c.id}: both runs kept a serial log`);
        const want = verdictText(readFileSync(path.join(real.dir, c.serialLog), 'utf8'));
        const got = verdictText(readFileSync(path.join(virtual.dir, twin.serialLog), 'utf8'));
        assert.ok(
          want.some((l) => l.startsWith('RIG:')),
          `${c.id}: the real-time run printed its verdict`,
        );
        assert.deepEqual(got, want, `${c.id}: serial text up to the verdict`);
      }
      // The virtual run's twins told the rig where their bursts ended and the rig let them go on (twin-bursts.ts).
      const answered = virtual.results.cells.filter((c) => {
        const facts = path.join(virtual.dir, path.dirname(c.serialLog!), 'twin-facts.txt');
        return /^control-ok resume \d+$/m.test(readFileSync(facts, 'utf8'));
      });
      assert.ok(answered.length > 0, 'no twin was resumed past a burst end');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
