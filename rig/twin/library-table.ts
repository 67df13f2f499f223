// The library versions the twin imitates (boards/twin/libraries/versions.yaml): which pins a scenario may make, and
// the -D that tells the twin's library code which version it is.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parseWithSchema } from '../format/index.ts';
import { DEFAULT_BOARDS_DIR } from './hostcore.ts';

const Versioned = z
  .object({
    upstream: z.string().describe('GitHub owner/name the behaviour was read from'),
    versions: z
      .array(z.string().regex(/^\d+(\.\d+){0,3}$/))
      .min(1)
      .describe('Oldest first; the last is the default'),
    define: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/)
      .optional()
      .describe('-D<define>=<major*10000+minor*100+patch> on every unit of a twin build'),
  })
  .strict();
const Bundled = z
  .object({
    upstream: z.string(),
    bundled: z.string().describe('Why this cannot be pinned on its own, and what to pin instead'),
  })
  .strict();

export const LibraryTable = z
  .object({ version: z.literal(1), libraries: z.record(z.string(), z.union([Versioned, Bundled])) })
  .strict();
export type LibraryTable = z.infer<typeof LibraryTable>;

// Parsed tables by file, kept while the file's size and mtime stay: every cell's build plan asks for it.
const parsed = new Map<string, { stamp: string; table: LibraryTable }>();

export async function loadLibraryTable(boardsDir = DEFAULT_BOARDS_DIR): Promise<LibraryTable> {
  const file = path.join(boardsDir, 'libraries', 'versions.yaml');
  const st = await stat(file);
  const stamp = `${st.size}:${st.mtimeMs}`;
  const hit = parsed.get(file);
  if (hit?.stamp === stamp) return hit.table;
  const table = parseWithSchema(LibraryTable, await readFile(file, 'utf8'), file);
  parsed.set(file, { stamp, table });
  return table;
}

/** 2.7 → 20700, 0.1.8 → 108: how the twin's C++ compares versions. */
export function versionCode(v: string): number {
  const [a = 0, b = 0, c = 0] = v.split('.').map((x) => Number(x));
  return a * 10000 + b * 100 + c;
}

/** Why a pin cannot run on the twin, or undefined when it can (libraries the twin does not know are the user's). */
export function pinProblem(table: LibraryTable, name: string, version: string): string | undefined {
  const entry = table.libraries[name];
  if (!entry) return undefined;
  if ('bundled' in entry) return entry.bundled;
  if (entry.versions.includes(version)) return undefined;
  return `the twin imitates ${name} ${entry.versions.join(', ')}, not ${version}`;
}

/** One source of library pins, most important first: the scenario, sketch.yaml, a libraries folder, the profile. */
export interface PinLayer {
  from: string;
  pins: Record<string, string>;
}

/**
 * The version each versioned library runs at (the first layer that pins it, else the table's newest), the -D that
 * says so, and a problem for every pin the twin does not imitate (the build cannot be faithful to it).
 */
export function libraryVersions(
  table: LibraryTable,
  layers: readonly PinLayer[],
): { versions: Record<string, { version: string; from: string }>; defines: string[]; problems: string[] } {
  const versions: Record<string, { version: string; from: string }> = {};
  const defines: string[] = [];
  const problems: string[] = [];
  for (const [name, entry] of Object.entries(table.libraries)) {
    if ('bundled' in entry) continue;
    const layer = layers.find((l) => l.pins[name] !== undefined);
    let chosen = { version: entry.versions[entry.versions.length - 1]!, from: 'the twin default' };
    if (layer) {
      const problem = pinProblem(table, name, layer.pins[name]!);
      if (problem) problems.push(`${problem} (pinned by ${layer.from})`);
      else chosen = { version: layer.pins[name]!, from: layer.from };
    }
    versions[name] = chosen;
    if (entry.define) defines.push(`${entry.define}=${versionCode(chosen.version)}`);
  }
  return { versions, defines, problems };
}
