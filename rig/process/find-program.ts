// Where a program is: PATH, then /usr/sbin and /sbin (Debian puts mosquitto there, outside a user's PATH). One
// lookup for `rig doctor`'s checks and the processes the rig starts, so both agree on which binary runs.
import { access, constants } from 'node:fs/promises';
import path from 'node:path';

const SYSTEM_DIRS = ['/usr/sbin', '/sbin'];

/** The executable's path, or undefined; a name with a slash is taken as a path as written. */
export async function findProgram(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (name.includes('/')) return name;
  for (const d of [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SYSTEM_DIRS]) {
    const p = path.join(d, name);
    if (
      await access(p, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return p;
  }
  return undefined;
}

/** Where findProgram looked, for a "not found" message. */
export const PROGRAM_SEARCH = `PATH, ${SYSTEM_DIRS.join(' or ')}`;
