// Temporary folders that hold secrets (broker work folders, PKI staging, twin sandboxes, diagnose keys): each
// records its owner (pid and the process's start time, so a reused pid does not count), is removed when the rig
// exits (rig/process last steps), and is removed by the next rig when its owner died without running them
// (SIGKILL, power loss). Every such folder is named `rig-…` directly under the temp dir.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runProgram } from './program.ts';
import { onExit } from './signals.ts';

export const OWNER_FILE = 'rig-owner.pid';

export interface OwnedDir {
  dir: string;
  /** Removes the folder now (idempotent). */
  remove(): void;
  /**
   * Removes it with `rm -rf` in a process of its own: Node's recursive removal walks the tree on the rig's one
   * thread (~2 ms for a broker's or a twin's folder, measured). Until that ends, the rig's exit still removes it.
   */
  removeAsync(): Promise<void>;
}

/** The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or undefined. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const ownStart = startTime(process.pid) ?? '';

/** This process as an owner file records it ("pid start-time"), for ownerAlive() to judge later. */
export function ownerRecord(): string {
  return `${process.pid} ${ownStart}\n`;
}

/** A new 0700 folder `<tmp>/<prefix>XXXXXX` owned by this process; `prefix` starts with "rig-". */
export function ownedTempDir(prefix: string, tmp = os.tmpdir()): OwnedDir {
  if (!prefix.startsWith('rig-')) throw new Error(`ownedTempDir: prefix "${prefix}" must start with "rig-"`);
  const dir = mkdtempSync(path.join(tmp, prefix));
  writeFileSync(path.join(dir, OWNER_FILE), ownerRecord(), { mode: 0o600 });
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    off();
    rmSync(dir, { recursive: true, force: true });
  };
  const off = onExit(remove);
  let removing: Promise<void> | undefined;
  const removeAsync = (): Promise<void> =>
    (removing ??= runProgram({ command: 'rm', args: ['-rf', '--', dir] }).then(() => remove()));
  return { dir, remove, removeAsync };
}

/** Whether the owner recorded in a folder's owner file still runs (the same process, not a reused pid). */
export function ownerAlive(record: string): boolean {
  const [pidText, start] = record.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return true; // not ours to judge: leave it
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!start) return true;
  const now = startTime(pid);
  return now === undefined || now === start;
}

/** Removes `rig-*` folders under `tmp` whose owner file names a process that is gone; returns what it removed. */
export async function sweepStaleOwnedDirs(tmp = os.tmpdir(), prefix = 'rig-'): Promise<string[]> {
  const names = await readdir(tmp).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const n of names.filter((x) => x.startsWith(prefix))) {
    const dir = path.join(tmp, n);
    const record = await readFile(path.join(dir, OWNER_FILE), 'utf8').catch(() => undefined);
    if (record === undefined || ownerAlive(record)) continue;
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    removed.push(dir);
  }
  return removed;
}

let swept: Promise<string[]> | undefined;

/** The sweep, once per process: a folder left by a rig that died does not come back while this one runs. */
export function sweepStaleOwnedDirsOnce(): Promise<string[]> {
  swept ??= sweepStaleOwnedDirs();
  return swept;
}
