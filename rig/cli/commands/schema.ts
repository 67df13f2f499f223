import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { str } from '../args.ts';
import { UsageError } from '../../errors.ts';
import { Scenario } from '../../scenario/schema.ts';
import { BoardProfile } from '../../boards/profile.ts';
import { Results } from '../../results/schema.ts';
import { QuarantineFile } from '../../runner/quarantine.ts';
import { HistoryFile } from '../../report/history.ts';
import { LabInventory } from '../../hardware/inventory.ts';
import { VersionTable } from '../../boards/versions.ts';
import { LibraryTable } from '../../twin/library-table.ts';

/** Every file format a user or contributor writes or reads, by the name `rig schema` takes. */
export const SCHEMAS: Record<string, z.ZodType> = {
  scenario: Scenario,
  board: BoardProfile,
  results: Results,
  quarantine: QuarantineFile,
  history: HistoryFile,
  lab: LabInventory,
  'version-table': VersionTable,
  'library-table': LibraryTable,
};

export function jsonSchema(name: string): unknown {
  const s = SCHEMAS[name];
  if (!s) throw new UsageError(`unknown schema "${name}" (have: ${Object.keys(SCHEMAS).join(', ')})`);
  return {
    $id: `https://the-rig.invalid/schemas/${name}.v1.json`,
    title: `rig ${name} file, version 1`,
    ...z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }),
  };
}

export const schemaCommand = command(
  {
    name: 'schema',
    usage: `rig schema [${Object.keys(SCHEMAS).join('|')}] [--out DIR]`,
    summary: 'Print a file format as JSON Schema (for editors: yaml-language-server), or write all of them to DIR.',
    options: { out: { type: 'string', help: 'Write every schema as DIR/<name>.schema.json' } },
  },
  async (p) => {
    const out = str(p, 'out');
    if (out) {
      await mkdir(out, { recursive: true });
      for (const name of Object.keys(SCHEMAS)) {
        await writeFile(path.join(out, `${name}.schema.json`), `${JSON.stringify(jsonSchema(name), null, 2)}\n`);
      }
      process.stdout.write(`wrote ${Object.keys(SCHEMAS).length} schemas to ${out}\n`);
      return EXIT.ok;
    }
    process.stdout.write(`${JSON.stringify(jsonSchema(p.positionals[0] ?? 'scenario'), null, 2)}\n`);
    return EXIT.ok;
  },
);
