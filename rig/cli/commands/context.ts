// Loading what most commands need: scenario files (by id, path or glob) and board profiles.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadBoards } from '../../boards/load.ts';
import type { BoardProfile } from '../../boards/profile.ts';
import { loadScenario, ScenarioError, type LoadedScenario, type Problem } from '../../scenario/load.ts';
import { projectPaths, type ProjectPaths } from '../../project.ts';
import { UsageError } from '../args.ts';

export async function allScenarioFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\.ya?ml$/.test(e.name)) out.push(p);
    }
  };
  await walk(dir).catch(() => undefined);
  return out.sort();
}

function globRe(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}

/** Resolves CLI arguments to scenario files: ids, files, folders or globs (over ids and paths). */
export async function resolveScenarioArgs(args: string[], paths: ProjectPaths): Promise<string[]> {
  const all = await allScenarioFiles(paths.scenarios);
  if (args.length === 0) return all;
  const files = new Set<string>();
  for (const a of args) {
    if (/[*?]/.test(a)) {
      const re = globRe(a);
      const hits = all.filter((f) => re.test(path.basename(f).replace(/\.ya?ml$/, '')) || re.test(path.relative(process.cwd(), f)) || re.test(f));
      if (hits.length === 0) throw new UsageError(`no scenario matches "${a}"`);
      hits.forEach((h) => files.add(h));
    } else if (/\.ya?ml$/.test(a)) files.add(path.resolve(a));
    else {
      const byId = all.find((f) => path.basename(f).replace(/\.ya?ml$/, '') === a) ?? await fileWithId(all, a);
      const asDir = path.resolve(a);
      if (byId) files.add(byId);
      else {
        const inDir = all.filter((f) => f.startsWith(asDir + path.sep));
        if (inDir.length === 0) throw new UsageError(`no scenario "${a}" (give an id from \`rig list\`, a .yaml file, a folder or a glob)`);
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

/** Loads every file, collecting all problems before failing so one run shows every mistake. */
export async function loadScenarios(files: string[]): Promise<LoadedScenario[]> {
  const loaded: LoadedScenario[] = [];
  const problems: Problem[] = [];
  for (const f of files) {
    try { loaded.push(await loadScenario(f)); } catch (e) {
      if (e instanceof ScenarioError) problems.push(...e.problems); else throw e;
    }
  }
  const ids = new Map<string, string>();
  for (const l of loaded) {
    const prev = ids.get(l.scenario.id);
    if (prev) problems.push({ file: l.file, line: 1, column: 1, field: 'id', message: `duplicate scenario id "${l.scenario.id}" (also in ${prev})` });
    ids.set(l.scenario.id, l.file);
  }
  if (problems.length) throw new ScenarioError(problems);
  return loaded;
}

export interface Context { paths: ProjectPaths; boards: Map<string, BoardProfile> }

export async function context(): Promise<Context> {
  const paths = projectPaths();
  return { paths, boards: await loadBoards(paths.boards) };
}
