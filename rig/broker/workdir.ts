// Broker work folders hold a private key and a password file. A rig killed with SIGKILL cannot remove its
// own, so each folder records its owner's pid and the next rig removes folders whose owner is gone.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const OWNER = 'rig-owner.pid';

/** A new work folder under the temp dir, named `<prefix>XXXXXX`, marked with this process as its owner. */
export async function brokerWorkDir(prefix: string, tmp = os.tmpdir()): Promise<string> {
  const dir = await mkdtemp(path.join(tmp, prefix));
  await writeFile(path.join(dir, OWNER), `${process.pid}\n`);
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `rig-broker-*` work folders whose owner process no longer runs; returns what it removed. */
export async function sweepStaleWorkDirs(tmp = os.tmpdir()): Promise<string[]> {
  const names = await readdir(tmp).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const n of names.filter((x) => x.startsWith('rig-broker-'))) {
    const dir = path.join(tmp, n);
    const pid = Number((await readFile(path.join(dir, OWNER), 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 0 || alive(pid)) continue;
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    removed.push(dir);
  }
  return removed;
}

let swept: Promise<string[]> | undefined;

/** The sweep, once per process: a folder left by a rig that died does not come back while this one runs. */
export function sweepStaleWorkDirsOnce(): Promise<string[]> {
  swept ??= sweepStaleWorkDirs();
  return swept;
}
