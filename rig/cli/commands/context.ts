// Loading what most commands need: scenario files (by id, path or glob) and board profiles.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadBoards } from '../../boards/load.ts';
import type { BoardProfile } from '../../boards/profile.ts';
import { nearestOf } from '../../boards/versions.ts';
import {
  closest,
  loadScenario,
  positionProblems,
  ScenarioError,
  type LoadedScenario,
  type PathProblem,
  type Problem,
} from '../../scenario/load.ts';
import type { Scenario } from '../../scenario/schema.ts';
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

/**
 * Loads every file, collecting all problems before failing so one run shows every mistake. Board ids are checked
 * against the profiles here, not in the parser: which boards exist is the project's, not the file format's.
 */
export async function loadScenarios(
  files: string[],
  boards?: ReadonlyMap<string, BoardProfile>,
): Promise<LoadedScenario[]> {
  const profiles = boards ?? (await loadBoards(projectPaths().boards));
  const loaded: LoadedScenario[] = [];
  const problems: Problem[] = [];
  for (const f of files) {
    try {
      loaded.push(await loadScenario(f));
    } catch (e) {
      if (e instanceof ScenarioError) problems.push(...e.problems);
      else throw e;
    }
  }
  for (const l of loaded) problems.push(...(await unknownBoards(l, profiles)));
  const ids = new Map<string, string>();
  for (const l of loaded) {
    const prev = ids.get(l.scenario.id);
    if (prev)
      problems.push({
        file: l.file,
        line: 1,
        column: 1,
        field: 'id',
        message: `duplicate scenario id "${l.scenario.id}" (also in ${prev})`,
      });
    ids.set(l.scenario.id, l.file);
  }
  if (problems.length) throw new ScenarioError(problems);
  return loaded;
}

/**
 * Every entry of a scenario's `boards` with no profile in boards/, and every pinned core ("esp8266@2.8.0" in expect)
 * that the board's twin does not imitate and its hardware does not install, at its place in the file.
 */
export async function unknownBoards(
  l: LoadedScenario,
  profiles: ReadonlyMap<string, BoardProfile>,
): Promise<Problem[]> {
  const known = [...profiles.keys()].sort();
  const bad: PathProblem[] = [];
  l.scenario.boards.forEach((b, i) => {
    if (profiles.has(b)) return;
    const hint = closest(b, known);
    bad.push({
      path: ['boards', i],
      message: `no board profile "${b}" in boards/${hint ? ` (did you mean "${hint}"?)` : ''}; known boards: ${known.join(', ')}`,
    });
  });
  bad.push(...unknownPins(l, profiles));
  if (bad.length === 0) return [];
  return positionProblems(await readFile(l.file, 'utf8'), l.file, bad);
}

function unknownPins(l: LoadedScenario, profiles: ReadonlyMap<string, BoardProfile>): PathProblem[] {
  const bad: PathProblem[] = [];
  for (const [variant, byBoard] of Object.entries(l.scenario.expect)) {
    for (const key of Object.keys(byBoard)) {
      const at = key.indexOf('@');
      const profile = at > 0 ? profiles.get(key.slice(0, at)) : undefined;
      if (!profile?.twin) continue;
      const version = key.slice(at + 1);
      const runs = [...profile.twin.coreVersions, ...profile.twin.imitates];
      if (runs.includes(version) || profile.hardware?.core.version === version) continue;
      bad.push({
        path: ['expect', variant, key],
        message:
          `the ${profile.id} twin imitates no core ${version}; nearest: ${nearestOf(runs, version).join(', ')} ` +
          '(rig list shows every version it imitates)',
      });
    }
  }
  return bad;
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
