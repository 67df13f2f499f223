// One cell of the matrix: attempts on its target (retried as the judge allows) on its group's shared broker,
// each attempt's evidence attributed to the cell, then its serial log and folder written (redacted) and the
// Cell record the reports read.
import { access, mkdir } from 'node:fs/promises';
import { writeFileNoFollow } from '../sandbox/index.ts';
import path from 'node:path';
import { refineOutcome } from '../outcome/refine.ts';
import type { PkiBundle } from '../pki/index.ts';
import type { ProjectPaths } from '../project.ts';
import type { Cell, CertSummary } from '../results/schema.ts';
import type { TargetDriver } from '../target/index.ts';
import { AttemptAborted, runAttempt, type Attempt } from './attempt.ts';
import type { Cleanup } from './cleanup.ts';
import { cellVerdict, judgeAttempt, retryAllowed, type Judged, type Stop } from './judge.ts';
import type { CellPlan } from './plan.ts';
import type { Progress } from './progress.ts';
import { matchQuarantine, type QuarantineEntry } from './quarantine.ts';
import { redactFolder, type RunSecrets } from './secrets.ts';
import { safeName, type BrokerSession } from './session.ts';
import { variantSteps } from '../scenario/step-check.ts';
import { stepsFor } from './unfold.ts';

export interface CellContext {
  runDir: string;
  paths: ProjectPaths;
  cleanup: Cleanup;
  secrets: RunSecrets;
  progress: Progress;
  quarantine: QuarantineEntry[];
  defaultTimeoutMs: number;
  /** --retries: retries for the rig's errors. */
  retries: number;
  sandbox: boolean;
  /** arduino-cli libraries folders with the user's own libraries (rig run --libraries), for twin builds. */
  librariesDirs?: string[];
  /** rig run --real-time: twins wait in real time. */
  realTime?: boolean;
  /** How a cell the run stopped is reported (Ctrl-C: skip; the watchdog: error). */
  stopped(): Stop;
}

interface Tried {
  attempt: Attempt;
  judged: Judged;
}

export async function runCell(p: CellPlan, driver: TargetDriver, s: BrokerSession, ctx: CellContext): Promise<Cell> {
  const cellDir = path.join(ctx.runDir, 'cells', safeName(p.key));
  const started = Date.now();
  ctx.progress.start(p.key, p.id);
  const run = await attempts(p, driver, s, ctx, cellDir);
  const serialFile = path.join(cellDir, 'serial.log');
  const fileProblem = await writeCellFiles(cellDir, serialFile, run.last?.attempt.serial ?? [], ctx);
  // The watchdog stopping a cell is the rig's error even after a finished attempt; Ctrl-C keeps what finished.
  const stop = run.aborted && (!run.last || ctx.cleanup.stoppedBy === 'watchdog') ? ctx.stopped() : undefined;
  const verdict = cellVerdict(run.last?.judged, run.sawBad, stop);
  const counts = serialCounts(run.last?.attempt);
  // A passing cell keeps the counts in its record; a cell that did not pass says them in its reason too.
  const notes = verdict.status === 'pass' ? [fileProblem] : [counts.note, fileProblem];
  const reason = [verdict.reason, ...notes].filter(Boolean).join('; ');
  const cell: Cell = {
    ...baseCell(p),
    status: verdict.status,
    outcome: run.last?.attempt.outcome ?? { kind: 'none' },
    ...(p.expectation ? { expected: stripUndefined(p.expectation) } : {}),
    ...(reason ? { reason } : {}),
    ...counts.fields,
    failures: verdict.failures,
    durationMs: Date.now() - started,
    attempts: run.attempts,
    serialLog: path.relative(ctx.runDir, serialFile),
    brokerLog: path.relative(ctx.runDir, path.join(s.groupDir, 'broker.log')),
    matchedLines: run.last?.judged.matched ?? [],
    certificates: certSummaries(s.pki),
    timings: {
      setup: s.setupMs,
      ...Object.fromEntries(Object.entries(s.setupSteps).map(([k, v]) => [`setup.${k}`, v])),
      ...(run.last?.attempt.timings ?? {}),
    },
    ...(run.last?.attempt.notes?.length ? { notes: run.last.attempt.notes } : {}),
    ...(run.last?.attempt.steps ? { steps: run.last.attempt.steps } : {}),
    ...(run.last?.attempt.modelled ? { modelled: run.last.attempt.modelled } : {}),
  };
  const reproduce = await reproduceCommand(p, verdict.status, cellDir, ctx.runDir);
  if (reproduce) cell.reproduce = reproduce;
  const q =
    verdict.status === 'fail' || verdict.status === 'error' ? matchQuarantine(ctx.quarantine, cell.id) : undefined;
  return q ? { ...cell, quarantine: q.issue } : cell;
}

/**
 * The cell's serial log and the rest of its folder, redacted. Written without following links; a fault here
 * (a file that cannot be written) is said in the cell's reason and loses nothing else.
 */
async function writeCellFiles(
  cellDir: string,
  serialFile: string,
  serial: string[],
  ctx: CellContext,
): Promise<string | undefined> {
  try {
    await mkdir(cellDir, { recursive: true });
    const text = serial.join('\n');
    await writeFileNoFollow(serialFile, ctx.secrets.redact(text ? `${text}\n` : ''));
    // Whatever else the target left in its folder (facts, hardware notes) is uploaded too.
    await redactFolder(cellDir, ctx.secrets.redact);
    return undefined;
  } catch (e) {
    return `the serial log could not be written: ${(e as Error).message}`;
  }
}

/** What the report says about serial lines a flood dropped or a long line lost. */
function serialCounts(a: Attempt | undefined): { note: string; fields: Partial<Cell> } {
  const dropped = a?.serialDropped ?? 0;
  const cut = a?.serialCut ?? 0;
  const notes = [
    dropped > 0 ? `${dropped} earlier serial line(s) were dropped from the rolling buffer (a flood)` : '',
    cut > 0 ? `${cut} serial line(s) were cut at 4 KiB` : '',
  ].filter(Boolean);
  return {
    note: notes.join('; '),
    fields: { ...(dropped > 0 ? { serialDropped: dropped } : {}), ...(cut > 0 ? { serialCut: cut } : {}) },
  };
}

/** Attempts until one passes, the judge allows no retry, or the run stops. */
async function attempts(
  p: CellPlan,
  driver: TargetDriver,
  s: BrokerSession,
  ctx: CellContext,
  cellDir: string,
): Promise<{ last: Tried | undefined; attempts: number; sawBad: boolean; aborted: boolean }> {
  const limits = { errors: ctx.retries, failures: p.loaded.scenario.retries ?? 0 };
  let last: Tried | undefined;
  let sawBad = false;
  for (let n = 1; ; n++) {
    if (ctx.cleanup.interrupted) return { last, attempts: n, sawBad, aborted: true };
    let tried: Tried;
    try {
      tried = await attemptOnce(p, driver, s, ctx, cellDir);
    } catch (e) {
      if (e instanceof AttemptAborted) return { last, attempts: n, sawBad, aborted: true };
      throw e;
    }
    last = tried;
    if (tried.judged.final || tried.judged.status === 'pass') return { last, attempts: n, sawBad, aborted: false };
    sawBad = true;
    if (!retryAllowed(tried.judged, tried.attempt, n, limits)) return { last, attempts: n, sawBad, aborted: false };
    ctx.progress.note(p.key, `retry ${n}`);
  }
}

/** One attempt and its evidence: this attempt's time on the shared broker and the client ids it used. */
async function attemptOnce(
  p: CellPlan,
  driver: TargetDriver,
  s: BrokerSession,
  ctx: CellContext,
  cellDir: string,
): Promise<Tried> {
  const stay = s.ledger.enter(p.key, { learns: !driver.reportsClientIds });
  let attempt: Attempt;
  let brokerLog: string[];
  let messages: ReturnType<typeof stay.messages>;
  try {
    const steps = await stepsFor(p, s);
    attempt = await runAttempt(driver, targetCell(p, s, ctx, cellDir), {
      expectation: p.expectation,
      clients: stay,
      cleanup: ctx.cleanup,
      ...(steps ? { steps } : {}),
    });
    brokerLog = stay.brokerLog();
    // The board's kind stays; what the broker's log says about why is recorded beside it.
    attempt = { ...attempt, outcome: refineOutcome(attempt.outcome, brokerLog) };
    messages = p.expectation?.messages?.length ? stay.messages() : { counted: [], unattributed: [] };
  } finally {
    stay.leave();
  }
  const died = await brokerDeath(s, ctx);
  const judged = judgeAttempt({
    expectation: p.expectation,
    attempt,
    brokerLog,
    messages,
    ...(s.observer.error ? { observerError: s.observer.error } : {}),
    ...(died !== undefined ? { brokerDied: died } : {}),
    target: p.target,
  });
  return { attempt, judged };
}

/**
 * Why the broker is gone, when it died by itself during the attempt. A broker the run stopped (Ctrl-C, SIGTERM,
 * the watchdog: the rig stops it, or the terminal's Ctrl-C reached it first) did not die: that cell is
 * interrupted, never "broker died". The signal handler may run a moment after the broker went, so a broker found
 * gone is looked at again after a short wait.
 */
async function brokerDeath(s: BrokerSession, ctx: CellContext): Promise<string | undefined> {
  if (ctx.cleanup.interrupted || (await s.broker.alive())) return undefined;
  await new Promise((r) => setTimeout(r, 300));
  if (ctx.cleanup.interrupted) return undefined;
  return s.broker.logLines().slice(-3).join(' | ');
}

function targetCell(
  p: CellPlan,
  s: BrokerSession,
  ctx: CellContext,
  cellDir: string,
): Parameters<TargetDriver['prepare']>[0] {
  const timeoutMs =
    (p.expectation?.timeoutMs ?? p.loaded.scenario.timeoutMs ?? ctx.defaultTimeoutMs) * p.board.timeoutMultiplier;
  return {
    id: p.id,
    board: p.board,
    ...(p.core ? { core: p.core } : {}),
    scenarioFile: p.loaded.file,
    rv: s.rv,
    pki: s.pki,
    broker: s.broker,
    cellDir,
    runDir: ctx.runDir,
    paths: ctx.paths,
    timeoutMs: Math.round(timeoutMs),
    sandbox: ctx.sandbox,
    signal: ctx.cleanup.signal,
    secret: (v) => ctx.secrets.add(v),
    phase: (ph) => ctx.progress.phase?.(p.key, ph),
    ...(ctx.librariesDirs ? { librariesDirs: ctx.librariesDirs } : {}),
    // Steps measure board time on the rig's clock (plus the clock steps they make), so a scenario that unfolds
    // runs its twin in real time: on virtual time a "within 5000 ms" would be seconds of the host, not the board.
    ...(ctx.realTime || variantSteps(p.loaded.scenario, p.variant).length > 0 ? { realTime: true } : {}),
    // runAttempt() watches the target with settle() until it stops it.
    answersBursts: true,
  };
}

function baseCell(p: CellPlan): Pick<Cell, 'id' | 'scenario' | 'variant' | 'board' | 'core' | 'target'> {
  const core = ranCore(p);
  return {
    id: p.id,
    scenario: p.loaded.scenario.id,
    variant: p.variant,
    board: p.board.id,
    ...(core ? { core } : {}),
    target: p.target,
  };
}

/** The core version a cell runs on: pinned, the twin's default, or the one the hardware profile installs. */
function ranCore(p: Pick<CellPlan, 'core' | 'target' | 'board'>): string | undefined {
  if (p.core) return p.core;
  if (p.target === 'twin') return p.board.twin?.coreVersions[0];
  if (p.target === 'hardware') return p.board.hardware?.core.version;
  return undefined;
}

/** A cell that never ran: skipped when planned, or stopped (or its broker failed) before its result. */
export function unrunCell(p: CellPlan, why: Stop, durationMs: number): Cell {
  return {
    ...baseCell(p),
    status: why.status,
    outcome: { kind: 'none' },
    reason: why.reason,
    failures: why.status === 'error' ? [why.reason] : [],
    durationMs,
    attempts: 1,
    ...(p.expectation ? { expected: stripUndefined(p.expectation) } : {}),
  };
}

/** A hardware cell that did not pass: the script its driver left to rebuild and reflash it by hand. */
async function reproduceCommand(p: CellPlan, status: Cell['status'], cellDir: string, runDir: string) {
  if (p.target !== 'hardware' || status === 'pass' || status === 'skip') return undefined;
  const script = path.join(cellDir, 'rebuild.sh');
  return (await access(script).then(
    () => true,
    () => false,
  ))
    ? `sh ${path.relative(runDir, script)}`
    : undefined;
}

function stripUndefined(x: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(x)) as Record<string, unknown>;
}

function certSummaries(pki: PkiBundle): CertSummary[] {
  return Object.values(pki.certs).map((c) => c.summary);
}
