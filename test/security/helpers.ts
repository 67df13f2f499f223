// Shared by the attack tests: a sketch folder written from source, the twin build cache they share, and the
// skip when this machine has no sandbox (a test that needs one says so and skips, never passes silently).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Context } from 'mocha';
import { sandboxSupport } from '../../rig/sandbox/index.ts';
import { sharedTwinCache } from '../helpers/twin-cache.ts';

/** The build cache shared with runs (content-hashed: the host core is built once, not per test file). */
export const CACHE = sharedTwinCache();

/** A sketch folder `<dir>/<name>/<name>.ino` holding `source`. */
export function writeSketch(dir: string, name: string, source: string): string {
  const folder = path.join(dir, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, `${name}.ino`), source);
  return folder;
}

/** Skips (with the reason printed) where the sandbox cannot run. */
export function needSandbox(ctx: Context, network = false): void {
  const s = sandboxSupport();
  if (!s.ok || (network && !s.network)) {
    console.log(`skip: no sandbox here: ${s.ok ? s.networkReason : s.reason}`);
    ctx.skip();
  }
}

/** Whether we run as root (the attacks were found as root: the tests that need it say so). */
export const isRoot = process.getuid?.() === 0;
