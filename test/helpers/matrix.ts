// runMatrix with the options most tests share: twins, a local broker, no sandbox, no retries, a quiet progress,
// 20 s cells, the board profiles of `paths` (the project's own by default). A test names only what it tests.
import path from 'node:path';
import { loadBoards } from '../../rig/boards/load.ts';
import { projectPaths } from '../../rig/project.ts';
import { createProgress } from '../../rig/runner/progress.ts';
import { runMatrix, type RunOptions, type RunOutcome } from '../../rig/runner/run.ts';
import { loadScenario } from '../../rig/scenario/load.ts';

export type QuietRunOptions = Pick<RunOptions, 'scenarios' | 'outDir'> & Partial<RunOptions>;

export async function runQuiet(o: QuietRunOptions): Promise<RunOutcome> {
  const paths = o.paths ?? projectPaths();
  return runMatrix({
    boardProfiles: await loadBoards(paths.boards),
    targets: ['twin'],
    jobs: 2,
    retries: 0,
    broker: 'local',
    quarantine: [],
    sandbox: false,
    progress: createProgress(process.stderr, { quiet: true }),
    defaultTimeoutMs: 20_000,
    args: [],
    ...o,
    paths,
  });
}

/**
 * The cells of one fixture scenario with steps (test/fixtures/scenarios/<file>), run into `outDir` three at a time:
 * step cells mostly wait on the broker and the board's clock, so they need no core each.
 */
export async function runStepFixture(file: string, outDir: string): Promise<RunOutcome> {
  const paths = projectPaths();
  const loaded = await loadScenario(path.join(paths.root, 'test', 'fixtures', 'scenarios', file));
  return runQuiet({ scenarios: [loaded], outDir, paths, defaultTimeoutMs: 30_000, jobs: 3 });
}
