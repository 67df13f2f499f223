// rig.board(): one board (a twin, or a lab board) running a sketch against an API broker, driven from a test:
// expect serial lines, write to its serial input, reset it, and ask for its classified outcome. The board is a
// one-cell scenario built from the options and run through the target layer (rig/target), as the runner runs a cell.
import path from 'node:path';
import { loadBoards } from '../boards/load.ts';
import type { BoardProfile } from '../boards/profile.ts';
import { OutcomeClassifier } from '../outcome/classify.ts';
import { refineOutcome } from '../outcome/refine.ts';
import { ownedTempDir } from '../process/tempdir.ts';
import { projectPaths } from '../project.ts';
import type { Outcome } from '../results/schema.ts';
import { resolveVariant } from '../scenario/resolve.ts';
import { Scenario, type ClientSpec } from '../scenario/schema.ts';
import { watchLines } from '../runner/watch.ts';
import { sandboxSupport } from '../sandbox/index.ts';
import {
  targetDrivers,
  type LabOptions,
  type PreparedTarget,
  type RunningTarget,
  type TargetCell,
} from '../target/index.ts';
import type { Broker } from './broker.ts';
import { track } from './live.ts';
import { SerialLog } from './serial-log.ts';

export interface BoardOptions {
  /** The broker the board connects to. */
  broker: Broker;
  target?: 'twin' | 'hardware';
  /** The sketch folder (name/name.ino), relative to the working folder; default the board's probe sketch. */
  sketch?: string;
  /** Extra SECRET_* values for the sketch's arduino_secrets.h (the scenario's client.config). */
  config?: Record<string, string | number | boolean>;
  /** The core version a twin imitates (default: the profile's first). */
  core?: string;
  /** What the sketch is told beyond config: the scenario file's `client:` fields (connect, port, ca, cert, …). */
  client?: Omit<ClientSpec, 'config'>;
  /** Library name → version the twin imitates (the scenario's `libraries:`). */
  libraries?: Record<string, string>;
  /** Default timeout of outcome() in ms, before the profile's timeoutMultiplier (default 30000). */
  timeoutMs?: number;
  /** Run a twin inside the sandbox (default: when this machine has one). */
  sandbox?: boolean;
  /** The lab for hardware boards (default rig.lab.yaml or RIG_LAB). */
  lab?: LabOptions;
}

export interface Board extends AsyncDisposable {
  readonly id: string;
  readonly target: 'twin' | 'hardware';
  readonly profile: BoardProfile;
  /** The MQTT client id and base topic the sketch was given (the probe publishes <topic>/up, echoes <topic>/cmd). */
  readonly clientId: string;
  readonly topic: string;
  /** Serial lines since the last start or reset. */
  lines(): string[];
  /** The next serial line (after the last one expected) matching the pattern; rejects on timeout or end. */
  expect(pattern: RegExp | string, o?: { timeoutMs?: number }): Promise<string>;
  /** Sends a line to the board's serial input (a newline is added). */
  write(line: string): Promise<void>;
  /** The outcome the runner would classify from this start's serial lines and the broker's log. */
  outcome(o?: { timeoutMs?: number }): Promise<Outcome>;
  /** Ends the board and starts it again (a twin: a fresh process; a board: its port reopened and reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

let profiles: Promise<Map<string, BoardProfile>> | undefined;

export async function startApiBoard(id: string, o: BoardOptions): Promise<Board> {
  const profile = (await (profiles ??= loadBoards(projectPaths().boards))).get(id);
  if (!profile)
    throw new TypeError(`rig.board: no board profile "${id}" (have: ${[...(await profiles).keys()].join(', ')})`);
  const target = o.target ?? 'twin';
  const driver = (await targetDrivers([target], o.lab ?? {})).get(target)!;
  const owned = ownedTempDir('rig-api-board-');
  const abort = new AbortController();
  const cell = targetCell(id, profile, o, driver.brokerIp, owned.dir, abort.signal);
  let prepared: PreparedTarget;
  try {
    prepared = await driver.prepare(cell);
  } catch (e) {
    owned.remove();
    throw e;
  }
  const b = new ApiBoard(cell, target, prepared, o.broker, () => {
    abort.abort();
    owned.remove();
  });
  try {
    await b.start();
  } catch (e) {
    await b.stop();
    throw e;
  }
  return b;
}

function targetCell(
  id: string,
  profile: BoardProfile,
  o: BoardOptions,
  brokerIp: string,
  cellDir: string,
  signal: AbortSignal,
): TargetCell {
  const paths = projectPaths();
  const cwd = process.cwd();
  const scenario = Scenario.parse({
    version: 1,
    id: `api-${id}`,
    pki: o.broker.pki.spec,
    broker: o.broker.spec,
    boards: [id],
    ...(o.sketch ? { sketch: path.resolve(cwd, o.sketch) } : {}),
    ...(o.libraries ? { libraries: o.libraries } : {}),
    client: { ...(o.client ?? {}), ...(o.config ? { config: o.config } : {}) },
    expect: {},
  });
  const rv = resolveVariant(scenario, 'default', { 'broker.ip': brokerIp });
  return {
    id: `api/${id}${o.core ? `@${o.core}` : ''}`,
    board: profile,
    ...(o.core ? { core: o.core } : {}),
    // A relative sketch path is the test's (its working folder); the board's probe sketch is the rig's.
    scenarioFile: path.join(cwd, 'rig-api'),
    rv,
    pki: o.broker.pki.bundle,
    broker: o.broker.handle,
    cellDir,
    paths,
    timeoutMs: Math.round((o.timeoutMs ?? 30_000) * profile.timeoutMultiplier),
    sandbox: o.sandbox ?? sandboxSupport().ok,
    signal,
    secret: () => undefined,
  };
}

/** The target's serial input (a twin's pty, a board's USB port): one line, the lever appends the newline. */
function serialInput(t: RunningTarget): ((line: string) => Promise<void>) | undefined {
  const write = t.levers?.writeSerial;
  return write ? (line) => write(line) : undefined;
}

class ApiBoard implements Board {
  readonly id: string;
  readonly profile: BoardProfile;
  readonly clientId: string;
  readonly topic: string;
  private running: RunningTarget | undefined;
  private readonly serial = new SerialLog();
  private brokerFrom = 0;
  private stopping: Promise<void> | undefined;
  private readonly untrack: () => void;

  constructor(
    private readonly cell: TargetCell,
    readonly target: 'twin' | 'hardware',
    private readonly prepared: PreparedTarget,
    private readonly broker: Broker,
    private readonly release: () => void,
  ) {
    this.id = cell.board.id;
    this.profile = cell.board;
    this.clientId = prepared.clientIds[0] ?? '';
    this.topic = cell.rv.client.topic;
    const label = `${target} ${cell.id.replace(/^api\//, '')}`;
    this.untrack = track({
      label,
      stop: () => this.stop(),
      logs: () => ({ title: `serial: ${label}`, lines: this.serial.history() }),
    });
  }

  /** Starts the prepared target with a fresh serial log. */
  async start(): Promise<void> {
    this.brokerFrom = this.broker.log().length;
    const t = await this.prepared.start();
    this.running = t;
    this.serial.follow(t.lines, t.ended);
  }

  lines(): string[] {
    return this.serial.lines();
  }

  expect(pattern: RegExp | string, o: { timeoutMs?: number } = {}): Promise<string> {
    return this.serial.expect(pattern, o.timeoutMs ?? 10_000, this.cell.id);
  }

  async write(line: string): Promise<void> {
    const t = this.live();
    const input = serialInput(t);
    if (!input) throw new Error(`${t.label} has no serial input`);
    await input(line);
  }

  async outcome(o: { timeoutMs?: number } = {}): Promise<Outcome> {
    const t = this.live();
    const brokerLog = (): string[] => this.broker.log().slice(this.brokerFrom);
    const timeoutMs =
      o.timeoutMs !== undefined ? Math.round(o.timeoutMs * this.profile.timeoutMultiplier) : this.cell.timeoutMs;
    const a = await watchLines(t, new OutcomeClassifier(this.profile.outcome), {
      timeoutMs,
      signal: this.cell.signal,
      expectation: undefined,
      messages: () => [],
      brokerLog,
      timings: {},
    });
    if (a.infraError) throw new Error(`${t.label}: ${a.infraError}`);
    return refineOutcome(a.outcome, brokerLog());
  }

  async reset(): Promise<void> {
    await this.live().stop();
    this.serial.restart();
    await this.start();
  }

  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      try {
        await this.running?.stop();
      } finally {
        this.release();
        this.untrack();
      }
    })());
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  private live(): RunningTarget {
    if (!this.running || this.stopping) throw new Error(`board ${this.cell.id} is stopped`);
    return this.running;
  }
}
