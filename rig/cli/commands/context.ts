// What most commands need: scenario files named by id, path or glob, board ids checked against the profiles.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadBoards } from '../../boards/load.ts';
import type { BoardProfile } from '../../boards/profile.ts';
import { closest } from '../../format/index.ts';
import { allScenarioFiles } from '../../scenario/files.ts';
import type { Scenario } from '../../scenario/schema.ts';
import { projectPaths, type ProjectPaths } from '../../project.ts';
import { UsageError } from '../../errors.ts';

function globRe(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
}

/** Resolves CLI arguments to scenario files: ids, files, folders or globs (over ids and paths). */
export async function resolveScenarioArgs(args: string[], paths: ProjectPaths): Promise<string[]> {
  const all = await allScenarioFiles(paths.scenarios);
  if (args.length === 0) return all;
  const files = new Set<string>();
  for (const a of args) {
    if (/[*?]/.test(a)) {
      const re = globRe(a);
      const hits = all.filter(
        (f) =>
          re.test(path.basename(f).replace(/\.ya?ml$/, '')) || re.test(path.relative(process.cwd(), f)) || re.test(f),
      );
      if (hits.length === 0) throw new UsageError(`no scenario matches "${a}"`);
      hits.forEach((h) => files.add(h));
    } else if (/\.ya?ml$/.test(a)) files.add(path.resolve(a));
    else {
      const byId = all.find((f) => path.basename(f).replace(/\.ya?ml$/, '') === a) ?? (await fileWithId(all, a));
      const asDir = path.resolve(a);
      if (byId) files.add(byId);
      else {
        const inDir = all.filter((f) => f.startsWith(asDir + path.sep));
        if (inDir.length === 0)
          throw new UsageError(`no scenario "${a}" (give an id from \`rig list\`, a .yaml file, a folder or a glob)`);
        inDir.forEach((f) => files.add(f));
      }
    }
  }
  return [...files];
}

/** The scenario file whose `id:` is this, when its file name says something else. */
async function fileWithId(files: string[], id: string): Promise<string | undefined> {
  for (const f of files) {
    const text = await readFile(f, 'utf8').catch(() => '');
    if (new RegExp(`^id:\\s*["']?${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["']?\\s*$`, 'm').test(text)) return f;
  }
  return undefined;
}

/** `--boards` ids must name profiles: an unknown one would silently select no cell and pass. */
export function checkBoardIds(
  ids: readonly string[],
  profiles: ReadonlyMap<string, BoardProfile>,
  option = '--boards',
): void {
  const known = [...profiles.keys()].sort();
  const unknown = ids.filter((id) => !profiles.has(id));
  if (unknown.length === 0) return;
  const hints = unknown.map((u) => closest(u, known)).filter((h): h is string => !!h);
  throw new UsageError(
    `${option}: no board profile ${unknown.map((u) => `"${u}"`).join(', ')} in boards/${hints.length ? ` (did you mean ${hints.map((h) => `"${h}"`).join(', ')}?)` : ''}; known boards: ${known.join(', ')}`,
  );
}

/** A `--variant` value: one the scenario has (default: its first). */
export function variantArg(s: Scenario, name: string | undefined): string {
  const have = Object.keys(s.variants);
  const v = name ?? have[0]!;
  if (!s.variants[v])
    throw new UsageError(`--variant ${v}: scenario ${s.id} has no such variant (have: ${have.join(', ')})`);
  return v;
}

export interface Context {
  paths: ProjectPaths;
  boards: Map<string, BoardProfile>;
}

export async function context(): Promise<Context> {
  const paths = projectPaths();
  return { paths, boards: await loadBoards(paths.boards) };
}
