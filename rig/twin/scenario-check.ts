// What a scenario asks of a twin build that only the board profiles and the twin's library table can check: FQBN menu
// options the twin honours, library versions it imitates. Problems carry their YAML path (file:line via
// positionProblems), so a typo is a usage error before anything runs.
import type { BoardProfile } from '../boards/profile.ts';
import { menuProblems } from '../boards/fqbn.ts';
import type { PathProblem } from '../scenario/load.ts';
import type { BuildSpec, LibraryPins, Scenario } from '../scenario/schema.ts';
import type { z } from 'zod';
import { pinProblem, type LibraryTable } from './library-table.ts';

export function buildProblems(
  s: Scenario,
  profiles: ReadonlyMap<string, BoardProfile>,
  table: LibraryTable,
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
    for (const [name, version] of Object.entries(libs ?? {})) {
      const problem = pinProblem(table, name, String(version));
      if (problem) out.push({ path: [...at, 'libraries', name], message: problem });
    }
  }
  return out;
}
