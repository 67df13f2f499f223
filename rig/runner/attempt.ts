// One attempt at one cell on its target: prepare, start, watch its serial lines until the outcome is settled
// (or take the outcome a host control classified itself), stop. What comes back is evidence for the judge;
// a TargetError becomes an error attempt with the tool's own words, or the build/unsupported outcome.
import { TargetError } from '../errors.ts';
import { OutcomeClassifier } from '../outcome/classify.ts';
import type { Outcome } from '../results/schema.ts';
import type { Expectation } from '../scenario/schema.ts';
import type { PreparedTarget, RunningTarget, TargetCell, TargetDriver } from '../target/index.ts';
import type { CellClients } from './attribution.ts';
import type { Cleanup } from './cleanup.ts';
import { settle, wantsLaterEvidence } from './settle.ts';
import { watchLines } from './watch.ts';
import { unfold, type AttemptSteps } from './unfold.ts';
import type { StepResult } from '../results/schema.ts';

export interface Attempt {
  outcome: Outcome;
  serial: string[];
  /** Set when the rig, not the board, failed: build, broker, port, a dead or hung target. */
  infraError?: string;
  /** False when retrying cannot help (a compile error, missing permissions): the cell is not retried. */
  retryable?: boolean;
  timings: Record<string, number>;
  /** The target's notes from its preparation (a build tool's warnings). */
  notes?: string[];
  /** The target's "modelled: WINC1500 19.6.1" (a module's TLS modelled on a twin). */
  modelled?: string;
  /** Serial lines the rolling buffer dropped (a flood) and lines cut for length: said in the report. */
  serialDropped?: number;
  serialCut?: number;
  /** The scenario's steps as they ran after the first outcome (a scenario that unfolds). */
  steps?: StepResult[];
}

export class AttemptAborted extends Error {
  override readonly name = 'AttemptAborted';
}

/** What the runner watches an attempt with, beyond what the driver needs. */
export interface AttemptContext {
  expectation: Expectation | undefined;
  /** The cell's MQTT clients on the shared broker, and the observer's messages they published. */
  clients: CellClients;
  cleanup: Cleanup;
  /** The variant's steps, when the scenario unfolds. */
  steps?: AttemptSteps;
}

export async function runAttempt(driver: TargetDriver, cell: TargetCell, w: AttemptContext): Promise<Attempt> {
  let prepared: PreparedTarget;
  try {
    prepared = await driver.prepare(cell);
  } catch (e) {
    return failedAttempt(e, {});
  }
  for (const id of prepared.clientIds) w.clients.add(id);
  let target: RunningTarget;
  try {
    target = await prepared.start();
  } catch (e) {
    return failedAttempt(e, prepared.timings);
  }
  const t = target;
  const unregister = w.cleanup.add(t.label, () => t.stop());
  const timings = { ...prepared.timings };
  try {
    w.clients.watch(() => t.clientIds());
    let a = t.outcome ? await ownOutcome(t, t.outcome, cell, w, timings) : await watchTarget(t, cell, w, timings);
    if (w.steps && !a.infraError && a.outcome.kind !== 'no-outcome') a = await unfold(a, t, cell, w.steps, w);
    // Stopped here (again, idempotently, below) so the report can say what stopping cost.
    const s0 = Date.now();
    await t.stop().catch(() => undefined);
    return {
      ...a,
      timings: { ...a.timings, stop: Date.now() - s0 },
      ...(prepared.notes?.length ? { notes: prepared.notes } : {}),
      ...(prepared.modelled ? { modelled: prepared.modelled } : {}),
    };
  } catch (e) {
    if (e instanceof AttemptAborted) throw e;
    return failedAttempt(e, timings);
  } finally {
    await t.stop().catch(() => undefined);
    unregister();
  }
}

async function watchTarget(
  target: RunningTarget,
  cell: TargetCell,
  w: AttemptContext,
  timings: Record<string, number>,
): Promise<Attempt> {
  const classifier = new OutcomeClassifier(cell.board.outcome);
  return watchLines(target, classifier, {
    timeoutMs: cell.timeoutMs,
    signal: cell.signal,
    expectation: w.expectation,
    messages: () => w.clients.messages().counted,
    brokerLog: () => w.clients.brokerLog(),
    timings,
  });
}

/**
 * A host control's outcome, then whatever later evidence its expectation names: the PUBLISH its messages are
 * attributed by and the broker's own log lines (the log lags a fast client).
 */
async function ownOutcome(
  target: RunningTarget,
  pending: Promise<Outcome>,
  cell: TargetCell,
  w: AttemptContext,
  timings: Record<string, number>,
): Promise<Attempt> {
  const t0 = Date.now();
  const outcome = await pending;
  const serial = target.lines.lines();
  if (wantsLaterEvidence(w.expectation)) {
    await settle({
      decided: () => true,
      // Its output is complete: only the broker's side (log lines, messages) can still arrive.
      exited: Promise.resolve({ code: 0, signal: null }),
      timeoutMs: cell.timeoutMs,
      signal: cell.signal,
      expectation: w.expectation,
      serial: () => serial,
      messages: () => w.clients.messages().counted,
      brokerLog: () => w.clients.brokerLog(),
      outcome: () => outcome,
    });
  }
  return { outcome, serial, timings: { ...timings, run: Date.now() - t0 } };
}

/** An attempt that did not get to run: the rig's error, or the target's "cannot run this faithfully". */
function failedAttempt(e: unknown, timings: Record<string, number>): Attempt {
  const message = (e as Error).message;
  if (e instanceof TargetError && e.kind === 'unsupported')
    return { outcome: { kind: 'build/unsupported', detail: firstLine(message) }, serial: [], timings: {} };
  // A build the board would fail too is the cell's outcome (its code names the missing API), not the rig's error.
  if (e instanceof TargetError && e.kind === 'missing-api')
    return {
      outcome: { kind: 'build/failed', code: `build:missing_${e.toolMessage}`, detail: firstLine(message) },
      serial: [],
      timings,
    };
  const t = e instanceof TargetError ? e : undefined;
  // The tool's own last words, unless the message already quotes them.
  const tail = t?.toolMessage ? t.toolMessage.split('\n').slice(-4).join(' | ') : '';
  const toolWords = tail && !message.includes(tail.split(' | ')[0]!) ? `: ${tail}` : '';
  return {
    ...infraAttempt(`${message}${toolWords}`),
    timings,
    ...(t ? { retryable: t.retryable } : {}),
  };
}

/** An attempt the rig could not make: no outcome, no serial, only the reason. */
function infraAttempt(reason: string): Attempt {
  return { outcome: { kind: 'none' }, serial: [], infraError: reason, timings: {} };
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim()) ?? s;
}
