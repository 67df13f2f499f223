// Shared bits of the forum tests: the seed documents (excerpts in test/fixtures/seeds/) and running the CLI.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { projectPaths } from '../../rig/project.ts';

export { SEEDS_DIR, seedFile, seedText } from '../helpers/seeds.ts';

export const ROOT = projectPaths().root;

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

/** A copy of the rig's code in `dir` (with the rig's own sketches when `sketches`), for `rig new` to write into. */
export function rigCopy(dir: string, o: { sketches?: boolean } = {}): void {
  for (const p of [
    'bin',
    'rig',
    'boards',
    'schemas',
    'package.json',
    'tsconfig.json',
    ...(o.sketches ? ['sketches'] : []),
  ])
    cpSync(path.join(ROOT, p), path.join(dir, p), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  mkdirSync(path.join(dir, 'scenarios', 'forum'), { recursive: true });
  mkdirSync(path.join(dir, 'sketches'), { recursive: true });
}

/** The CLI of the rig copy in `dir`, sharing the rig's build cache (a twin unchanged since is not rebuilt). */
export function rigIn(
  dir: string,
  args: string[],
  timeoutMs = 120_000,
): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [path.join(dir, 'bin', 'rig.mjs'), ...args], {
    encoding: 'utf8',
    input: '',
    timeout: timeoutMs,
    cwd: dir,
    env: { ...process.env, RIG_CACHE: process.env.RIG_CACHE ?? path.join(ROOT, '.rig-cache') },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
