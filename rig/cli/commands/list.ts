import path from 'node:path';
import { command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { context } from './context.ts';
import { allScenarioFiles } from '../../scenario/files.ts';
import { loadRunnableScenarios } from '../../runner/validate.ts';
import { bool } from '../args.ts';

export const listCommand = command(
  {
    name: 'list',
    usage: 'rig list [--json]',
    summary: 'List scenarios (id, tags, boards, variants) and board profiles.',
    options: { json: { type: 'boolean', help: 'Machine-readable output' } },
  },
  async (p) => {
    const { paths, boards } = await context();
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
    }
    return EXIT.ok;
  },
);
