// The serial port of a twin is the pseudo-terminal the twin process itself created, never a path it merely names:
// the rig finds the pty master the process holds (/proc/PID/fd + the kernel's tty-index in fdinfo), opens the
// slave of that index in the process's own /dev/pts (through /proc/PID/root when it runs in a sandbox with its
// own devpts) without following links, and checks on the open descriptor that it is that pty (a pts char device
// of that index on that devpts). serialport then opens /proc/self/fd/N: the very file checked, no path race.
// "PTY /dev/tty" or "PTY /dev/pts/0" (the rig's own terminal) is refused.
import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

export class PtyOwnershipError extends Error {
  override readonly name = 'PtyOwnershipError';
}

export interface OwnedPty {
  /** What serialport opens: /proc/self/fd/N of the checked descriptor. */
  path: string;
  /** The process holding the master (the twin itself, under bwrap a descendant of bwrap). */
  ownerPid: number;
  /** Closes the rig's checked descriptor (once serialport has its own). */
  release(): void;
}

const UNIX98_PTY_SLAVE_MAJOR = 136; // .. 143 (linux/major.h)

interface Master {
  pid: number;
  fd: string;
  index: number;
  link: string;
}

function readOr<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

/** pty masters held by `root` and its descendants. */
function mastersUnder(root: number): Master[] {
  const out: Master[] = [];
  const queue = [root];
  for (let seen = 0; queue.length > 0 && seen < 256; seen++) {
    const pid = queue.shift()!;
    for (const fd of readOr(() => readdirSync(`/proc/${pid}/fd`), [] as string[])) {
      const link = readOr(() => readlinkSync(`/proc/${pid}/fd/${fd}`), '');
      if (link !== '/dev/ptmx' && link !== '/dev/pts/ptmx') continue;
      const m = /^tty-index:\s*(\d+)$/m.exec(readOr(() => readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'), ''));
      if (m) out.push({ pid, fd, index: Number(m[1]), link });
    }
    for (const task of readOr(() => readdirSync(`/proc/${pid}/task`), [] as string[]))
      for (const c of readOr(() => readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8'), '').split(/\s+/))
        if (c) queue.push(Number(c));
  }
  return out;
}

function majorMinor(rdev: bigint): { major: number; minor: number } {
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  return { major, minor };
}

/**
 * Opens the pty a process reported ("PTY /dev/pts/N") after checking that the process (or a descendant, for a
 * sandbox) holds its master. `sandboxed`: the process has its own /dev (reached through /proc/PID/root).
 */
export function openOwnedPty(rootPid: number, reported: string, sandboxed: boolean): OwnedPty {
  const m = /^\/dev\/pts\/(\d{1,6})$/.exec(reported);
  if (!m) throw new PtyOwnershipError(`reported port "${reported}" is not a pseudo-terminal (/dev/pts/N): not opened`);
  const index = Number(m[1]);
  const master = mastersUnder(rootPid).find((x) => x.index === index);
  if (!master) throw new PtyOwnershipError(`reported port ${reported} is not a pty this process created: not opened`);
  const root = sandboxed ? `/proc/${master.pid}/root` : '';
  const fd = openSync(
    `${root}/dev/pts/${index}`,
    constants.O_RDWR | constants.O_NOCTTY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
  );
  try {
    const st = fstatSync(fd, { bigint: true });
    const { major, minor } = majorMinor(st.rdev);
    const n = (major - UNIX98_PTY_SLAVE_MAJOR) * 256 + minor;
    const devpts = statSync(`${root}/dev/pts/ptmx`, { bigint: true }).dev;
    const masterDev = statSync(`/proc/${master.pid}/fd/${master.fd}`, { bigint: true }).dev;
    const sameInstance = master.link === '/dev/ptmx' ? st.dev === devpts : st.dev === masterDev;
    if (!st.isCharacterDevice() || major < 136 || major > 143 || n !== index || !sameInstance)
      throw new PtyOwnershipError(`${reported} opened, but it is not the pty this process holds: refused`);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  let open = true;
  return {
    path: `/proc/self/fd/${fd}`,
    ownerPid: master.pid,
    release: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}
