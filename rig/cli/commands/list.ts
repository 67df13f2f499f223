import path from 'node:path';
import { command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { context } from './context.ts';
import { allScenarioFiles } from '../../scenario/files.ts';
import { loadRunnableScenarios } from '../../runner/validate.ts';
import { bool } from '../args.ts';
import type { BoardProfile } from '../../boards/profile.ts';
import { compareVersions, loadVersionTable, versionTableFile, type LoadedVersionTable } from '../../boards/versions.ts';

/** The version table of every twin core the profiles use (boards/twin/versions/<core>.yaml), where one exists. */
async function twinTables(
  boardsDir: string,
  boards: ReadonlyMap<string, BoardProfile>,
): Promise<Map<string, LoadedVersionTable>> {
  const out = new Map<string, LoadedVersionTable>();
  for (const b of boards.values()) {
    if (!b.twin || out.has(b.twin.core)) continue;
    const t = await loadVersionTable(versionTableFile(path.join(boardsDir, 'twin'), b.twin.core)).catch(
      () => undefined,
    );
    if (t) out.set(b.twin.core, t);
  }
  return out;
}

/**
 * "twin runs 2.0.17; imitates 1.0.0-1.0.6, 2.0.0-2.0.16, 3.0.0-3.0.7, 3.1.0-3.1.3": the releases a scenario may
 * pin ("esp32@1.0.5"), runs of consecutive patch releases folded.
 */
export function twinVersionLines(axis: string[], imitates: string[]): string {
  const runs: string[][] = [];
  for (const v of [...imitates].sort(compareVersions)) {
    const last = runs[runs.length - 1];
    const prev = last?.[last.length - 1];
    const [pa, pb, pc] = (prev ?? '').split('.').map(Number);
    const [a, b, c] = v.split('.').map(Number);
    if (last && pa === a && pb === b && (pc ?? -2) + 1 === c) last.push(v);
    else runs.push([v]);
  }
  const folded = runs.map((r) => (r.length > 1 ? `${r[0]}-${r[r.length - 1]}` : r[0])).join(', ');
  return `      twin runs ${axis.join(', ')}${folded ? `; imitates ${folded} (pin one as "<board>@<version>" in expect)` : ''}`;
}

export const listCommand = command(
  {
    name: 'list',
    usage: 'rig list [--json]',
    summary: 'List scenarios (id, tags, boards, variants) and board profiles.',
    options: { json: { type: 'boolean', help: 'Machine-readable output' } },
  },
  async (p) => {
    const { paths, boards } = await context();
    const tables = await twinTables(paths.boards, boards);
    const scenarios = await loadRunnableScenarios(await allScenarioFiles(paths.scenarios), boards);
    if (bool(p, 'json')) {
      process.stdout.write(
        `${JSON.stringify(
          {
            scenarios: scenarios.map(({ file, scenario: s }) => ({
              id: s.id,
              title: s.title,
              file: path.relative(paths.root, file),
              tags: s.tags,
              boards: s.boards,
              variants: Object.keys(s.variants),
              source: s.source,
            })),
            boards: [...boards.values()].map((b) => ({
              id: b.id,
              name: b.name,
              family: b.family,
              kind: b.kind,
              stack: b.stack,
              twin: !!b.twin,
              hardware: !!b.hardware,
              ...(b.twin
                ? {
                    twinVersions: {
                      axis: b.twin.coreVersions,
                      imitates: b.twin.imitates,
                      rows: tables
                        .get(b.twin.core)
                        ?.rows.map((r) => ({ id: r.id, releases: r.releases, basis: r.basis })),
                      libraries: Object.fromEntries(
                        Object.entries(tables.get(b.twin.core)?.libraries ?? {}).map(([n, l]) => [
                          n,
                          { default: l.default, releases: l.rows.flatMap((r) => r.releases) },
                        ]),
                      ),
                    },
                  }
                : {}),
            })),
          },
          null,
          2,
        )}\n`,
      );
      return EXIT.ok;
    }
    process.stdout.write(`Scenarios (${scenarios.length}):\n`);
    for (const { scenario: s } of scenarios) {
      process.stdout.write(
        `  ${s.id.padEnd(48)} [${s.tags.join(', ')}] boards: ${s.boards.join(', ')}; variants: ${Object.keys(s.variants).join(', ')}\n`,
      );
      if (s.title) process.stdout.write(`      ${s.title}\n`);
    }
    process.stdout.write(`\nBoards (${boards.size}):\n`);
    for (const b of boards.values()) {
      const where = [b.twin ? 'twin' : '', b.hardware ? 'hardware' : '', b.kind === 'control' ? 'host' : '']
        .filter(Boolean)
        .join('+');
      process.stdout.write(`  ${b.id.padEnd(16)} ${b.name} (${b.stack}; ${where})\n`);
      if (!b.twin) continue;
      process.stdout.write(`${twinVersionLines(b.twin.coreVersions, b.twin.imitates)}\n`);
      const table = tables.get(b.twin.core);
      const models = table?.rows.filter((r) => r.basis === 'model').map((r) => r.id) ?? [];
      if (models.length)
        process.stdout.write(
          `      modelled, not run: ${models.join(', ')} (see ${path.relative(paths.root, table!.file)})\n`,
        );
      for (const [name, lib] of Object.entries(table?.libraries ?? {}))
        process.stdout.write(
          `      ${name} ${twinVersionLines(
            [],
            lib.rows.flatMap((r) => r.releases),
          )
            .replace(/^.*imitates /, '')
            .replace(/ \(pin.*$/, '')} (default ${lib.default})\n`,
        );
    }
    return EXIT.ok;
  },
);
