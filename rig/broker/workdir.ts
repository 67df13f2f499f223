// Broker work folders hold a private key and a password file. They are owned temp folders (rig/process): removed
// when the rig exits, and by the next rig when their owner was killed (SIGKILL) before it could remove them.
import os from 'node:os';
import { ownedTempDir, sweepStaleOwnedDirs, sweepStaleOwnedDirsOnce } from '../process/tempdir.ts';

/** A new work folder under the temp dir, named `<prefix>XXXXXX` ("rig-…"), marked with this process as its owner. */
export async function brokerWorkDir(prefix: string, tmp = os.tmpdir()): Promise<string> {
  return Promise.resolve(ownedTempDir(prefix, tmp).dir);
}

/** Removes `rig-*` folders (broker work, PKI staging, twin sandboxes, keys) whose owner no longer runs. */
export function sweepStaleWorkDirs(tmp = os.tmpdir()): Promise<string[]> {
  return sweepStaleOwnedDirs(tmp);
}

/** The sweep, once per process: a folder left by a rig that died does not come back while this one runs. */
export function sweepStaleWorkDirsOnce(): Promise<string[]> {
  return sweepStaleOwnedDirsOnce();
}
