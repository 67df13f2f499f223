// Shared bits of the forum tests: the seed documents and running the CLI.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { projectPaths } from '../../rig/project.ts';

export const ROOT = projectPaths().root;
export const SEEDS_DIR = process.env.RIG_SEEDS_DIR ?? path.join(ROOT, '..', 'shared', 'seeds');

/** The text of seed NNN, or undefined when the seed documents are not on this machine. */
export function seedText(prefix: string): string | undefined {
  try {
    const f = readdirSync(SEEDS_DIR).find((n) => n.startsWith(prefix));
    return f ? readFileSync(path.join(SEEDS_DIR, f), 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

export function rig(
  args: string[],
  input?: string,
  timeoutMs = 60_000,
): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'rig.mjs'), ...args], {
    encoding: 'utf8',
    input: input ?? '',
    timeout: timeoutMs,
    cwd: ROOT,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
