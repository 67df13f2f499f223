// Checks one cell's evidence against the scenario's expectation; every unmet part becomes one failure line.
import type { Expectation } from '../scenario/schema.ts';
import type { Outcome } from '../results/schema.ts';
import { describeOutcome } from './refine.ts';
// User patterns run on the linear-time engine: a catastrophic pattern cannot hang the rig (rig/format/pattern.ts).
import { compilePattern } from '../format/index.ts';
import { topicMatches } from '../format/topic.ts';

export interface Evidence {
  outcome: Outcome;
  serial: string[];
  /** The broker log lines of this cell: naming one of its client ids, or no client at all. */
  brokerLog: string[];
  /** Messages the observer received that one of this cell's clients published: topic and payload text. */
  messages: { topic: string; payload: string }[];
  /** Messages the observer received that did not count for this cell, and why (named when a count falls short). */
  unattributed?: { topic: string; payload: string; why: string }[];
}

export interface Verdict {
  ok: boolean;
  failures: string[];
  matchedLines: number[];
}

export function serialExpect(e: Expectation): { see: string[]; notSee: string[]; ordered: boolean } {
  if (!e.serial) return { see: [], notSee: [], ordered: false };
  if (Array.isArray(e.serial)) return { see: e.serial, notSee: [], ordered: false };
  return { see: e.serial.see ?? [], notSee: e.serial.notSee ?? [], ordered: e.serial.ordered ?? false };
}

export { topicMatches };

function codeMatches(expected: string, outcome: Outcome): boolean {
  const norm = (c: string): string => c.toLowerCase();
  return [outcome.code, ...(outcome.facts ?? [])].some((c) => c !== undefined && norm(c) === norm(expected));
}

/** The outcome parts of an expectation: `kind` is met by the board's kind or the broker's refinement of it. */
function outcomeFailures(e: Expectation, o: Outcome): string[] {
  const failures: string[] = [];
  const got = describeOutcome(o);
  if (e.kind && o.kind !== e.kind && o.refinedKind !== e.kind) failures.push(`expected kind ${e.kind}, got ${got}`);
  if (e.boardKind && o.kind !== e.boardKind)
    failures.push(`expected board kind ${e.boardKind}, got ${o.kind}${o.code ? ` (${o.code})` : ''}`);
  if (e.brokerReason && !compilePattern(e.brokerReason).test(o.brokerReason ?? ''))
    failures.push(`expected broker reason /${e.brokerReason}/, got ${o.brokerReason ? `"${o.brokerReason}"` : 'none'}`);
  if (e.code && !codeMatches(e.code, o))
    failures.push(`expected code ${e.code}, got ${got}; facts: ${(o.facts ?? []).join(' ') || 'none'}`);
  return failures;
}

export function evaluate(e: Expectation, ev: Evidence): Verdict {
  const failures = outcomeFailures(e, ev.outcome);
  const matched = new Set<number>();

  const { see, notSee, ordered } = serialExpect(e);
  let from = 0;
  for (const src of see) {
    const re = compilePattern(src);
    const start = ordered ? from : 0;
    const idx = ev.serial.findIndex((l, i) => i >= start && re.test(l));
    if (idx < 0) failures.push(`serial never showed /${src}/${ordered && from > 0 ? ' after the previous match' : ''}`);
    else {
      matched.add(idx);
      from = idx + 1;
    }
  }
  for (const src of notSee) {
    const re = compilePattern(src);
    const idx = ev.serial.findIndex((l) => re.test(l));
    if (idx >= 0) {
      failures.push(`serial showed /${src}/ at line ${idx + 1}: ${ev.serial[idx]}`);
      matched.add(idx);
    }
  }
  for (const src of e.brokerLog ?? []) {
    const re = compilePattern(src);
    if (!ev.brokerLog.some((l) => re.test(l))) failures.push(`broker log never showed /${src}/`);
  }
  for (const m of e.messages ?? []) {
    const re = m.payload ? compilePattern(m.payload) : undefined;
    const fits = (x: { topic: string; payload: string }): boolean =>
      topicMatches(m.topic, x.topic) && (!re || re.test(x.payload));
    const n = ev.messages.filter(fits).length;
    if (n < m.count) {
      const others = (ev.unattributed ?? []).filter(fits);
      const whys = [...new Set(others.map((x) => x.why))].slice(0, 3).join('; ');
      failures.push(
        `broker saw ${n} message(s) from this cell on ${m.topic}${re ? ` matching /${m.payload}/` : ''}, expected ${m.count}` +
          (others.length ? ` (${others.length} more not counted: ${whys})` : ''),
      );
    }
  }
  return { ok: failures.length === 0, failures, matchedLines: [...matched].sort((a, b) => a - b) };
}
