// After a cell's first outcome, its scenario's steps (rig/steps) on the same running target and broker: the
// attempt gets the timeline and the serial lines up to the last step.
import { readText } from '../format/index.ts';
import { ScenarioPositions } from '../scenario/positions.ts';
import { variantSteps } from '../scenario/step-check.ts';
import type { Step } from '../scenario/steps.ts';
import { runSteps, StepMqtt, takeOverSession, type StepMqttOptions } from '../steps/index.ts';
import type { RunningTarget, TargetCell } from '../target/index.ts';
import type { CellPlan } from './plan.ts';
import { observerOptions, type BrokerSession } from './session.ts';
import { AttemptAborted, type Attempt, type AttemptContext } from './attempt.ts';

export interface AttemptSteps {
  list: Step[];
  /** 1-based line of step i in the scenario file. */
  lineOf(i: number): number | undefined;
  /** How the rig's own MQTT client reaches the broker (publish and expectMessage steps). */
  mqtt: Omit<StepMqttOptions, 'subscribe'>;
  /** The client topic, for {{topic}}. */
  topic: string;
}

export async function unfold(
  a: Attempt,
  target: RunningTarget,
  cell: TargetCell,
  s: AttemptSteps,
  w: AttemptContext,
): Promise<Attempt> {
  const vars = { topic: s.topic };
  const wantsMqtt = s.list.some((x) => x.publish !== undefined || x.expectMessage !== undefined);
  const subscribe = [
    ...new Set(
      s.list.flatMap((x) => (x.expectMessage ? [x.expectMessage.topic.replaceAll('{{topic}}', s.topic)] : [])),
    ),
  ];
  const t0 = Date.now();
  let mqtt: StepMqtt | undefined;
  try {
    mqtt = wantsMqtt ? await StepMqtt.connect({ ...s.mqtt, subscribe }) : undefined;
  } catch (e) {
    return { ...a, infraError: (e as Error).message };
  }
  try {
    const steps = await runSteps(s.list, {
      serial: target.lines,
      levers: target.levers ?? {},
      broker: cell.broker,
      brokerLog: () => w.clients.brokerLog(),
      ...(mqtt ? { mqtt } : {}),
      vars,
      signal: cell.signal,
      lineOf: s.lineOf,
      startMs: a.timings.run ?? 0,
      // A disconnect step takes the board's session over with the same credentials the rig's clients use.
      takeOver: (id) => takeOverSession(s.mqtt, id),
      clientIds: () => target.clientIds(),
    });
    return { ...a, steps, serial: target.lines.lines(), timings: { ...a.timings, steps: Date.now() - t0 } };
  } catch (e) {
    if (cell.signal.aborted) throw new AttemptAborted('run interrupted');
    // A fault the rig could not make (a broker that would not come back): the rig's error, with its words.
    return { ...a, serial: target.lines.lines(), infraError: `steps: ${(e as Error).message}` };
  } finally {
    await mqtt?.close();
  }
}

/** The steps a cell's variant runs, with their lines in the scenario file; undefined for a one-moment scenario. */
export async function stepsFor(p: CellPlan, s: BrokerSession): Promise<AttemptSteps | undefined> {
  const scenario = p.loaded.scenario;
  const list = variantSteps(scenario, p.variant);
  if (!list.length) return undefined;
  const own = scenario.variants[p.variant]?.steps !== undefined;
  const at = own ? ['variants', p.variant, 'steps'] : ['steps'];
  const positions = await readText(p.loaded.file)
    .then((t) => new ScenarioPositions(t))
    .catch(() => undefined);
  const { topic, ...mqtt } = observerOptions(s.rv, s.pki, s.broker);
  return { list, lineOf: (i) => positions?.at([...at, i])?.line, mqtt, topic };
}
