// Where a twin's bursts of serial lines end. On virtual time a twin that printed and is about to skip a second or
// more of board time says so first (fact "idle <n> <lines>", boards/twin/core/host/clock.cpp) and waits for the
// rig's "resume <n>". The rig knows the burst is whole once it has read exactly that many lines: it can judge it
// at once instead of waiting for 120 ms of silence, and then stop the twin or let it go on.
import type { BurstEnds } from './driver.ts';

export interface BurstEnd {
  /** The twin's count of burst ends, from 1. */
  n: number;
  /** Serial lines it had written by then. */
  lines: number;
}

const IDLE = /^idle (\d+) (\d+)$/;

/** True for the twin's burst-end facts, which are the rig's protocol, not facts about the board. */
export function isBurstFact(fact: string): boolean {
  return IDLE.test(fact);
}

/** The twin's latest burst end among its facts. */
export function lastBurstEnd(facts: readonly string[]): BurstEnd | undefined {
  for (let i = facts.length - 1; i >= 0; i--) {
    const m = IDLE.exec(facts[i]!);
    if (m) return { n: Number(m[1]), lines: Number(m[2]) };
  }
  return undefined;
}

/**
 * The burst ends of one running twin. `received` counts the serial lines the rig read (dropped ones included);
 * more than the twin had written at its burst end means it went on by itself (nobody answered in time): that end
 * no longer says where the lines stop, and the rig falls back to waiting for silence.
 */
export function twinBursts(twin: {
  facts: () => string[];
  received: () => number;
  post: (line: string) => void;
  watch: (cb: () => void) => () => void;
}): BurstEnds {
  const { facts, received, post } = twin;
  let resumed = 0;
  let ready: number | undefined;
  /** The latest burst end, when every line the rig read came before it. */
  const wholeEnd = (): BurstEnd | undefined => {
    const end = lastBurstEnd(facts());
    return end && received() === end.lines ? end : undefined;
  };
  return {
    over: () => {
      const end = wholeEnd();
      ready = end && end.n > resumed ? end.n : undefined;
      return ready !== undefined;
    },
    whole: () => wholeEnd() !== undefined,
    resume: () => {
      if (ready === undefined) return;
      resumed = ready;
      ready = undefined;
      post(`resume ${resumed}`);
    },
    watch: twin.watch,
  };
}
