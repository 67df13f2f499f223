// What a scenario asks of a twin build that only the board profiles and the twin's tables can check: FQBN menu
// options the twin honours, library versions it imitates (boards/twin/libraries/versions.yaml, and the library rows
// of a family's version table, boards/twin/versions/). Problems carry their YAML path (file:line via
// positionProblems), so a typo is a usage error before anything runs.
import type { BoardProfile } from '../boards/profile.ts';
import { menuProblems } from '../boards/fqbn.ts';
import { loadVersionTable, versionTableFile, type LoadedVersionTable } from '../boards/versions.ts';
import type { PathProblem } from '../format/index.ts';
import type { BuildSpec, LibraryPins, Scenario } from '../scenario/schema.ts';
import type { z } from 'zod';
import { DEFAULT_BOARDS_DIR, type TwinCore } from './hostcore.ts';
import { loadLibraryTable, pinProblem, type LibraryTable } from './library-table.ts';
import { tablePinProblem } from './versions.ts';

/** The tables a scenario's pins are checked against. */
export interface BuildTables {
  libraries: LibraryTable;
  /** Each twin core's version table (its library rows). */
  versions: ReadonlyMap<TwinCore, LoadedVersionTable>;
}

export async function loadBuildTables(
  profiles: ReadonlyMap<string, BoardProfile>,
  boardsDir = DEFAULT_BOARDS_DIR,
): Promise<BuildTables> {
  const versions = new Map<TwinCore, LoadedVersionTable>();
  for (const p of profiles.values())
    if (p.twin && !versions.has(p.twin.core))
      versions.set(p.twin.core, await loadVersionTable(versionTableFile(boardsDir, p.twin.core)));
  return { libraries: await loadLibraryTable(boardsDir), versions };
}

export function buildProblems(
  s: Scenario,
  profiles: ReadonlyMap<string, BoardProfile>,
  tables: BuildTables,
): PathProblem[] {
  const out: PathProblem[] = [];
  const layers: { at: (string | number)[]; build?: z.infer<typeof BuildSpec>; libs?: z.infer<typeof LibraryPins> }[] = [
    { at: [], build: s.build, libs: s.libraries },
  ];
  for (const [name, v] of Object.entries(s.variants))
    layers.push({ at: ['variants', name], build: v.build, libs: v.libraries });
  for (const { at, build, libs } of layers) {
    for (const [key, b] of Object.entries(build ?? {})) {
      const boards = key === '*' ? s.boards : [key];
      for (const id of boards) {
        const twin = profiles.get(id)?.twin;
        if (!twin || !b.fqbnOptions) continue;
        const options = Object.fromEntries(Object.entries(b.fqbnOptions).map(([k, v]) => [k, String(v)]));
        for (const message of menuProblems(twin, options, id))
          out.push({ path: [...at, 'build', key, 'fqbnOptions'], message });
      }
    }
    for (const [name, version] of Object.entries(libs ?? {}))
      for (const message of pinProblems(s, profiles, tables, name, String(version)))
        out.push({ path: [...at, 'libraries', name], message });
  }
  return out;
}

/** Why a pin cannot run on the scenario's twins: the library table's word, then each board family's table. */
function pinProblems(
  s: Scenario,
  profiles: ReadonlyMap<string, BoardProfile>,
  tables: BuildTables,
  name: string,
  version: string,
): string[] {
  const own = pinProblem(tables.libraries, name, version);
  if (own) return [own];
  const out = new Set<string>();
  for (const id of s.boards) {
    const core = profiles.get(id)?.twin?.core;
    const table = core ? tables.versions.get(core) : undefined;
    const problem = table && tablePinProblem(table, name, version);
    if (problem) out.add(problem);
  }
  return [...out];
}
