// rig.scenario(): a scenario file in the API. Loaded and checked as `rig check` and `rig run` do
// (loadRunnableScenarios), and one cell of it run by the runner itself (runMatrix with that cell selected), so a
// test gets the same Cell record, outcome and verdict as the matrix.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadBoards } from '../boards/load.ts';
import type { BrokerProvider } from '../broker/index.ts';
import { projectPaths } from '../project.ts';
import type { Cell, Results } from '../results/schema.ts';
import { runMatrix } from '../runner/run.ts';
import { createProgress } from '../runner/progress.ts';
import { loadRunnableScenarios } from '../runner/validate.ts';
import { sandboxSupport } from '../sandbox/index.ts';
import type { Scenario } from '../scenario/schema.ts';

export interface CellSelector {
  variant: string;
  board: string;
  /** A core version the scenario's expectations pin (board@core), for twins. */
  core?: string;
  target?: 'twin' | 'hardware';
}

export interface CellRun {
  cell: Cell;
  results: Results;
  /** The run folder: results.json, the cell's serial.log, the broker log, the reports. */
  runDir: string;
}

export interface ScenarioRunOptions {
  broker?: BrokerProvider;
  /** Where the run folder goes (default a new temp folder). */
  outDir?: string;
  retries?: number;
  timeoutMs?: number;
  sandbox?: boolean;
}

export interface LoadedApiScenario {
  readonly file: string;
  readonly id: string;
  readonly scenario: Scenario;
  /** The cells of this scenario: "scenario/variant/board" ids, with the variant and board. */
  cells(): { id: string; variant: string; board: string }[];
  /** Runs one cell as `rig run --filter` would, and returns its record. */
  run(sel: CellSelector, o?: ScenarioRunOptions): Promise<CellRun>;
}

export async function loadApiScenario(file: string): Promise<LoadedApiScenario> {
  const paths = projectPaths();
  const profiles = await loadBoards(paths.boards);
  const abs = path.resolve(file);
  const [loaded] = await loadRunnableScenarios([abs], profiles);
  const s = loaded!.scenario;
  return {
    file: abs,
    id: s.id,
    scenario: s,
    cells: () =>
      Object.entries(s.expect).flatMap(([variant, byBoard]) =>
        Object.keys(byBoard).flatMap((b) =>
          (b === '*' ? s.boards : [b]).map((board) => ({ id: `${s.id}/${variant}/${board}`, variant, board })),
        ),
      ),
    run: async (sel, o = {}) => {
      const want = `${s.id}/${sel.variant}/${sel.board}${sel.core ? `@${sel.core}` : ''}`;
      const tmp = o.outDir ? undefined : await mkdtemp(path.join(os.tmpdir(), 'rig-api-run-'));
      const outDir = o.outDir ?? path.join(tmp!, 'run');
      const { results, runDir } = await runMatrix({
        scenarios: [loaded!],
        boardProfiles: profiles,
        targets: [sel.target ?? 'twin'],
        boards: [sel.board],
        filter: { source: want, test: (id) => id === want },
        jobs: 1,
        retries: o.retries ?? 0,
        broker: o.broker ?? 'local',
        outDir,
        quarantine: [],
        sandbox: o.sandbox ?? sandboxSupport().ok,
        progress: createProgress(process.stderr, { quiet: true }),
        // reports/latest goes beside the run folder, never into the rig's own reports.
        paths: { ...paths, reports: path.dirname(outDir) },
        defaultTimeoutMs: o.timeoutMs ?? 30_000,
        args: ['--filter', want],
      });
      const cell = results.cells.find((c) => c.id === want);
      if (!cell)
        throw new Error(
          `scenario ${s.id} has no cell ${want} (have: ${results.cells.map((c) => c.id).join(', ') || 'none'})`,
        );
      return { cell, results, runDir };
    },
  };
}
