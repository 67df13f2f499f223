// One builder at a time for one cache entry, across cells and across rig processes: the others wait for its
// result instead of compiling the same thing on the same two cores. The lock is a file naming its owner, so a
// lock left by a process that died is taken over, and the owner removes it on exit (Ctrl-C included).
import { rmSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { onExit } from './signals.ts';
import { ownerAlive, ownerRecord } from './tempdir.ts';

export interface BuildOnceOptions {
  /** The lock file, beside the entry it guards. */
  lockFile: string;
  /** Whether the entry is there (built by us or by whoever held the lock). */
  isDone: () => Promise<boolean>;
  /** Builds the entry; called only while holding the lock and only when it is not there yet. */
  build: () => Promise<void>;
  /** Called once when another holder makes this call wait (a phase to show). */
  onWait?: () => void;
  pollMs?: number;
}

/** Returns once the entry is built, by this call or by another holder; `build`'s error is this call's. */
export async function buildOnce(o: BuildOnceOptions): Promise<void> {
  let waited = false;
  for (;;) {
    if (await o.isDone()) return;
    const held = await tryLock(o.lockFile);
    if (!held) {
      if (!waited) o.onWait?.();
      waited = true;
      await sleep(o.pollMs ?? 200);
      continue;
    }
    const off = onExit(() => rmSync(o.lockFile, { force: true }));
    try {
      if (!(await o.isDone())) await o.build();
      return;
    } finally {
      off();
      await rm(o.lockFile, { force: true });
    }
  }
}

/** Takes the lock, or removes one whose owner is gone (the next round takes it); false while someone holds it. */
async function tryLock(lockFile: string): Promise<boolean> {
  try {
    const fh = await open(lockFile, 'wx', 0o600);
    await fh.writeFile(ownerRecord());
    await fh.close();
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const record = await readFile(lockFile, 'utf8').catch(() => undefined);
  // An empty record is a lock being written right now: wait for it.
  if (record && !ownerAlive(record)) await rm(lockFile, { force: true });
  return false;
}
