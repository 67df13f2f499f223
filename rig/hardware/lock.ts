// File locks: one cell per physical board, one compile per image. Files (not in-memory maps) so two
// rig processes sharing a lab (two CI jobs on one runner host) also wait for each other.
import { open, readFile, unlink, stat } from 'node:fs/promises';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TargetError } from '../errors.ts';

export interface LockHandle {
  readonly file: string;
  release(): Promise<void>;
}

interface LockBody {
  pid: number;
  owner: string;
  at: string;
}

export interface LockOptions {
  /** Who holds it, for the "busy" message (e.g. a cell id). */
  owner: string;
  signal?: AbortSignal;
  /** Give up after this long (default: wait until aborted). */
  timeoutMs?: number;
  pollMs?: number;
}

export async function acquireLock(file: string, o: LockOptions): Promise<LockHandle> {
  mkdirSync(dirname(file), { recursive: true });
  const poll = o.pollMs ?? 200;
  const deadline = o.timeoutMs === undefined ? Infinity : Date.now() + o.timeoutMs;
  for (;;) {
    o.signal?.throwIfAborted();
    try {
      const fh = await open(file, 'wx');
      const body: LockBody = { pid: process.pid, owner: o.owner, at: new Date().toISOString() };
      await fh.writeFile(JSON.stringify(body));
      await fh.close();
      return { file, release: () => releaseLock(file, body) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = await readHolder(file);
    if (holder === 'stale') {
      await unlink(file).catch(() => undefined);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new TargetError(
        'port-busy',
        `${file} is held by ${holder?.owner ?? 'unknown'} (pid ${holder?.pid ?? '?'}) since ${holder?.at ?? '?'}`,
      );
    }
    await sleep(poll, undefined, { signal: o.signal });
  }
}

/** The holder, 'stale' when its process is gone (or the file is an empty leftover), undefined if unreadable. */
async function readHolder(file: string): Promise<LockBody | 'stale' | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  if (text === '') {
    // Created but not yet written, or the writer died in between: only stale when old.
    const st = await stat(file).catch(() => undefined);
    return st && Date.now() - st.mtimeMs > 10_000 ? 'stale' : undefined;
  }
  let body: LockBody;
  try {
    body = JSON.parse(text) as LockBody;
  } catch {
    return 'stale';
  }
  return pidAlive(body.pid) ? body : 'stale';
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function releaseLock(file: string, mine: LockBody): Promise<void> {
  // Only remove our own lock: a stale-lock breaker may have replaced it.
  const text = await readFile(file, 'utf8').catch(() => '');
  if (text === JSON.stringify(mine)) await unlink(file).catch(() => undefined);
}

/** Takes the first free lock among files (e.g. any of several identical boards), waiting until one frees. */
export async function acquireAnyLock(files: string[], o: LockOptions): Promise<{ index: number; lock: LockHandle }> {
  if (files.length === 0) throw new TargetError('no-board', 'no candidate to lock');
  const deadline = o.timeoutMs === undefined ? Infinity : Date.now() + o.timeoutMs;
  for (;;) {
    for (const [index, file] of files.entries()) {
      try {
        return { index, lock: await acquireLock(file, { ...o, timeoutMs: 0 }) };
      } catch (e) {
        if (!(e instanceof TargetError && e.kind === 'port-busy')) throw e;
      }
    }
    if (Date.now() >= deadline) throw new TargetError('port-busy', `all of ${files.length} candidate boards are busy`);
    await sleep(o.pollMs ?? 200, undefined, { signal: o.signal });
  }
}
