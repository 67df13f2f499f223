// Waits for a running target to settle: its outcome decided (plus whatever later evidence the expectation
// asks for), the process gone, the cell's time up, or the run aborted. Polls: cheap and never misses an edge.
import type { Expectation } from '../scenario/schema.ts';
import { evaluate, serialExpect } from '../outcome/expect.ts';
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
}

export type Settled =
  { kind: 'decided' } | { kind: 'exited'; code: number | null; signal: string | null } | { kind: 'timeout' };

const POLL_MS = 25;
const QUIET_MS = 120;
const MAX_TRAIL_MS = 1000;

/**
 * True when the later evidence the expectation wants (serial lines it must see, broker messages) is there:
 * the same check the verdict makes, on just the parts that waiting can still change.
 */
function evidenceComplete(
  e: Expectation | undefined,
  serial: string[],
  messages: () => { topic: string; payload: string }[],
): boolean {
  if (!e) return true;
  const { see, ordered } = serialExpect(e);
  const later: Expectation = { serial: { see, ordered }, ...(e.messages ? { messages: e.messages } : {}) };
  return evaluate(later, {
    outcome: { kind: 'none' },
    serial,
    brokerLog: [],
    messages: e.messages?.length ? messages() : [],
  }).ok;
}

export async function settle(o: SettleInput): Promise<Settled> {
  let exit: { code: number | null; signal: string | null } | undefined;
  void o.exited.then((x) => {
    exit = x;
  });
  const start = Date.now();
  let decidedAt: number | undefined;
  let seenLines = 0;
  let lastLineAt = start;
  const graceMs = Math.max(0, ...(o.expectation?.messages ?? []).map((m) => m.withinMs ?? 5000), 3000);
  for (;;) {
    if (o.signal.aborted) throw new AttemptAborted('run interrupted');
    const now = Date.now();
    if (decidedAt === undefined && o.decided()) decidedAt = now;
    const lines = o.serial().length;
    if (lines !== seenLines) {
      seenLines = lines;
      lastLineAt = now;
    }
    if (decidedAt !== undefined) {
      // The deciding line is often followed by its explanation (the TLS error text): let the burst end.
      const quiet = now - lastLineAt >= QUIET_MS || now - decidedAt >= MAX_TRAIL_MS;
      if (quiet && evidenceComplete(o.expectation, o.serial(), o.messages)) return { kind: 'decided' };
      if (now - decidedAt >= graceMs || now - start >= o.timeoutMs || exit) return { kind: 'decided' };
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
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
