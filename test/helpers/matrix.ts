// runMatrix with the options most tests share: twins, a local broker, no sandbox, no retries, a quiet progress,
// 20 s cells, the board profiles of `paths` (the project's own by default). A test names only what it tests.
import { loadBoards } from '../../rig/boards/load.ts';
import { projectPaths } from '../../rig/project.ts';
import { createProgress } from '../../rig/runner/progress.ts';
import { runMatrix, type RunOptions, type RunOutcome } from '../../rig/runner/run.ts';

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
