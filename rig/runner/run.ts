// The matrix runner: plan the cells, then per group of cells one broker session (a scenario variant on one
// network), its cells in parallel up to --jobs on their target drivers, each cell judged from its evidence;
// everything stopped on Ctrl-C or the watchdog, and what finished always written.
import type { BoardProfile } from '../boards/profile.ts';
import type { BrokerProvider } from '../broker/index.ts';
import type { ProjectPaths } from '../project.ts';
import { redactDeep } from '../report/redact.ts';
import type { Cell, Results } from '../results/schema.ts';
import type { LoadedScenario } from '../scenario/load.ts';
import { targetDrivers, type LabOptions, type TargetDriver, type TargetName } from '../target/index.ts';
import { runCell, unrunCell, type CellContext } from './cell.ts';
import { Cleanup } from './cleanup.ts';
import type { Stop } from './judge.ts';
import { groupCells, planCells, type CellPlan, type Group, type MatrixOptions } from './plan.ts';
import { KeyedLock, Pool } from './pool.ts';
import type { Progress } from './progress.ts';
import type { QuarantineEntry } from './quarantine.ts';
import { prepareRunDir, writeRun } from './results.ts';
import { RunSecrets } from './secrets.ts';
import { openSession, type BrokerSession } from './session.ts';

export interface RunOptions extends MatrixOptions {
  scenarios: LoadedScenario[];
  boardProfiles: Map<string, BoardProfile>;
  jobs: number;
  retries: number;
  broker: BrokerProvider;
  outDir?: string;
  baseline?: Results;
  quarantine: QuarantineEntry[];
  sandbox: boolean;
  progress: Progress;
  paths: ProjectPaths;
  defaultTimeoutMs: number;
  watchdogMs?: number;
  args: string[];
  /** The boards of the lab for hardware cells (default: rig.lab.yaml, or RIG_LAB). */
  lab?: LabOptions;
  /** arduino-cli libraries folders with the user's own libraries (rig run --libraries), for twin builds. */
  librariesDirs?: string[];
  /** Twins wait in real time instead of on virtual time (rig run --real-time). */
  realTime?: boolean;
}

export interface RunOutcome {
  results: Results;
  runDir: string;
  reportMs: number;
}

/** What the groups of one run share. */
interface Run {
  o: RunOptions;
  cells: Cell[];
  drivers: Map<TargetName, TargetDriver>;
  cellPool: Pool;
  boardLock: KeyedLock;
  ctx: CellContext;
  /** The terminal (a CI log) sees what the reports see. */
  finish(c: Cell): void;
  brokerUsed?: { provider: string; version?: string; image?: string };
}

export async function runMatrix(o: RunOptions): Promise<RunOutcome> {
  const startedAt = new Date();
  const plans = planCells(o.scenarios, o.boardProfiles, o);
  const { groups, skipped } = groupCells(plans);
  const drivers = await targetDrivers(
    groups.flatMap((g) => g.cells.map((p) => p.target)),
    o.lab,
  );
  const runDir = await prepareRunDir(o, startedAt);
  const cleanup = new Cleanup();
  const untrap = cleanup.trapSignals((sig) =>
    o.progress.log(`\n${sig}: stopping brokers and twins, writing what finished…`),
  );
  const watchdog = startWatchdog(o, cleanup);
  const run = newRun(o, runDir, cleanup, drivers);
  // A short password must not be masked inside the run's own words (its ids, variants, boards).
  run.ctx.secrets.vocabulary(
    plans.flatMap((p) => [p.loaded.scenario.id, p.variant, p.board.id, p.core ?? '', p.target, p.id]),
  );
  for (const p of skipped) run.finish(unrunCell(p, { status: 'skip', reason: p.skip! }, 0));
  // Twice as many groups as cells in flight: the next group's broker and observer start (mostly waiting) while
  // other groups' cells run, so a cell slot seldom waits for a session.
  const groupPool = new Pool(Math.max(1, o.jobs) * 2);
  try {
    await Promise.all(groups.map((g) => groupPool.run(() => runGroup(run, g))));
  } finally {
    const failedStops = await cleanup.stopAll();
    for (const f of failedStops) o.progress.log(`cleanup: ${f}`);
    untrap();
    clearTimeout(watchdog);
  }
  return writeRun({
    o,
    runDir,
    startedAt,
    plans,
    cells: run.cells,
    redact: run.ctx.secrets.redact,
    ...(run.brokerUsed ? { broker: run.brokerUsed } : {}),
    interrupted: cleanup.stoppedBy !== undefined && cleanup.stoppedBy !== 'watchdog',
  });
}

function newRun(o: RunOptions, runDir: string, cleanup: Cleanup, drivers: Map<TargetName, TargetDriver>): Run {
  const secrets = new RunSecrets();
  const cells: Cell[] = [];
  const watchdogReason = `stopped by the watchdog: the run exceeded --watchdog ${o.watchdogMs} ms`;
  return {
    o,
    cells,
    drivers,
    cellPool: new Pool(Math.max(1, o.jobs)),
    boardLock: new KeyedLock(),
    ctx: {
      runDir,
      paths: o.paths,
      cleanup,
      secrets,
      progress: o.progress,
      quarantine: o.quarantine,
      defaultTimeoutMs: o.defaultTimeoutMs,
      retries: o.retries,
      sandbox: o.sandbox,
      ...(o.librariesDirs?.length ? { librariesDirs: o.librariesDirs } : {}),
      ...(o.realTime ? { realTime: true } : {}),
      stopped: (): Stop =>
        cleanup.stoppedBy === 'watchdog'
          ? { status: 'error', reason: watchdogReason }
          : { status: 'skip', reason: 'run interrupted' },
    },
    finish(c) {
      cells.push(c);
      o.progress.finish(redactDeep(c, secrets.redact));
    },
  };
}

/** --watchdog: stops the run like a first Ctrl-C, but its cells are the rig's errors. */
function startWatchdog(o: RunOptions, cleanup: Cleanup): NodeJS.Timeout | undefined {
  if (!o.watchdogMs) return undefined;
  const timer = setTimeout(() => {
    if (cleanup.interrupted) return;
    o.progress.log(
      `\nwatchdog: the run exceeded --watchdog ${o.watchdogMs} ms: stopping brokers and twins, writing what finished…`,
    );
    cleanup.expire();
  }, o.watchdogMs);
  timer.unref();
  return timer;
}

/** One broker session and its cells; cells it could not run are reported with the reason. */
async function runGroup(run: Run, g: Group): Promise<void> {
  const { ctx } = run;
  if (ctx.cleanup.interrupted) {
    for (const p of g.cells) run.finish(unrunCell(p, ctx.stopped(), 0));
    return;
  }
  const t0 = Date.now();
  let session: BrokerSession | undefined;
  try {
    session = await openSession(g, run.drivers.get(g.cells[0]!.target)!.brokerIp, {
      paths: run.o.paths,
      provider: run.o.broker,
      runDir: ctx.runDir,
      secrets: ctx.secrets,
      cleanup: ctx.cleanup,
    });
    const s = session;
    run.brokerUsed ??= {
      provider: s.broker.provider,
      version: s.broker.version,
      ...(s.broker.image ? { image: s.broker.image } : {}),
    };
    await Promise.all(g.cells.map((p) => run.cellPool.run(() => runGroupCell(run, p, s))));
  } catch (e) {
    const reason = `setup failed: ${(e as Error).message.split('\n').slice(0, 3).join(' | ')}`;
    const why: Stop = ctx.cleanup.interrupted ? ctx.stopped() : { status: 'error', reason };
    for (const p of g.cells)
      if (!run.cells.some((c) => `${c.id}#${c.target}` === p.key)) run.finish(unrunCell(p, why, Date.now() - t0));
  } finally {
    await session?.close();
  }
}

/** A physical board runs one cell at a time; twins and controls run as many as the pool allows. */
async function runGroupCell(run: Run, p: CellPlan, s: BrokerSession): Promise<void> {
  const lockKey = p.target === 'hardware' ? `board:${p.board.id}` : `cell:${p.key}`;
  const driver = run.drivers.get(p.target)!;
  run.finish(await run.boardLock.with(lockKey, () => runCell(p, driver, s, run.ctx)));
}
