// Runs a scenario's steps in order against a running target and its broker, and records each as a timeline
// entry: when it began in board time, how long it took, what it saw, and the serial and broker lines that arrived
// meanwhile. The first step that does not hold fails; the steps after it are "not-run". A step the target cannot
// do (a board's clock) is a skip that stops the run too: what follows it would be judged on a false premise.
import {
  pauseBrokerFor,
  reconfigureBroker,
  restartBroker,
  revokeClientCert,
  rotateServerCert,
  stopBrokerFor,
} from '../broker/faults.ts';
import type { BrokerHandle } from '../broker/index.ts';
import { compilePattern, fillVars } from '../format/index.ts';
import type { StepResult } from '../results/schema.ts';
import { stepAction, stepName, type Step } from '../scenario/steps.ts';
import type { LineSource, TargetLevers } from '../target/index.ts';
import { topicMatches, type StepMqtt } from './mqtt.ts';
import { describeStep } from './describe.ts';
import type { Takeover } from './takeover.ts';

export const DEFAULT_WITHIN_MS = 30_000;
const POLL_MS = 25;
const AROUND = 12;

/** Everything steps act on and read. */
export interface StepWorld {
  serial: LineSource;
  levers: TargetLevers;
  broker: BrokerHandle;
  /** The cell's broker log lines so far (its clients' and the broker's own). */
  brokerLog(): string[];
  /** The rig's MQTT client, when a step publishes or expects a message. */
  mqtt?: StepMqtt;
  /** {{topic}} and the like in a publish step. */
  vars: Record<string, string>;
  signal: AbortSignal;
  /** 1-based line of step i in the scenario file, when known. */
  lineOf?(i: number): number | undefined;
  /** Board time (ms) when the steps begin: the target ran this long before its first outcome settled. */
  startMs?: number;
  /** Connects as this client id so the broker drops its connection (rig/steps/takeover.ts); absent: a skip. */
  takeOver?(clientId: string): Promise<Takeover>;
  /** The client ids the board connects with (`disconnect: true` takes over the first). */
  clientIds?(): string[];
}

/** Thrown by a step that does not hold (fail) or that the target cannot do (skip). */
export class StepStop extends Error {
  constructor(
    readonly status: 'fail' | 'skip',
    message: string,
  ) {
    super(message);
  }
}

/** The steps that wait for evidence rather than do something. */
const WAITS = new Set<string>(['waitSerial', 'expectBrokerLog', 'expectReconnect', 'expectMessage']);

/** Where the evidence stood when a step began. */
interface Marks {
  serial: number;
  broker: number;
  at: number;
}

export async function runSteps(steps: Step[], w: StepWorld): Promise<StepResult[]> {
  const t0 = Date.now();
  let advanced = w.startMs ?? 0;
  const boardNow = (): number => Date.now() - t0 + advanced;
  const results: StepResult[] = [];
  // Evidence a waiting step may use counts from the start of the last step that did something (or from boot).
  let lastAction: Marks = { serial: 0, broker: 0, at: t0 };
  let stopped = false;
  // The local ports of the rig's takeover connections: their CONNECT is not the board's reconnect.
  const takers = new Set<number>();
  for (const [i, step] of steps.entries()) {
    const line = w.lineOf?.(i);
    const base = { index: i, name: stepName(step, i), action: stepAction(step), what: describeStep(step) };
    if (stopped) {
      results.push({
        ...base,
        ...(line ? { line } : {}),
        status: 'not-run',
        atMs: boardNow(),
        tookMs: 0,
        serial: [],
        broker: [],
      });
      continue;
    }
    const mark: Marks = { serial: w.serial.lines().length, broker: w.brokerLog().length, at: Date.now() };
    const atMs = boardNow();
    let status: StepResult['status'] = 'pass';
    let detail: string | undefined;
    try {
      const r = await runStep(step, w, lastAction, { boardNow, takers });
      detail = r.detail;
      advanced += r.advancedMs ?? 0;
    } catch (e) {
      if (w.signal.aborted) throw e;
      status = e instanceof StepStop ? e.status : 'fail';
      detail = (e as Error).message;
      stopped = true;
    }
    results.push({
      ...base,
      ...(line ? { line } : {}),
      status,
      atMs,
      tookMs: Date.now() - mark.at,
      ...(detail ? { detail } : {}),
      serial: tail(w.serial.lines().slice(mark.serial)),
      broker: tail(w.brokerLog().slice(mark.broker)),
    });
    if (!WAITS.has(stepAction(step))) lastAction = mark;
  }
  return results;
}

function tail(lines: string[]): string[] {
  return lines.length > AROUND ? [`… ${lines.length - AROUND} earlier line(s)`, ...lines.slice(-AROUND)] : lines;
}

interface Done {
  detail?: string;
  advancedMs?: number;
}

/** What the steps share: the board's clock so far and the ports of the rig's own takeover connections. */
interface StepState {
  boardNow: () => number;
  takers: Set<number>;
}

/** One step; `since` is where its evidence starts (the beginning of the last step that did something). */
async function runStep(step: Step, w: StepWorld, since: Marks, { boardNow, takers }: StepState): Promise<Done> {
  const within = step.withinMs ?? DEFAULT_WITHIN_MS;
  switch (stepAction(step)) {
    case 'waitSerial': {
      const re = compilePattern(step.waitSerial!);
      const found = await waitFor(w, within, () =>
        w.serial
          .lines()
          .slice(since.serial)
          .find((l) => re.test(l)),
      );
      if (found === undefined) throw new StepStop('fail', `no serial line matching /${re.source}/ within ${within} ms`);
      return { detail: found };
    }
    case 'expectBrokerLog': {
      const re = compilePattern(step.expectBrokerLog!);
      const found = await waitFor(w, within, () =>
        w
          .brokerLog()
          .slice(since.broker)
          .find((l) => re.test(l)),
      );
      if (found === undefined)
        throw new StepStop('fail', `no broker log line matching /${re.source}/ within ${within} ms`);
      return { detail: found };
    }
    case 'expectReconnect':
      return expectReconnect(w, since, within, takers);
    case 'expectMessage':
      return expectMessage(step, w, since, within);
    case 'disconnect':
      return disconnect(step, w, takers);
    default:
      return act(step, w, boardNow);
  }
}

/** The steps that do something (rather than wait for evidence). */
async function act(step: Step, w: StepWorld, boardNow: () => number): Promise<Done> {
  const sleep = (ms: number): Promise<void> => sleepUnlessAborted(ms, w.signal);
  switch (stepAction(step)) {
    case 'writeSerial':
      await need(w.levers.writeSerial, 'writing to its serial port')(step.writeSerial!);
      return {};
    case 'reset':
      await need(w.levers.reset, 'a reset')();
      return {};
    case 'wait':
      await sleep(step.wait!);
      return {};
    case 'broker':
      if (step.broker === 'restart') return { detail: await restartBroker(w.broker) };
      if (step.broker === 'pause') return { detail: await pauseBrokerFor(w.broker, step.forMs!, sleep) };
      return { detail: await stopBrokerFor(w.broker, step.forMs!, sleep) };
    case 'rotate':
      return { detail: await rotateServerCert(w.broker, step.rotate!) };
    case 'revoke':
      return { detail: await revokeClientCert(w.broker, step.revoke!) };
    case 'reconfigure':
      return { detail: await reconfigureBroker(w.broker, step.reconfigure!) };
    case 'publish': {
      const p = step.publish!;
      const topic = fillVars(p.topic, w.vars);
      await mqttOf(w).publish(topic, fillVars(p.payload, w.vars), p.qos ?? 0);
      return { detail: `published to ${topic}` };
    }
    case 'clock':
      return clockStep(step, w, boardNow);
    default:
      throw new Error(`step action ${stepAction(step)} has no runner`);
  }
}

async function clockStep(step: Step, w: StepWorld, boardNow: () => number): Promise<Done> {
  const clock = need(
    w.levers.clock,
    "moving the board's clock (a twin's control channel; on a board only a sketch command via writeSerial)",
  );
  const c = step.clock!;
  if (c.calendar !== undefined) {
    await clock({ calendar: Math.floor(Date.parse(c.calendar) / 1000) });
    return { detail: `calendar set to ${new Date(Date.parse(c.calendar)).toISOString()}` };
  }
  if (c.millis !== undefined) {
    const before = boardNow();
    await clock({ millis: c.millis });
    // Board time is the rig's estimate (wall clock plus the moves it made); the twin moved to the exact value.
    return { detail: `millis() moved on to ${c.millis}`, advancedMs: Math.max(0, c.millis - before) };
  }
  await clock({ advanceMs: c.advanceMs! });
  return { detail: `millis() advanced by ${c.advanceMs} ms`, advancedMs: c.advanceMs! };
}

/** Drops a client's connection with a session takeover; the taker's own CONNECT is remembered, not a reconnect. */
async function disconnect(step: Step, w: StepWorld, takers: Set<number>): Promise<Done> {
  const take = need(w.takeOver?.bind(w), "connecting to the broker as another client (the rig's MQTT options)");
  const id = step.disconnect === true ? w.clientIds?.()[0] : step.disconnect;
  if (id === undefined) throw new StepStop('skip', "the board's client id is not known to the rig");
  const t = await take(id);
  takers.add(t.localPort);
  if (t.returnCode !== 0)
    throw new StepStop('fail', `the broker refused the rig's CONNECT as ${id} (CONNACK return code ${t.returnCode})`);
  return { detail: `connected as ${id} (port ${t.localPort}) and left: the broker closes ${id}'s other connection` };
}

/** A new CONNECT from one of the cell's own clients in the broker log (not the rig's observer, step client or
 * takeover connections). */
async function expectReconnect(w: StepWorld, since: Marks, within: number, takers: Set<number>): Promise<Done> {
  const re = /New client connected from \S+?:(\d+) as (\S+)/;
  const found = await waitFor(w, within, () =>
    w
      .brokerLog()
      .slice(since.broker)
      .find((l) => {
        const m = re.exec(l);
        return m !== null && !/^rig-(observer|steps)-/.test(m[2]!) && !takers.has(Number(m[1]));
      }),
  );
  if (found === undefined) throw new StepStop('fail', `the board did not connect again within ${within} ms`);
  return { detail: found };
}

async function expectMessage(step: Step, w: StepWorld, since: Marks, within: number): Promise<Done> {
  const e = step.expectMessage!;
  const topic = fillVars(e.topic, w.vars);
  const re = e.payload !== undefined ? compilePattern(e.payload) : undefined;
  const m = mqttOf(w);
  const found = await waitFor(w, within, () =>
    m.messages.find((x) => x.at >= since.at && topicMatches(topic, x.topic) && (!re || re.test(x.payload))),
  );
  if (!found)
    throw new StepStop('fail', `no message on ${topic}${re ? ` matching /${re.source}/` : ''} within ${within} ms`);
  return { detail: `${found.topic}: ${found.payload.slice(0, 200)}` };
}

function mqttOf(w: StepWorld): StepMqtt {
  if (!w.mqtt) throw new Error("the rig's step client is not connected");
  return w.mqtt;
}

function need<F>(lever: F | undefined, what: string): F {
  if (!lever) throw new StepStop('skip', `this target does not support ${what}`);
  return lever;
}

/** Polls `probe` until it answers or `ms` pass. */
async function waitFor<T>(w: StepWorld, ms: number, probe: () => T | undefined): Promise<T | undefined> {
  const until = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() >= until) return undefined;
    await sleepUnlessAborted(POLL_MS, w.signal);
  }
}

function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('run interrupted'));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new Error('run interrupted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
