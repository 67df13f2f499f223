// Builds a probe sketch for a BearSSL twin and runs it on a pty, collecting serial lines.
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import type { SerialCapture } from '../../rig/serial/capture.ts';
import { bootTwin, type TwinCore, type TwinProcess, type TwinWorld } from '../../rig/twin/index.ts';

export interface RunningTwin {
  twin: TwinProcess;
  serial: SerialCapture;
}

export async function runTwin(o: {
  sketchDir: string;
  core: TwinCore;
  coreVersion: string;
  header: string;
  world: TwinWorld;
  cacheDir: string;
  tmp: string;
  defines?: Record<string, string>;
  /** A binary built already (e.g. with library versions): run it instead of building. */
  prebuilt?: string;
}): Promise<RunningTwin> {
  const booted = await bootTwin({
    binary: o.prebuilt ?? {
      sketchDir: o.sketchDir,
      core: o.core,
      secretsHeader: o.header,
      coreVersion: o.coreVersion,
      debugLevel: 0,
      cacheDir: o.cacheDir,
      defines: o.defines,
    },
    world: o.world,
    workDir: mkdtempSync(path.join(o.tmp, 'run-')),
  });
  return { twin: booted.process, serial: booted.serial };
}

export async function stopAll(list: RunningTwin[]): Promise<void> {
  for (const r of list.splice(0)) {
    await r.serial.close();
    await r.twin.kill();
  }
}
