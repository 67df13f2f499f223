// A scenario's `module` (the WiFi module's firmware and uploaded roots) checked against its boards' module tables and
// its PKI, at its place in the file: a root that is no certificate, a firmware no table row covers, a module on
// boards that have none.
import type { BoardProfile } from '../boards/profile.ts';
import { loadModuleTable, moduleRow, type ModuleId } from '../boards/modules.ts';
import type { PathProblem } from '../format/index.ts';
import { projectPaths } from '../project.ts';
import type { ModuleSpec, Scenario } from '../scenario/schema.ts';

export function moduleProblems(
  s: Scenario,
  profiles: ReadonlyMap<string, BoardProfile>,
  twinDir = projectPaths().twinCore,
): PathProblem[] {
  const modules = new Set<ModuleId>();
  for (const b of s.boards) {
    const m = profiles.get(b)?.twin?.module;
    if (m) modules.add(m);
  }
  const certs = new Set(Object.keys(s.pki).filter((k) => k !== 'verbatim'));
  const verbatim = Object.keys(s.pki.verbatim?.files ?? {}).map((k) => k.replace(/\.(crt|key)$/, ''));
  verbatim.forEach((n) => certs.add(n));
  const out: PathProblem[] = [];
  const check = (m: ModuleSpec | undefined, at: (string | number)[]): void => {
    if (!m) return;
    if (modules.size === 0) {
      out.push({
        path: at,
        message: `no board of this scenario has a WiFi module (${s.boards.join(', ')}); WiFiSSLClient boards do (mkr1000, mkrwifi1010)`,
      });
      return;
    }
    m.roots?.forEach((r, i) => {
      if (!certs.has(r))
        out.push({
          path: [...at, 'roots', i],
          message: `no certificate named "${r}" in pki (have: ${[...certs].join(', ')})`,
        });
    });
    if (m.firmware)
      for (const id of modules) {
        const row = moduleRow(loadModuleTable(twinDir, id), m.firmware);
        if (typeof row === 'string') out.push({ path: [...at, 'firmware'], message: row });
      }
  };
  check(s.module, ['module']);
  for (const [name, v] of Object.entries(s.variants)) check(v.module, ['variants', name, 'module']);
  return out;
}
