// The hardware target for one matrix cell: lock the board, build (cached), flash (only when the
// board does not already carry this image), open serial, reset. The runner reads `capture`.
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { BoardProfile } from '../boards/profile.ts';
import type { SerialBinding, SerialCapture } from '../serial/capture.ts';
import { buildImage, fqbnFor, hardwareOf, type BuildInfo } from './build.ts';
import { TargetError } from '../errors.ts';
import { FlashLedger, uploadImage, type UploadResult } from './flash.ts';
import { listAttached, portsMatching, type AttachedPort, type LabBoard } from './inventory.ts';
import { acquireAnyLock } from './lock.ts';
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

export async function runOnHardware(o: HardwareCellOptions): Promise<HardwareCell> {
  const hw = hardwareOf(o.profile);
  const stateDir = o.stateDir ?? defaultStateDir();
  const log = o.log ?? (() => undefined);
  const list = o.list ?? (() => listAttached({ cli: o.cli ?? true, warn: log }));
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await f();
    } finally {
      timings[name] = Math.round(performance.now() - t);
    }
  };

  // One cell per physical board, across processes too (two CI jobs on one lab host). Among several
  // interchangeable boards, prefer attached ones so a board that is unplugged is not waited for.
  const all = Array.isArray(o.board) ? o.board : [o.board];
  if (all.length === 0) throw new TargetError('no-board', `no lab board for profile ${o.profile.id}`);
  const attachedNow = all.length > 1 ? await list() : [];
  const present = all.filter((b) => portsMatching(b, attachedNow).ports.length === 1);
  const candidates = all.length > 1 && present.length ? present : all;
  const { index, lock } = await timed('wait-board', () =>
    acquireAnyLock(
      candidates.map((b) => join(stateDir, 'locks', `${b.name}.lock`)),
      {
        owner: o.cellId ?? `cell on ${candidates.map((b) => b.name).join('|')}`,
        signal: o.signal,
      },
    ),
  );
  const board = candidates[index];
  const identity = board.serial ?? board.location ?? board.name;
  let capture: SerialCapture | undefined;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    o.signal?.removeEventListener('abort', onAbort);
    try {
      await capture?.close();
    } finally {
      await lock.release();
    }
  };
  const onAbort = (): void => {
    void close();
  };
  o.signal?.addEventListener('abort', onAbort, { once: true });

  try {
    const secretsHeader = typeof o.secretsHeader === 'string' ? o.secretsHeader : await o.secretsHeader(board);
    const build = await timed('build', () =>
      buildImage({
        profile: o.profile,
        sketchDir: o.sketchDir,
        secretsHeader,
        fqbnVariant: o.fqbnVariant,
        cacheDir: join(stateDir, 'images'),
        cli: o.cli,
        signal: o.signal,
      }),
    );
    log(`${board.name}: image ${build.hash} ${build.cached ? '(cached)' : `built in ${build.compileMs} ms`}`);

    let port = findPort(board, await list()).path;
    const ledger = new FlashLedger(join(stateDir, 'flashed'));
    const onBoard = await ledger.get(identity);
    // A native-USB SAMD board has no reset line the rig can pulse: re-uploading is how its sketch restarts.
    const flashReason: FlashReason | undefined = o.forceFlash
      ? 'forced'
      : hw.reset === 'touch-1200'
        ? 'upload-is-the-only-reset'
        : onBoard?.hash !== build.hash || onBoard.fqbn !== build.fqbn
          ? 'image-changed'
          : undefined;

    let upload: UploadResult | undefined;
    if (flashReason) {
      await ledger.forget(identity); // an interrupted upload leaves the board's content unknown
      log(`${board.name}: uploading to ${port} (${flashReason})`);
      upload = await timed('flash', () =>
        uploadImage({
          port,
          fqbn: fqbnFor(hw, o.fqbnVariant),
          buildDir: build.buildDir,
          cli: o.cli,
          signal: o.signal,
          timeoutMs: Math.round(hw.uploadTimeoutMs * o.profile.timeoutMultiplier),
        }),
      );
      await ledger.record({
        board: board.name,
        identity,
        hash: build.hash,
        fqbn: build.fqbn,
        port,
        at: new Date().toISOString(),
      });
      if (hw.reenumerates) {
        port = (
          await timed('reenumerate', () =>
            waitForBoardPort(board, { list, usb: hw.usb, timeoutMs: o.timeoutMs, signal: o.signal }),
          )
        ).path;
      }
    }

    // Open first, then reset: opening flushes, and the boot banner is part of the evidence.
    capture = await timed('open', () => openBoardSerial({ path: port, hardware: hw, binding: o.binding }));
    const reset = await resetBoard(capture, hw);
    if (reset === 'unsupported') log(`${board.name}: ${port} has no DTR/RTS lines; boot output may be missing`);

    await mkdir(o.runDir, { recursive: true });
    await writeFile(
      join(o.runDir, `hardware-${board.name}.json`),
      JSON.stringify(
        {
          board: board.name,
          profile: o.profile.id,
          port,
          identity,
          flashed: !!flashReason,
          flashReason,
          reset,
          timings,
          image: {
            hash: build.hash,
            fqbn: build.fqbn,
            cached: build.cached,
            sizes: build.sizes,
            warnings: build.warnings,
            platform: build.platform,
          },
          upload: upload && { command: upload.command, durationMs: upload.durationMs },
        },
        null,
        2,
      ),
    );

    const cap = capture;
    const ended = cap.ended.then((e) =>
      e && !closed
        ? new TargetError('serial', `serial port ${port} of ${board.name} vanished: ${e.message}`, {
            toolMessage: e.message,
            cause: e,
          })
        : undefined,
    );
    return {
      board,
      capture: cap,
      build,
      flashed: !!flashReason,
      flashReason,
      upload,
      port,
      reset,
      timings,
      ended,
      close,
    };
  } catch (e) {
    await close();
    throw e;
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
