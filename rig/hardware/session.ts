// One cell on a real board, as explicit states (labgrid's strategies): idle → locked (one cell per physical
// board, across processes) → built (arduino-cli compile, cached by image hash) → flashed (only when the board
// does not already carry this image) → open (serial opened before reset: opening flushes) → reset (the boot
// banner is evidence) → closed (port closed, board free). `to(state)` walks every step up to that state.
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { BoardProfile, HardwareProfile } from '../boards/profile.ts';
import type { SerialBinding, SerialCapture } from '../serial/capture.ts';
import { buildImage, fqbnFor, hardwareOf, type BuildInfo } from './build.ts';
import { TargetError } from '../errors.ts';
import { FlashLedger, uploadImage, type UploadResult } from './flash.ts';
import { listAttached, portsMatching, type AttachedPort, type LabBoard } from './inventory.ts';
import { acquireAnyLock, type LockHandle } from './lock.ts';
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
  forceFlash?: boolean;
  cellId?: string;
  log?: (line: string) => void;
  /** Told when a timed step starts (wait-board, build, flash, reenumerate): the live terminal's phase. */
  onStep?: (step: string) => void;
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

function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.RIG_HARDWARE_STATE ?? join(homedir(), '.cache', 'rig', 'hardware');
}

export type BoardState = 'idle' | 'locked' | 'built' | 'flashed' | 'open' | 'reset' | 'closed';
const ORDER: BoardState[] = ['idle', 'locked', 'built', 'flashed', 'open', 'reset'];

export class BoardSession {
  state: BoardState = 'idle';
  readonly timings: Record<string, number> = {};
  private readonly hw: HardwareProfile;
  private readonly stateDir: string;
  private readonly log: (line: string) => void;
  private readonly list: () => Promise<AttachedPort[]>;
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
  }

  /** Walks every step up to `state`; on failure the board is closed (port closed, lock released). */
  async to(state: Exclude<BoardState, 'idle' | 'closed'>): Promise<void> {
    const steps: Record<string, () => Promise<void>> = {
      locked: () => this.lock(),
      built: () => this.build(),
      flashed: () => this.flashIfNeeded(),
      open: () => this.open(),
      reset: () => this.reset(),
    };
    try {
      while (ORDER.indexOf(this.state) < ORDER.indexOf(state)) {
        if (this.isClosed()) throw new TargetError('generic', `board session closed before ${state}`);
        const next = ORDER[ORDER.indexOf(this.state) + 1]!;
        await steps[next]!();
        // Aborted while the step ran: the board is already closed and free; go no further.
        if (this.isClosed()) throw new TargetError('generic', `board session closed during ${next}`);
        this.state = next;
      }
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  /** What the cell needs once the board runs (state `reset`). */
  cell(): HardwareCell {
    if (this.state !== 'reset' || !this.held || !this.image || !this.capture || !this.resetOutcome)
      throw new Error(`board session is ${this.state}, not reset`);
    const { board } = this.held;
    const cap = this.capture;
    const port = this.port;
    const ended = cap.ended.then((e) =>
      e && this.state !== 'closed'
        ? new TargetError('serial', `serial port ${port} of ${board.name} vanished: ${e.message}`, {
            toolMessage: e.message,
            cause: e,
          })
        : undefined,
    );
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
    this.state = 'closed';
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
   * interchangeable boards, prefer attached ones so a board that is unplugged is not waited for.
   */
  private async lock(): Promise<void> {
    const all = Array.isArray(this.o.board) ? this.o.board : [this.o.board];
    if (all.length === 0) throw new TargetError('no-board', `no lab board for profile ${this.o.profile.id}`);
    const attachedNow = all.length > 1 ? await this.list() : [];
    const present = all.filter((b) => portsMatching(b, attachedNow).ports.length === 1);
    const candidates = all.length > 1 && present.length ? present : all;
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
        cacheDir: join(this.stateDir, 'images'),
        cli: this.o.cli,
        signal: this.o.signal,
      }),
    );
    const b = this.image;
    this.log(`${board.name}: image ${b.hash} ${b.cached ? '(cached)' : `built in ${b.compileMs} ms`}`);
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
        fqbn: fqbnFor(this.hw, this.o.fqbnVariant),
        buildDir: image.buildDir,
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
