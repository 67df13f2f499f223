// The contract every target keeps (twin, hardware board, host control), so the runner treats them alike:
//
//   driver.prepare(cell)  → PreparedTarget   build the sketch, flash the board, ready the client (may take long)
//   prepared.start()      → RunningTarget    run it with its serial port open before it boots
//   running.lines / ended / facts() / clientIds()   the evidence, as it arrives
//   running.stop()                           end it and free what it held (port, board lock, process)
//
// A driver throws TargetError (rig/errors.ts) with its kind, whether a retry can help and the tool's own
// words; it never decides a cell's status. Watching the lines and judging them is the runner's job.
import type { BoardProfile } from '../boards/profile.ts';
import type { BrokerHandle } from '../broker/index.ts';
import type { PkiBundle } from '../pki/index.ts';
import type { ProjectPaths } from '../project.ts';
import type { Outcome } from '../results/schema.ts';
import type { ResolvedVariant } from '../scenario/resolve.ts';

export type TargetName = 'twin' | 'hardware' | 'host';

/** What a driver needs to know about one cell. */
export interface TargetCell {
  /** scenario/variant/board[@core], for names and locks. */
  id: string;
  board: BoardProfile;
  /** The core version a twin imitates (its profile's first when absent). */
  core?: string;
  /** The scenario file: a sketch path may be relative to its folder. */
  scenarioFile: string;
  rv: ResolvedVariant;
  pki: PkiBundle;
  broker: BrokerHandle;
  /** The cell's own folder in the run (facts, notes; uploaded with the report). */
  cellDir: string;
  /** The run's folder (run-wide notes such as the lab's board health). */
  runDir?: string;
  paths: ProjectPaths;
  timeoutMs: number;
  sandbox: boolean;
  signal: AbortSignal;
  /** Registers a value no report may show: a password or key the sketch receives. */
  secret(value: string): void;
  /** Tells the terminal what the cell is doing now (building host core, compiling, flashing, running). */
  phase?: (phase: string) => void;
  /** arduino-cli libraries folders with the user's own libraries (rig run --libraries), for twin builds. */
  librariesDirs?: string[];
  /** rig run --real-time: twins wait in real time, not on virtual time. */
  realTime?: boolean;
  /**
   * The caller watches the target with settle() from start to stop (the runner), which answers a twin's burst
   * ends (RunningTarget.bursts); without it a twin on virtual time pauses at a burst end by itself.
   */
  answersBursts?: boolean;
}

/** How a target ended by itself: an exit code or signal, or why its port went away. */
export interface TargetEnd {
  code: number | null;
  signal: string | null;
  reason?: string;
}

/** Serial lines as they arrive, kept in a rolling buffer. */
export interface LineSource {
  lines(): string[];
  onLine(cb: (line: string) => void): () => void;
  /** Lines dropped from the front of the rolling buffer (a flood), when the source counts them. */
  dropped?(): number;
  /** Lines cut because they were too long, when the source counts them. */
  cut?(): number;
}

/** A clock step: millis() moved on without waiting (by a span, or until it reads a value), or the calendar set (epoch seconds). */
export type ClockMove = { advanceMs: number } | { millis: number } | { calendar: number };

/**
 * What steps (rig/steps) can do to a running target beyond reading it. A part that is absent is unsupported on
 * that target (a board's clock, a host control's serial), and a step that needs it says so.
 */
export interface TargetLevers {
  writeSerial?(text: string): Promise<void>;
  /** Resets the board; its serial lines go on in the same source. */
  reset?(): Promise<void>;
  /** Resolves once the target applied it (a twin acknowledges on its control channel). */
  clock?(move: ClockMove): Promise<void>;
}

export interface RunningTarget {
  levers?: TargetLevers;
  /** Names it in cleanup messages ("twin esp32-…", "board nodemcu-1"). */
  label: string;
  lines: LineSource;
  /** Resolves when the target ends by itself; never when it is stopped. */
  ended: Promise<TargetEnd>;
  /** Facts outside the serial stream (a twin's side channel), read once its outcome is settled. */
  facts(): string[];
  /** MQTT client ids it connected with, as far as it reports them. */
  clientIds(): string[];
  /** What it said about its own end beyond the serial port (a twin's stderr). */
  lastWords(): string;
  /** Set by a target that says where its bursts of serial lines end (a twin on virtual time). */
  bursts?: BurstEnds;
  /** Set by a target that classifies its own outcome (a host control client) instead of printing lines. */
  outcome?: Promise<Outcome>;
  /** Ends it and frees what it holds. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A target that waits at the end of each burst of serial lines until the rig has read it (rig/target/twin-bursts.ts):
 * the rig judges a burst as soon as it is whole, instead of after a silence.
 */
export interface BurstEnds {
  /** It waits at a burst end, and the rig has read every line up to there and none after. */
  over(): boolean;
  /**
   * Every line the rig read came before its latest burst end, resumed or not: the burst they belong to is whole
   * (the next begins at least a burst gap of board time later, and it would say where that one ends).
   */
  whole(): boolean;
  /** Lets it go on past the burst end over() saw. */
  resume(): void;
  /** Calls back when over() may have changed (a line read, a fact written); returns the unsubscribe. */
  watch(cb: () => void): () => void;
}

export interface PreparedTarget {
  /** How long each preparation step took (build, flash, …), for the report. */
  timings: Record<string, number>;
  /** The MQTT client ids the rig gave it (its arduino_secrets.h or its command line). */
  clientIds: string[];
  /** What the preparation wants the report to say beyond the outcome (arduino-cli's warnings for a board). */
  notes?: string[];
  /** "modelled: WINC1500 19.6.1": the cell's TLS is a model of a module's firmware (rig/target/module.ts). */
  modelled?: string;
  /** Starts it; on failure it has freed what it held. */
  start(): Promise<RunningTarget>;
}

export interface TargetDriver {
  readonly name: TargetName;
  /** The broker address this target reaches (127.0.0.1 on this host; the lab's LAN address for boards). */
  readonly brokerIp: string;
  /** False when a target cannot say which client id it used (a board): the broker log tells. */
  readonly reportsClientIds: boolean;
  /** Builds and loads the cell's sketch; on failure it has freed what it held. */
  prepare(cell: TargetCell): Promise<PreparedTarget>;
}
