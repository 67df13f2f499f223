// Scenario files of a project: every one under a folder, and several loaded at once with every problem of
// every file reported together (a scenario naming a board with no profile included).
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { FormatError, type Problem } from '../errors.ts';
import { closest, positionProblems, type PathProblem } from '../format/index.ts';
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

/**
 * Loads every file, collecting all problems before failing so one run shows every mistake. Board ids are checked
 * against the profiles here, not in the parser: which boards exist is the project's, not the file format's.
 * `more` adds the checks of a layer above (rig/runner/validate.ts: each variant as its session resolves it).
 */
export async function loadScenarios(
  files: string[],
  profiles: ReadonlyMap<string, unknown>,
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

/** Every entry of a scenario's `boards` with no profile in boards/, at its place in the file. */
export async function unknownBoards(l: LoadedScenario, profiles: ReadonlyMap<string, unknown>): Promise<Problem[]> {
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
  if (bad.length === 0) return [];
  return positionProblems(await readFile(l.file, 'utf8'), l.file, bad);
}
