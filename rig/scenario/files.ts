// Scenario files of a project: every one under a folder, and several loaded at once with every problem of
// every file reported together (a scenario naming a board with no profile included).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { FormatError, type Problem } from '../errors.ts';
import { closest, nearestOf, positionProblems, type PathProblem } from '../format/index.ts';
import { loadScenario, type LoadedScenario } from './load.ts';

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

/** What loading needs to know of a board profile (the scenario layer does not depend on the boards folder). */
export interface ProfileView {
  id: string;
  twin?: { coreVersions: readonly string[]; imitates: readonly string[] };
  hardware?: { core: { version: string } };
}

/**
 * Loads every file, collecting all problems before failing so one run shows every mistake. Board ids are checked
 * against the profiles here, not in the parser: which boards exist is the project's, not the file format's.
 * `more` adds the checks of a layer above (rig/runner/validate.ts: each variant as its session resolves it).
 */
export async function loadScenarios(
  files: string[],
  profiles: ReadonlyMap<string, ProfileView>,
  more?: (l: LoadedScenario) => Promise<Problem[]>,
): Promise<LoadedScenario[]> {
  const loaded: LoadedScenario[] = [];
  const problems: Problem[] = [];
  for (const f of files) {
    try {
      loaded.push(await loadScenario(f));
    } catch (e) {
      if (e instanceof FormatError) problems.push(...e.problems);
      else throw e;
    }
  }
  for (const l of loaded) problems.push(...(await unknownBoards(l, profiles)), ...((await more?.(l)) ?? []));
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
  if (problems.length) throw new FormatError(problems);
  return loaded;
}

/**
 * Every entry of a scenario's `boards` with no profile in boards/, and every pinned core ("esp8266@2.8.0" in expect)
 * that the board's twin does not imitate and its hardware does not install, at its place in the file.
 */
export async function unknownBoards(l: LoadedScenario, profiles: ReadonlyMap<string, ProfileView>): Promise<Problem[]> {
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

function unknownPins(l: LoadedScenario, profiles: ReadonlyMap<string, ProfileView>): PathProblem[] {
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
