// Waits for a running target to settle: its outcome decided plus every kind of later evidence the expectation
// asks for (serial lines, broker log lines, the broker's reason, messages), the process gone, the cell's time
// up, or the run aborted. Polls: cheap and never misses an edge.
import { evaluate, serialExpect } from '../outcome/expect.ts';
import { refinable, refineOutcome, refinesTo } from '../outcome/refine.ts';
import type { Outcome } from '../results/schema.ts';
import type { Expectation } from '../scenario/schema.ts';
import type { BurstEnds } from '../target/index.ts';
import { AttemptAborted } from './attempt.ts';

export interface SettleInput {
  decided: () => boolean;
  exited: Promise<{ code: number | null; signal: string | null }>;
  timeoutMs: number;
  signal: AbortSignal;
  expectation: Expectation | undefined;
  serial: () => string[];
  /** Read only when the expectation counts messages: attributing them reads the broker log. */
  messages: () => { topic: string; payload: string }[];
  /** The cell's broker log so far; read only when the expectation needs it. */
  brokerLog?: () => string[];
  /** The outcome so far, before the broker's refinement; read only when the expectation names a kind or reason. */
  outcome?: () => Outcome;
  /** Where the target's bursts of lines end (a twin on virtual time); else a burst ends with QUIET_MS of silence. */
  bursts?: BurstEnds;
}

export type Settled =
  { kind: 'decided' } | { kind: 'exited'; code: number | null; signal: string | null } | { kind: 'timeout' };

const POLL_MS = 25;
const QUIET_MS = 120;
const MAX_TRAIL_MS = 1000;
/** The least a decided cell waits for later evidence, even when the cell's time is nearly up. */
const MIN_GRACE_MS = 3000;

/** Evidence that can still arrive after the board decided, and so is worth waiting for. */
interface Later {
  serial: boolean;
  brokerLog: boolean;
  messages: boolean;
}

/** True when the expectation names anything a wait after the decision could still bring. */
export function wantsLaterEvidence(e: Expectation | undefined): boolean {
  if (!e) return false;
  return (
    serialExpect(e).see.length > 0 ||
    !!e.brokerLog?.length ||
    !!e.messages?.length ||
    e.brokerReason !== undefined ||
    (e.kind !== undefined && refinesTo(e.kind))
  );
}

/**
 * Which kinds of expected evidence are still missing: the same check the verdict makes, on just the parts that
 * waiting can still change. The broker's reason (and a kind only the broker's refinement can meet) counts as
 * broker log evidence, and only while the board's own kind is one the broker can refine.
 */
export function missingEvidence(e: Expectation | undefined, s: SettleInput, alive: boolean): Later {
  const none = { serial: false, brokerLog: false, messages: false };
  if (!e) return none;
  const { see, ordered } = serialExpect(e);
  const ok = (part: Expectation, ev: Partial<Parameters<typeof evaluate>[1]>): boolean =>
    evaluate(part, { outcome: { kind: 'none' }, serial: [], brokerLog: [], messages: [], ...ev }).ok;
  const kind = e.kind !== undefined && refinesTo(e.kind) ? e.kind : undefined;
  const log = e.brokerLog?.length || e.brokerReason !== undefined || kind !== undefined ? s.brokerLog?.() : [];
  let reasonMissing = false;
  if ((e.brokerReason !== undefined || kind !== undefined) && s.outcome) {
    const board = s.outcome();
    const refined = refineOutcome(board, log ?? []);
    const part: Expectation = {
      ...(e.brokerReason !== undefined ? { brokerReason: e.brokerReason } : {}),
      ...(kind !== undefined ? { kind } : {}),
    };
    reasonMissing = refinable(board.kind) && !ok(part, { outcome: refined });
  }
  return {
    serial: alive && see.length > 0 && !ok({ serial: { see, ordered } }, { serial: s.serial() }),
    brokerLog: reasonMissing || (!!e.brokerLog?.length && !ok({ brokerLog: e.brokerLog }, { brokerLog: log ?? [] })),
    messages: !!e.messages?.length && !ok({ messages: e.messages }, { messages: s.messages() }),
  };
}

/**
 * Whether the burst of lines the deciding line began is over: the target ended, said so itself (a twin at a burst
 * end whose lines the rig has all read), or was silent for QUIET_MS; at most MAX_TRAIL_MS after the decision.
 */
export function burstOver(s: { exited: boolean; saidSo: boolean; silentMs: number; sinceDecidedMs: number }): boolean {
  return s.exited || s.saidSo || s.silentMs >= QUIET_MS || s.sinceDecidedMs >= MAX_TRAIL_MS;
}

export async function settle(o: SettleInput): Promise<Settled> {
  let exit: { code: number | null; signal: string | null } | undefined;
  void o.exited.then((x) => {
    exit = x;
  });
  let wake: (() => void) | undefined;
  const off = o.bursts?.watch(() => wake?.());
  try {
    return await settleLoop(
      o,
      () => exit,
      (ms) =>
        new Promise<void>((r) => {
          const t = setTimeout(r, ms);
          wake = () => {
            clearTimeout(t);
            r();
          };
        }),
    );
  } finally {
    off?.();
  }
}

async function settleLoop(
  o: SettleInput,
  exited: () => { code: number | null; signal: string | null } | undefined,
  nap: (ms: number) => Promise<void>,
): Promise<Settled> {
  const start = Date.now();
  let decidedAt: number | undefined;
  let seenLines = 0;
  let lastLineAt = start;
  // Messages have their own bound (withinMs); serial and broker evidence wait up to the cell's time.
  const messagesMs = Math.max(0, ...(o.expectation?.messages ?? []).map((m) => m.withinMs ?? 5000), MIN_GRACE_MS);
  for (;;) {
    if (o.signal.aborted) throw new AttemptAborted('run interrupted');
    const now = Date.now();
    if (decidedAt === undefined && o.decided()) decidedAt = now;
    const lines = o.serial().length;
    if (lines !== seenLines) {
      seenLines = lines;
      lastLineAt = now;
    }
    const exit = exited();
    // A twin waiting at a burst end: judged now if decided, else (or if evidence is still missing) let go on.
    const atBurstEnd = o.bursts?.over() ?? false;
    if (decidedAt !== undefined) {
      // The deciding line is often followed by its explanation (the TLS error text): let the burst end.
      const over = burstOver({
        exited: exit !== undefined,
        // Also once resumed: a message the expectation waits for can come after the rig let the twin go on.
        saidSo: atBurstEnd || (o.bursts?.whole() ?? false),
        silentMs: now - lastLineAt,
        sinceDecidedMs: now - decidedAt,
      });
      if (over && settledAfterDecision(o, decidedAt, start, now, messagesMs, exit === undefined))
        return { kind: 'decided' };
    } else if (exit) {
      // Let the last serial bytes drain from the pty before judging.
      await new Promise((r) => setTimeout(r, 100));
      if (o.decided()) {
        decidedAt = Date.now();
        continue;
      }
      return { kind: 'exited', ...exit };
    } else if (now - start >= o.timeoutMs) {
      return { kind: 'timeout' };
    }
    if (atBurstEnd) o.bursts!.resume();
    await nap(POLL_MS);
  }
}

/** Nothing expected is missing any more, or what is missing can no longer arrive in time. */
function settledAfterDecision(
  o: SettleInput,
  decidedAt: number,
  start: number,
  now: number,
  messagesMs: number,
  alive: boolean,
): boolean {
  const missing = missingEvidence(o.expectation, o, alive);
  const laterUntil = Math.max(start + o.timeoutMs, decidedAt + MIN_GRACE_MS);
  const waitLater = (missing.serial || missing.brokerLog) && now < laterUntil;
  const waitMessages = missing.messages && now < decidedAt + messagesMs;
  return !waitLater && !waitMessages;
}
