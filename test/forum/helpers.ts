// Shared bits of the forum tests: the seed documents (excerpts in test/fixtures/seeds/) and running the CLI.
import { spawnSync } from 'node:child_process';
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
