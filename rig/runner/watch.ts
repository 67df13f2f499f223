// Watches a running target's serial lines until its outcome is settled, and turns what happened into an
// Attempt. Shared by twins (pty) and boards (USB): only how the target "exits" differs.
import { OutcomeClassifier } from '../outcome/classify.ts';
import type { SerialCapture } from '../serial/capture.ts';
import type { Attempt, CellEnv } from './attempt.ts';
import { settle } from './settle.ts';

export interface TargetEnd {
  code: number | null;
  signal: string | null;
  reason?: string;
}

export function newClassifier(env: CellEnv): OutcomeClassifier {
  return new OutcomeClassifier(env.plan.board.outcome);
}

/** Feeds every line the capture sees to the classifier, from now on. */
export function feed(capture: SerialCapture, classifier: OutcomeClassifier): () => void {
  let index = capture.lines().length;
  capture.lines().forEach((l, i) => classifier.feed(l, i));
  return capture.onLine((line) => {
    classifier.feed(line, index++);
  });
}

export interface WatchHooks {
  /** Facts that arrive outside the serial stream (a twin's side channel), read once settled. */
  lateFacts?: () => string[];
  /** What the target said about its own end, beyond the serial port (a twin's stderr). */
  lastWords?: () => string;
}

export async function watch(
  env: CellEnv,
  capture: SerialCapture,
  classifier: OutcomeClassifier,
  ended: Promise<TargetEnd>,
  hooks: WatchHooks,
  timings: Record<string, number>,
): Promise<Attempt> {
  const t0 = Date.now();
  const exit = await settle({
    decided: () => classifier.done,
    exited: ended,
    timeoutMs: env.timeoutMs,
    signal: env.signal,
    expectation: env.plan.expectation,
    serial: () => capture.lines(),
    messages: () => env.clients.messages().counted,
  });
  timings.run = Date.now() - t0;
  for (const f of hooks.lateFacts?.() ?? []) classifier.addFact(f);
  const serial = capture.lines();
  if (exit.kind === 'exited' && !classifier.done) {
    const words = hooks.lastWords?.().trim().split('\n').filter(Boolean).slice(-2).join(' | ');
    const how = `${exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`}${words ? ` (${words})` : ''}`;
    const crashed = exit.signal !== null || (exit.code ?? 0) !== 0;
    const end = await ended;
    if (end.reason)
      return { outcome: { ...classifier.result(), kind: 'none' }, serial, timings, infraError: end.reason };
    return {
      outcome: { ...classifier.result(), kind: crashed ? 'crash' : 'none', detail: `target ${how}` },
      serial,
      timings,
      ...(crashed ? {} : { infraError: `target exited (${how}) before an outcome` }),
    };
  }
  if (exit.kind === 'timeout' && !classifier.done) {
    const last = serial.slice(-3).join(' | ');
    return {
      outcome: {
        ...classifier.result(),
        kind: 'timeout',
        detail: `no outcome within ${env.timeoutMs} ms${last ? `; last lines: ${last}` : ''}`,
      },
      serial,
      timings,
    };
  }
  return { outcome: classifier.result(), serial, timings };
}
