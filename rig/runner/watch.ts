// Watches a running target's serial lines until its outcome is settled, and turns what happened into an
// Attempt. The same for twins (pty) and boards (USB): only how the target "ends" differs.
import type { OutcomeClassifier } from '../outcome/classify.ts';
import type { Expectation } from '../scenario/schema.ts';
import type { LineSource, RunningTarget, TargetEnd } from '../target/index.ts';
import type { Attempt } from './attempt.ts';
import { settle } from './settle.ts';

/** Feeds every line the source has and will see to the classifier. */
function feed(source: LineSource, classifier: OutcomeClassifier): () => void {
  let index = source.lines().length;
  source.lines().forEach((l, i) => classifier.feed(l, i));
  return source.onLine((line) => {
    classifier.feed(line, index++);
  });
}

export interface WatchOptions {
  timeoutMs: number;
  signal: AbortSignal;
  expectation: Expectation | undefined;
  /** Read only when the expectation counts messages: attributing them reads the broker log. */
  messages: () => { topic: string; payload: string }[];
  /** The cell's broker log so far, for expected broker lines and the broker's reason. */
  brokerLog: () => string[];
  /** The preparation's timings; `run` is added. */
  timings: Record<string, number>;
}

export async function watchLines(
  target: RunningTarget,
  classifier: OutcomeClassifier,
  o: WatchOptions,
): Promise<Attempt> {
  feed(target.lines, classifier);
  const t0 = Date.now();
  const exit = await settle({
    decided: () => classifier.done,
    exited: target.ended,
    timeoutMs: o.timeoutMs,
    signal: o.signal,
    expectation: o.expectation,
    serial: () => target.lines.lines(),
    messages: o.messages,
    brokerLog: o.brokerLog,
    outcome: () => classifier.result(),
    ...(target.bursts ? { bursts: target.bursts } : {}),
  });
  const timings = { ...o.timings, run: Date.now() - t0 };
  for (const f of target.facts()) classifier.addFact(f);
  const counts = { serialDropped: target.lines.dropped?.() ?? 0, serialCut: target.lines.cut?.() ?? 0 };
  return { ...(await decide(target, exit, classifier, timings, o.timeoutMs)), ...counts };
}

async function decide(
  target: RunningTarget,
  exit: Awaited<ReturnType<typeof settle>>,
  classifier: OutcomeClassifier,
  timings: Record<string, number>,
  timeoutMs: number,
): Promise<Attempt> {
  const serial = target.lines.lines();
  if (exit.kind === 'exited' && !classifier.done)
    return endedEarly(target, await target.ended, classifier, serial, timings);
  if (exit.kind === 'timeout' && !classifier.done) {
    // The rig's cell timeout, not a timeout the board reported (that one is an outcome like any other).
    const last = serial.slice(-3).join(' | ');
    const detail = `the target decided nothing within ${timeoutMs} ms${last ? `; last lines: ${last}` : ''}`;
    return { outcome: { ...classifier.result(), kind: 'no-outcome', detail }, serial, timings };
  }
  return { outcome: classifier.result(), serial, timings };
}

/** The target ended before its outcome was decided: a crash, a port that vanished, or a quiet exit. */
function endedEarly(
  target: RunningTarget,
  end: TargetEnd,
  classifier: OutcomeClassifier,
  serial: string[],
  timings: Record<string, number>,
): Attempt {
  if (end.reason) return { outcome: { ...classifier.result(), kind: 'none' }, serial, timings, infraError: end.reason };
  const words = target.lastWords().trim().split('\n').filter(Boolean).slice(-2).join(' | ');
  const how = `${end.signal ? `killed by ${end.signal}` : `exit code ${end.code}`}${words ? ` (${words})` : ''}`;
  const crashed = end.signal !== null || (end.code ?? 0) !== 0;
  return {
    outcome: { ...classifier.result(), kind: crashed ? 'crash' : 'none', detail: `target ${how}` },
    serial,
    timings,
    ...(crashed ? {} : { infraError: `target exited (${how}) before an outcome` }),
  };
}
