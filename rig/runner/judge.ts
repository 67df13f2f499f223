// The verdict on a cell from its evidence: pure, no I/O. What an attempt saw (its outcome, serial lines,
// broker log and messages, whether the broker survived) becomes pass / fail / error with the reasons; the
// attempts of a cell (retries, a run stopped by Ctrl-C or the watchdog) become its final status.
import { evaluate } from '../outcome/expect.ts';
import type { Cell } from '../results/schema.ts';
import type { Expectation } from '../scenario/schema.ts';
import type { CellMessages } from './attribution.ts';
import type { Attempt } from './attempt.ts';
import { stepsVerdict } from '../steps/verdict.ts';

export interface Evidence {
  expectation: Expectation | undefined;
  attempt: Attempt;
  /** The broker log lines attributed to the cell. */
  brokerLog: string[];
  messages: CellMessages;
  /** The observer could not subscribe: `messages` expectations cannot be met. */
  observerError?: string;
  /** Set when the broker died during the attempt: its last log lines ('' without any). */
  brokerDied?: string;
  /** The cell's target (twin, hardware, host), for the words of a skip. */
  target?: string;
}

export interface Judged {
  /** skip: the target cannot build the sketch (build/unsupported) and the scenario did not expect that. */
  status: 'pass' | 'fail' | 'error' | 'skip';
  failures: string[];
  matched: number[];
  /** No retry can change it (the broker is gone, the target cannot build the sketch). */
  final: boolean;
}

export function judgeAttempt(e: Evidence): Judged {
  const { attempt } = e;
  const verdict = evaluate(e.expectation ?? {}, {
    outcome: attempt.outcome,
    serial: attempt.serial,
    brokerLog: e.brokerLog,
    messages: e.messages.counted,
    unattributed: e.messages.unattributed,
  });
  const matched = verdict.matchedLines;
  if (e.observerError && e.expectation?.messages?.length) verdict.failures.push(e.observerError);
  // Whatever the board saw, a broker that died mid-cell makes this the rig's failure, not the board's.
  if (e.brokerDied !== undefined)
    return {
      status: 'error',
      failures: [`broker died during the cell: ${e.brokerDied || 'no log'}`],
      matched,
      final: true,
    };
  if (attempt.infraError) return { status: 'error', failures: [attempt.infraError], matched, final: false };
  const kind = attempt.outcome.kind;
  // What the target cannot build (a header or API the twin lacks, a library that is not portable, flash files a
  // board cannot get yet) answers nothing: skipped with the reason, like a hardware-only cell, unless expected.
  if (kind === 'build/unsupported' && e.expectation?.kind !== kind) {
    const failures = [`${e.target ?? 'target'} cannot build it: ${attempt.outcome.detail ?? 'unsupported'}`];
    return { status: 'skip', failures, matched: [], final: true };
  }
  // A hung target (the rig's own cell timeout: no decision at all) or a crashed one is the rig's problem to
  // report, not an answer to the scenario's question. A timeout the board reported (PubSubClient rc=-4) is an
  // answer: it passes or fails like any other outcome.
  if (kind === 'no-outcome' || (kind === 'crash' && e.expectation?.kind !== kind)) {
    const failures = [`${kind}: ${attempt.outcome.detail ?? 'no detail'}`, ...verdict.failures];
    return { status: 'error', failures, matched, final: false };
  }
  // A scenario that unfolds: its steps hold (or fail exactly where a regression variant says they do).
  const steps = attempt.steps ? stepsVerdict(attempt.steps, e.expectation?.failingStep) : { failures: [] };
  if (steps.skip) return { status: 'skip', failures: [steps.skip], matched, final: true };
  const failures = [...steps.failures, ...verdict.failures];
  return { status: verdict.ok && !steps.failures.length ? 'pass' : 'fail', failures, matched, final: false };
}

export interface RetryLimits {
  /** Retries for the rig's errors (--retries). */
  errors: number;
  /** Retries for failed expectations (the scenario's `retries`). */
  failures: number;
}

/** Whether another attempt may change the verdict; `attempts` counts the ones made so far. */
export function retryAllowed(j: Judged, attempt: Attempt, attempts: number, limits: RetryLimits): boolean {
  if (j.status === 'pass' || j.final) return false;
  if (j.status === 'error') return attempt.retryable !== false && attempts <= limits.errors;
  return attempts <= limits.failures;
}

/** How the run stopping a cell is reported: the watchdog's stop is the rig's error, Ctrl-C's a skip. */
export interface Stop {
  status: Cell['status'];
  reason: string;
}

export interface CellVerdict {
  status: Cell['status'];
  failures: string[];
  reason?: string;
}

/**
 * The cell's status from its last judged attempt. A pass after a bad attempt is flaky. A cell the run stopped
 * keeps what finished on Ctrl-C, but the watchdog stopping it is an error even after a finished attempt.
 */
export function cellVerdict(last: Judged | undefined, sawBad: boolean, stop: Stop | undefined): CellVerdict {
  const status: Cell['status'] = stop
    ? stop.status
    : !last
      ? 'skip'
      : last.status === 'pass' && sawBad
        ? 'flaky'
        : last.status;
  const failures = stop?.status === 'error' ? [stop.reason, ...(last?.failures ?? [])] : (last?.failures ?? []);
  const reason = stop ? stop.reason : status !== 'pass' ? failures[0] : undefined;
  return { status, failures, ...(reason ? { reason } : {}) };
}
