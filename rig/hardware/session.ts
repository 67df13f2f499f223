// One cell on a real board, as explicit states (labgrid's strategies): idle → locked (one cell per physical
// board, across processes) → built (arduino-cli compile from a sketch.yaml profile, cached by image hash) →
// flashed (only when the board does not already carry this image) → open (serial opened before reset: opening
// flushes) → reset (the boot banner is evidence) → closed (port closed, board free). `to(state)` walks every
// step up to that state. Recovery is explicit too: a board that stopped answering (not attached, no sync on
// upload, its port vanished) is marked suspect in the lab's health; its next session goes locked → recovering
// (power-cycle through its hub port or relay, re-found by serial number) → locked, or → out-of-service when it
// does not come back, and a board out of service is not attempted again that night.
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { BoardProfile, HardwareProfile } from '../boards/profile.ts';
import type { SerialBinding, SerialCapture } from '../serial/capture.ts';
import { buildImage, fqbnFor, hardwareOf, type BuildInfo } from './build.ts';
import { TargetError } from '../errors.ts';
import { FlashLedger, uploadImage, type UploadResult } from './flash.ts';
import { LabHealth, outOfServiceMessage } from './health.ts';
import { listAttached, portsMatching, type AttachedPort, type LabBoard } from './inventory.ts';
import { acquireAnyLock, type LockHandle } from './lock.ts';
import { powerCycle, type PowerOptions } from './power.ts';
import { writeReproduction } from './reproduce.ts';
import { openBoardSerial, resetBoard, waitForBoardPort, type ResetOutcome } from './serial.ts';

export interface HardwareCellOptions {
  profile: BoardProfile;
  /** The inventory board, or several interchangeable ones: the first attached and free one is used. */
  board: LabBoard | LabBoard[];
  sketchDir: string;
  /**
   * Generated arduino_secrets.h text (WiFi, broker address, CA): part of the image hash, never logged. A
   * function when the header depends on the board that is picked (a MKR1000's certificate for its ECC508 key).
   */
  secretsHeader: string | ((board: LabBoard) => Promise<string>);
  runDir: string;
  /** Budget for the board to come back after upload etc.; build and upload have their own limits. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Images, flash records and board locks (default $RIG_HARDWARE_STATE or ~/.cache/rig/hardware). */
  stateDir?: string;
  cli?: string;
  binding?: SerialBinding;
  list?: () => Promise<AttachedPort[]>;
  fqbnVariant?: string;
  /** The cell's board menu options, extra defines and library pins (scenario build.<board>, libraries). */
  fqbnOptions?: Record<string, string>;
  defines?: string[];
  libraries?: Record<string, string>;
  forceFlash?: boolean;
  cellId?: string;
  log?: (line: string) => void;
  /** Told when a timed step starts (wait-board, build, flash, reenumerate): the live terminal's phase. */
  onStep?: (step: string) => void;
  /** The lab's board health (default: <stateDir>/health). */
  health?: LabHealth;
  /** How uhubctl is run when a board is power-cycled. */
  power?: PowerOptions;
  /** How long a power-cycled board may take to show up again (default 30 s). */
  recoverTimeoutMs?: number;
}

export type FlashReason = 'image-changed' | 'forced' | 'upload-is-the-only-reset';

export interface HardwareCell {
  /** The board that ran the cell (one of the candidates). */
  board: LabBoard;
  capture: SerialCapture;
  build: BuildInfo;
  flashed: boolean;
  flashReason?: FlashReason;
  upload?: UploadResult;
  port: string;
  reset: ResetOutcome;
  timings: Record<string, number>;
  /** Resolves with a TargetError if the port vanishes before close() (USB unplugged, board crashed its USB). */
  ended: Promise<TargetError | undefined>;
  /** Closes the serial port and frees the board for the next cell. Idempotent. */
  close(): Promise<void>;
}

export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.RIG_HARDWARE_STATE ?? join(homedir(), '.cache', 'rig', 'hardware');
}

export type BoardState =
  'idle' | 'locked' | 'recovering' | 'built' | 'flashed' | 'open' | 'reset' | 'out-of-service' | 'closed';
/** The way to a running board. */
const ORDER: BoardState[] = ['idle', 'locked', 'built', 'flashed', 'open', 'reset'];
/** Every transition a session may make; anything else is a bug. */
export const TRANSITIONS: Readonly<Record<BoardState, readonly BoardState[]>> = {
  idle: ['locked', 'closed'],
  locked: ['recovering', 'built', 'closed'],
  recovering: ['locked', 'out-of-service', 'closed'],
  built: ['flashed', 'closed'],
  flashed: ['open', 'closed'],
  open: ['reset', 'closed'],
  reset: ['closed'],
  'out-of-service': ['closed'],
  closed: [],
};
/** Errors that mean the board itself stopped answering (not the tool, the sketch or a busy port). */
const UNRESPONSIVE = new Set(['no-board', 'timeout', 'serial']);

export class BoardSession {
  state: BoardState = 'idle';
  readonly timings: Record<string, number> = {};
  private readonly hw: HardwareProfile;
  private readonly stateDir: string;
  private readonly log: (line: string) => void;
  private readonly list: () => Promise<AttachedPort[]>;
  readonly health: LabHealth;
  private held?: { board: LabBoard; identity: string; lock: LockHandle };
  private image?: BuildInfo;
  private port = '';
  private flash?: { reason: FlashReason; upload: UploadResult };
  private capture?: SerialCapture;
  private resetOutcome?: ResetOutcome;
  private readonly onAbort = (): void => {
    void this.close();
  };

  constructor(private readonly o: HardwareCellOptions) {
    this.hw = hardwareOf(o.profile);
    this.stateDir = o.stateDir ?? defaultStateDir();
    this.log = o.log ?? (() => undefined);
    this.list = o.list ?? (() => listAttached({ cli: o.cli ?? true, warn: this.log }));
    this.health = o.health ?? new LabHealth(join(this.stateDir, 'health'));
  }

  private go(next: BoardState): void {
    if (!TRANSITIONS[this.state].includes(next))
      throw new Error(`board session: no transition ${this.state} → ${next}`);
    this.state = next;
  }

  /** Walks every step up to `state`; on failure the board is closed (port closed, lock released). */
  async to(state: Exclude<BoardState, 'idle' | 'closed' | 'recovering' | 'out-of-service'>): Promise<void> {
    const steps: Record<string, () => Promise<void>> = {
      locked: () => this.lock(),
      built: () => this.build(),
      flashed: () => this.flashIfNeeded(),
      open: () => this.open(),
      reset: () => this.reset(),
    };
    let next: BoardState | undefined;
    try {
      while (ORDER.indexOf(this.state) < ORDER.indexOf(state)) {
        if (this.isClosed()) throw new TargetError('generic', `board session closed before ${state}`);
        next = ORDER[ORDER.indexOf(this.state) + 1]!;
        await steps[next]!();
        // Aborted while the step ran: the board is already closed and free; go no further.
        if (this.isClosed()) throw new TargetError('generic', `board session closed during ${next}`);
        if (this.state !== next) this.go(next);
      }
    } catch (e) {
      await this.markIfUnresponsive(next, e);
      await this.close();
      throw e;
    }
  }

  /** The board itself stopped answering while being flashed or started: power-cycle it before its next cell. */
  private async markIfUnresponsive(step: BoardState | undefined, e: unknown): Promise<void> {
    if (!this.held || this.isClosed() || !(e instanceof TargetError) || !UNRESPONSIVE.has(e.kind)) return;
    if (step !== 'flashed' && step !== 'open' && step !== 'reset') return;
    const h = await this.health.suspect(this.held.board.name, e.message);
    this.log(`${this.held.board.name}: ${h.state === 'out-of-service' ? outOfServiceMessage(h) : 'suspect'}`);
  }

  /** What the cell needs once the board runs (state `reset`). */
  cell(): HardwareCell {
    if (this.state !== 'reset' || !this.held || !this.image || !this.capture || !this.resetOutcome)
      throw new Error(`board session is ${this.state}, not reset`);
    const { board } = this.held;
    const cap = this.capture;
    const port = this.port;
    const ended = cap.ended.then(async (e) => {
      if (!e || this.state === 'closed') return undefined;
      const err = new TargetError('serial', `serial port ${port} of ${board.name} vanished: ${e.message}`, {
        toolMessage: e.message,
        cause: e,
      });
      await this.health.suspect(board.name, err.message).catch(() => undefined);
      return err;
    });
    return {
      board,
      capture: cap,
      build: this.image,
      flashed: !!this.flash,
      flashReason: this.flash?.reason,
      upload: this.flash?.upload,
      port,
      reset: this.resetOutcome,
      timings: this.timings,
      ended,
      close: () => this.close(),
    };
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Closes the serial port and frees the board for the next cell. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.go('closed');
    this.o.signal?.removeEventListener('abort', this.onAbort);
    try {
      await this.capture?.close();
    } finally {
      await this.held?.lock.release();
    }
  }

  private async timed<T>(name: string, f: () => Promise<T>): Promise<T> {
    this.o.onStep?.(name);
    const t = performance.now();
    try {
      return await f();
    } finally {
      this.timings[name] = Math.round(performance.now() - t);
    }
  }

  /**
   * One cell per physical board, across processes too (two CI jobs on one lab host). Among several
   * interchangeable boards, prefer attached ones so a board that is unplugged is not waited for; a board out of
   * service tonight is not a candidate at all. A suspect board is recovered once it is held.
   */
  private async lock(): Promise<void> {
    const all = Array.isArray(this.o.board) ? this.o.board : [this.o.board];
    if (all.length === 0) throw new TargetError('no-board', `no lab board for profile ${this.o.profile.id}`);
    const usable = await this.inService(all);
    const attachedNow = usable.length > 1 ? await this.list() : [];
    const present = usable.filter((b) => portsMatching(b, attachedNow).ports.length === 1);
    const candidates = usable.length > 1 && present.length ? present : usable;
    const { index, lock } = await this.timed('wait-board', () =>
      acquireAnyLock(
        candidates.map((b) => join(this.stateDir, 'locks', `${b.name}.lock`)),
        {
          owner: this.o.cellId ?? `cell on ${candidates.map((b) => b.name).join('|')}`,
          signal: this.o.signal,
        },
      ),
    );
    const board = candidates[index]!;
    this.held = { board, identity: board.serial ?? board.location ?? board.name, lock };
    this.o.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.go('locked');
    if ((await this.health.get(board.name)).state === 'suspect') await this.recover();
  }

  /** The candidates not out of service tonight; when none is left, the cell is an error nobody retries. */
  private async inService(all: LabBoard[]): Promise<LabBoard[]> {
    const health = await Promise.all(all.map((b) => this.health.get(b.name)));
    const usable = all.filter((_, i) => health[i]!.state !== 'out-of-service');
    if (usable.length) return usable;
    throw new TargetError('no-board', health.map(outOfServiceMessage).join('; '), { retryable: false });
  }

  /** locked → recovering → locked: power-cycle the board and find it again by serial number (or location). */
  private async recover(): Promise<void> {
    const { board } = this.held!;
    this.go('recovering');
    const how = board.power
      ? 'hub' in board.power
        ? `uhubctl hub ${board.power.hub} port ${board.power.port}`
        : 'its relay'
      : '';
    try {
      await this.timed('power-cycle', async () => {
        if (board.power) await powerCycle(board.name, board.power, { ...this.o.power, signal: this.o.signal });
        else await this.health.note(board.name, 'no power control in rig.lab.yaml: only looked for it again');
        const timeoutMs = this.o.recoverTimeoutMs ?? 30_000;
        await waitForBoardPort(board, { list: this.list, usb: this.hw.usb, timeoutMs, signal: this.o.signal });
      });
    } catch (e) {
      if (this.o.signal?.aborted) throw e;
      const why = `${how ? `power-cycled through ${how}, ` : ''}${(e as Error).message}`;
      const h = await this.health.outOfService(board.name, why);
      this.go('out-of-service');
      throw new TargetError('no-board', outOfServiceMessage(h), {
        retryable: false,
        cause: e,
        ...(e instanceof TargetError ? { toolMessage: e.toolMessage, command: e.command } : {}),
      });
    }
    await this.health.recovered(board.name, how ? `power-cycle through ${how}` : 'it showed up again');
    this.log(`${board.name}: back after ${how || 'waiting for it'}`);
    this.go('locked');
  }

  private async build(): Promise<void> {
    const { board } = this.held!;
    const header = this.o.secretsHeader;
    const secretsHeader = typeof header === 'string' ? header : await header(board);
    this.image = await this.timed('build', () =>
      buildImage({
        profile: this.o.profile,
        sketchDir: this.o.sketchDir,
        secretsHeader,
        fqbnVariant: this.o.fqbnVariant,
        ...this.cellBuild(),
        cacheDir: join(this.stateDir, 'images'),
        cli: this.o.cli,
        signal: this.o.signal,
      }),
    );
    const b = this.image;
    this.log(`${board.name}: image ${b.hash} ${b.cached ? '(cached)' : `built in ${b.compileMs} ms`}`);
    // What a person needs to rebuild and reflash this cell by hand: the build profile and the commands.
    await writeReproduction(this.o.runDir, {
      cellId: this.o.cellId,
      board,
      profile: this.o.profile,
      fqbnVariant: this.o.fqbnVariant,
      ...this.cellBuild(),
      sourceSketch: this.o.sketchDir,
      image: b,
    });
  }

  /** The cell's own build options, only those it has (an image without them keeps its hash). */
  private cellBuild(): Pick<HardwareCellOptions, 'fqbnOptions' | 'defines' | 'libraries'> {
    const { fqbnOptions, defines, libraries } = this.o;
    return {
      ...(fqbnOptions && Object.keys(fqbnOptions).length ? { fqbnOptions } : {}),
      ...(defines?.length ? { defines } : {}),
      ...(libraries && Object.keys(libraries).length ? { libraries } : {}),
    };
  }

  private async flashIfNeeded(): Promise<void> {
    const { board, identity } = this.held!;
    const image = this.image!;
    this.port = findPort(board, await this.list()).path;
    const ledger = new FlashLedger(join(this.stateDir, 'flashed'));
    const onBoard = await ledger.get(identity);
    // A native-USB SAMD board has no reset line the rig can pulse: re-uploading is how its sketch restarts.
    const reason: FlashReason | undefined = this.o.forceFlash
      ? 'forced'
      : this.hw.reset === 'touch-1200'
        ? 'upload-is-the-only-reset'
        : onBoard?.hash !== image.hash || onBoard.fqbn !== image.fqbn
          ? 'image-changed'
          : undefined;
    if (!reason) return;
    await ledger.forget(identity); // an interrupted upload leaves the board's content unknown
    this.log(`${board.name}: uploading to ${this.port} (${reason})`);
    const upload = await this.timed('flash', () =>
      uploadImage({
        port: this.port,
        fqbn: fqbnFor(this.hw, this.o.fqbnVariant, this.o.fqbnOptions),
        buildDir: image.buildDir,
        profile: { name: image.profile, sketchPath: image.sketchPath },
        cli: this.o.cli,
        signal: this.o.signal,
        timeoutMs: Math.round(this.hw.uploadTimeoutMs * this.o.profile.timeoutMultiplier),
      }),
    );
    this.flash = { reason, upload };
    const at = new Date().toISOString();
    await ledger.record({ board: board.name, identity, hash: image.hash, fqbn: image.fqbn, port: this.port, at });
    if (this.hw.reenumerates) {
      const o = { list: this.list, usb: this.hw.usb, timeoutMs: this.o.timeoutMs, signal: this.o.signal };
      this.port = (await this.timed('reenumerate', () => waitForBoardPort(board, o))).path;
    }
  }

  /** Open first, then reset: opening flushes, and the boot banner is part of the evidence. */
  private async open(): Promise<void> {
    this.capture = await this.timed('open', () =>
      openBoardSerial({ path: this.port, hardware: this.hw, binding: this.o.binding }),
    );
  }

  private async reset(): Promise<void> {
    const { board } = this.held!;
    this.resetOutcome = await resetBoard(this.capture!, this.hw);
    if (this.resetOutcome === 'unsupported')
      this.log(`${board.name}: ${this.port} has no DTR/RTS lines; boot output may be missing`);
    await mkdir(this.o.runDir, { recursive: true });
    await writeFile(join(this.o.runDir, `hardware-${board.name}.json`), JSON.stringify(this.notes(), null, 2));
  }

  /** arduino-cli's own warnings about the image's build, for the cell's report. */
  toolNotes(): string[] {
    return (this.image?.toolWarnings ?? []).map((w) => `arduino-cli: ${w}`);
  }

  /** What the cell folder records about the board: which one, its port, whether it was flashed and why. */
  private notes(): Record<string, unknown> {
    const { board, identity } = this.held!;
    const b = this.image!;
    return {
      board: board.name,
      profile: this.o.profile.id,
      port: this.port,
      identity,
      flashed: !!this.flash,
      flashReason: this.flash?.reason,
      reset: this.resetOutcome,
      timings: this.timings,
      image: {
        hash: b.hash,
        fqbn: b.fqbn,
        cached: b.cached,
        sizes: b.sizes,
        warnings: b.warnings,
        toolWarnings: b.toolWarnings,
        profile: b.profile,
        platform: b.platform,
      },
      upload: this.flash && { command: this.flash.upload.command, durationMs: this.flash.upload.durationMs },
    };
  }
}

function findPort(board: LabBoard, attached: AttachedPort[]): AttachedPort {
  const { ports } = portsMatching(board, attached);
  const id = board.serial ? `serial ${board.serial}` : `location ${board.location}`;
  if (ports.length === 1) return ports[0];
  if (ports.length === 0)
    throw new TargetError('no-board', `board ${board.name} (${id}) is not attached; run \`rig boards\` to see what is`);
  throw new TargetError(
    'no-board',
    `board ${board.name} (${id}) matches ${ports.length} ports (${ports.map((p) => p.path).join(', ')}): add location to its rig.lab.yaml entry`,
  );
}
