// Reading and writing files in folders untrusted code has (or had) a hand in, without following its links: the
// last path component is opened with O_NOFOLLOW (a symlink fails with ELOOP), O_NONBLOCK (a FIFO does not block
// the rig) and checked to be a regular file on the descriptor itself, so nothing can be swapped in between.
import { closeSync, constants, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';

const READ = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const WRITE = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export class UnsafeFileError extends Error {
  override readonly name = 'UnsafeFileError';
}

export interface ReadBounded {
  /** The bytes read (at most maxBytes). */
  data: Buffer;
  /** The same as UTF-8 text. */
  text: string;
  /** Size of the whole file. */
  bytes: number;
  /** Only the first maxBytes were read. */
  truncated: boolean;
}

function refuse(file: string, e: unknown): never {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') throw new UnsafeFileError(`${file} is a symbolic link: not followed`);
  throw e;
}

/** Reads at most maxBytes of a regular file that is not a link; undefined when it does not exist. */
export function readFileNoFollowSync(file: string, maxBytes: number): ReadBounded | undefined {
  let fd: number;
  try {
    fd = openSync(file, READ);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    refuse(file, e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UnsafeFileError(`${file} is not a regular file: not read`);
    const buf = Buffer.alloc(Math.min(st.size, maxBytes));
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n <= 0) break;
      got += n;
    }
    const data = buf.subarray(0, got);
    return { data, text: data.toString('utf8'), bytes: st.size, truncated: st.size > maxBytes };
  } finally {
    closeSync(fd);
  }
}

/** The same, asynchronously. */
export async function readFileNoFollow(file: string, maxBytes: number): Promise<ReadBounded | undefined> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(file, READ);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    refuse(file, e);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new UnsafeFileError(`${file} is not a regular file: not read`);
    const buf = Buffer.alloc(Math.min(st.size, maxBytes));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const data = buf.subarray(0, bytesRead);
    return { data, text: data.toString('utf8'), bytes: st.size, truncated: st.size > maxBytes };
  } finally {
    await fh.close();
  }
}

/** Writes (creates or truncates) a regular file, refusing a symlink or anything but a regular file in its place. */
export function writeFileNoFollowSync(file: string, data: string | Buffer, mode = 0o644): void {
  let fd: number;
  try {
    fd = openSync(file, WRITE, mode);
  } catch (e) {
    refuse(file, e);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new UnsafeFileError(`${file} is not a regular file: not written`);
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  } finally {
    closeSync(fd);
  }
}

/** The same, asynchronously. */
export async function writeFileNoFollow(file: string, data: string | Buffer, mode = 0o644): Promise<void> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(file, WRITE, mode);
  } catch (e) {
    refuse(file, e);
  }
  try {
    if (!(await fh.stat()).isFile()) throw new UnsafeFileError(`${file} is not a regular file: not written`);
    await fh.writeFile(data);
  } finally {
    await fh.close();
  }
}
