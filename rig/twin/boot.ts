// Starts a twin end to end, the one way every caller does it (the runner's twin driver, `npm run bench`, the
// tests): build (cached) or take a built binary, start it paused on its pty, open the pty with serialport,
// then let setup() run, so not a byte of boot output is lost.
import { SerialCapture } from '../serial/capture.ts';
import { buildTwin, type BuildTwinOptions, type TwinBuild } from './build.ts';
import { startTwin, type StartTwinOptions, type TwinProcess } from './launch.ts';

export interface BootTwinOptions extends Omit<StartTwinOptions, 'binary'> {
  /** A built twin, or how to build one. */
  binary: string | BuildTwinOptions;
  /** Leave the board paused (call `process.go()` later); default: it starts at once. */
  paused?: boolean;
}

export interface BootedTwin {
  /** The build, when bootTwin built it. */
  build?: TwinBuild;
  process: TwinProcess;
  serial: SerialCapture;
  /** ms to build (when built here) and to start (process up, port open). */
  timings: { build?: number; start: number };
  /** Closes the port and ends the board. */
  stop(): Promise<void>;
}

export async function bootTwin(o: BootTwinOptions): Promise<BootedTwin> {
  const t0 = Date.now();
  const build = typeof o.binary === 'string' ? undefined : await buildTwin(o.binary);
  const binary = build?.binary ?? (o.binary as string);
  const t1 = Date.now();
  const proc = await startTwin({ ...o, binary });
  let serial: SerialCapture;
  try {
    // The pty the twin created, as checked by the launcher; the rig's own descriptor goes once the port is open.
    serial = await SerialCapture.open({ path: proc.ptyPath, baudRate: 115200 });
    proc.releasePty();
  } catch (e) {
    await proc.kill();
    throw e;
  }
  if (!o.paused) proc.go();
  const stop = async (): Promise<void> => {
    await serial.close().catch(() => undefined);
    await proc.kill();
  };
  return {
    ...(build ? { build } : {}),
    process: proc,
    serial,
    timings: { ...(build ? { build: t1 - t0 } : {}), start: Date.now() - t1 },
    stop,
  };
}
