// A board family's version table (boards/twin/versions/<family>.yaml): every core release the family's twin
// imitates, grouped into rows of identical behaviour, and each row's printed lines and behaviour as data. The twin
// reads the row's values at run time (baked into the sketch unit by rig/twin/build.ts), so a version that only
// prints other text needs no other host core.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { FormatError } from '../errors.ts';
import { compareVersions, nearestOf, parseWithSchema, positionProblems, type PathProblem } from '../format/index.ts';
import { FAMILY_VALUES, type VersionFamily } from './version-values.ts';

export type { VersionFamily } from './version-values.ts';

/** A release as its maintainers tag it: 1.0.4, 2.0.17, 3.1.2 (an -rc suffix allowed). */
const Release = z.string().regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/, 'a release like 2.0.17');
const ApiName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a C++ identifier');
const Define = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(=.*)?$/, 'NAME or NAME=value');

export const VersionRow = z
  .object({
    id: z.string().min(1).describe('Row name, e.g. "1.0.4" or "2.0.1-2.0.17"'),
    releases: z.array(Release).min(1).describe('The releases whose behaviour this row is'),
    extends: z.string().optional().describe('Row whose values this one starts from (deep merge)'),
    source: z.string().min(1).describe('Where the values were read: upstream file@tag, or what they were taken from'),
    basis: z
      .enum(['tag', 'near-tag', 'logs', 'assumed', 'model'])
      .describe(
        'tag: read at the release tag; near-tag: read at a commit next to it; logs: third-party board logs; ' +
          'assumed: not readable, taken to be the row it extends (say why in note); ' +
          'model: behaviour modelled where the real stack cannot run (say why in note)',
      ),
    note: z.string().optional(),
    missingApis: z
      .array(ApiName)
      .optional()
      .describe(
        'Methods this release does not have: a sketch calling one fails to compile (-DTWIN_MISSING_<name>); ' +
          'inherited through extends unless given',
      ),
    sketchDefines: z
      .array(Define)
      .optional()
      .describe('-D for the sketch unit only (what a header means in this release); inherited through extends'),
    values: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type VersionRow = z.infer<typeof VersionRow>;

const LibraryTable = z
  .object({
    default: Release.describe('The version a build gets when none is pinned'),
    rows: z.array(VersionRow).min(1),
  })
  .strict();

export const VersionTable = z
  .object({
    version: z.literal(1),
    family: z.enum(['esp32', 'esp8266', 'mkr1000']),
    component: z.string().describe('What the rows version, e.g. "arduino-esp32"'),
    rows: z.array(VersionRow).min(1),
    libraries: z
      .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), LibraryTable)
      .default({})
      .describe('Libraries whose releases behave differently, each with its own rows'),
  })
  .strict();
export type VersionTable = z.infer<typeof VersionTable>;

/** A row with `extends` applied and its values checked against the family's schema. */
export interface ResolvedRow {
  id: string;
  releases: string[];
  source: string;
  basis: VersionRow['basis'];
  note?: string;
  missingApis: string[];
  sketchDefines: string[];
  values: Record<string, unknown>;
}

export interface LoadedVersionTable {
  file: string;
  family: VersionFamily;
  component: string;
  rows: ResolvedRow[];
  libraries: Record<string, { default: string; rows: ResolvedRow[] }>;
}

export const VERSIONS_DIR = 'versions';

/** boards/twin/versions/<family>.yaml, from the boards/twin/ folder. */
export function versionTableFile(twinBoardsDir: string, family: VersionFamily): string {
  return path.join(twinBoardsDir, VERSIONS_DIR, `${family}.yaml`);
}

const cache = new Map<string, Promise<LoadedVersionTable>>();

/** Loads, resolves and checks a table; every problem as file:line:column. Cached per file (tables are static). */
export function loadVersionTable(file: string): Promise<LoadedVersionTable> {
  let p = cache.get(file);
  if (!p) {
    p = readTable(file);
    cache.set(file, p);
    p.catch(() => cache.delete(file));
  }
  return p;
}

async function readTable(file: string): Promise<LoadedVersionTable> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new FormatError([{ file, line: 1, column: 1, field: '', message: `cannot read: ${(e as Error).message}` }]);
  }
  return parseVersionTable(text, file);
}

/** For synchronous callers (the forum importer's log heads): the same checks, read at once. */
export function loadVersionTableSync(file: string): LoadedVersionTable {
  return parseVersionTable(readFileSync(file, 'utf8'), file);
}

function parseVersionTable(text: string, file: string): LoadedVersionTable {
  const t = parseWithSchema(VersionTable, text, file);
  const problems: PathProblem[] = [];
  const rows = resolveRows(t.family, t.rows, ['rows'], problems);
  const libraries: LoadedVersionTable['libraries'] = {};
  for (const [name, lib] of Object.entries(t.libraries)) {
    const libRows = resolveRows(`${t.family}.${name}`, lib.rows, ['libraries', name, 'rows'], problems);
    if (!libRows.some((r) => r.releases.includes(lib.default)))
      problems.push({ path: ['libraries', name, 'default'], message: `no row covers ${lib.default}` });
    libraries[name] = { default: lib.default, rows: libRows };
  }
  if (problems.length) throw new FormatError(positionProblems(text, file, problems));
  return { file, family: t.family, component: t.component, rows, libraries };
}

function resolveRows(
  schemaKey: string,
  rows: VersionRow[],
  at: (string | number)[],
  out: PathProblem[],
): ResolvedRow[] {
  const schema = FAMILY_VALUES[schemaKey];
  const byId = new Map(rows.map((r) => [r.id, r]));
  const seen = new Map<string, string>();
  const resolved: ResolvedRow[] = [];
  rows.forEach((row, i) => {
    if (byId.get(row.id) !== row) out.push({ path: [...at, i, 'id'], message: `duplicate row id "${row.id}"` });
    for (const r of row.releases) {
      const other = seen.get(r);
      if (other) out.push({ path: [...at, i, 'releases'], message: `${r} is already covered by row "${other}"` });
      seen.set(r, row.id);
    }
    const chain = rowChain(row, byId, [...at, i], out);
    if (!chain) return;
    const merged = chain.reduce<Record<string, unknown>>((acc, r) => deepMerge(acc, r.values), {});
    const check = schema ? schema.safeParse(merged) : { success: true as const, data: merged };
    if (!check.success) {
      for (const issue of check.error.issues)
        out.push({ path: [...at, i, 'values', ...issue.path.map(String)], message: issue.message });
      return;
    }
    resolved.push({
      id: row.id,
      releases: row.releases,
      source: row.source,
      basis: row.basis,
      ...(row.note ? { note: row.note } : {}),
      missingApis: lastGiven(chain, (r) => r.missingApis),
      sketchDefines: lastGiven(chain, (r) => r.sketchDefines),
      values: check.data as Record<string, unknown>,
    });
  });
  return resolved;
}

/** The row and the rows it extends, base first. */
function rowChain(
  row: VersionRow,
  byId: Map<string, VersionRow>,
  at: (string | number)[],
  out: PathProblem[],
): VersionRow[] | undefined {
  const chain: VersionRow[] = [row];
  for (let r = row; r.extends;) {
    const base = byId.get(r.extends);
    if (!base || chain.includes(base)) {
      out.push({ path: [...at, 'extends'], message: base ? 'extends itself' : `no row "${r.extends}" to extend` });
      return undefined;
    }
    chain.unshift(base);
    r = base;
  }
  return chain;
}

function lastGiven<T>(chain: VersionRow[], pick: (r: VersionRow) => T[] | undefined): T[] {
  for (let i = chain.length - 1; i >= 0; i--) {
    const v = pick(chain[i]!);
    if (v) return v;
  }
  return [];
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isPlain(prev) && isPlain(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every release the table covers, oldest first. */
export function knownVersions(rows: readonly ResolvedRow[]): string[] {
  return rows.flatMap((r) => r.releases).sort(compareVersions);
}

/** The row that covers a release, if any. */
export function rowFor(rows: readonly ResolvedRow[], version: string): ResolvedRow | undefined {
  return rows.find((r) => r.releases.includes(version));
}

/** The covered releases either side of an unknown one (2.8.0 → 2.7.3, 2.7.4, 3.0.0), at most `n`, oldest first. */
export function nearestVersions(rows: readonly ResolvedRow[], version: string, n = 3): string[] {
  return nearestOf(knownVersions(rows), version, n);
}

/** nearestVersions over a plain list of releases. */

/** A row's values as the flat "a.b.c" → text map the twin's C++ reads (twin::row in core/host). */
export function flatValues(values: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isPlain(v)) Object.assign(out, flatValues(v, key));
    else out[key] = String(v);
  }
  return out;
}

export { compareVersions, nearestOf } from '../format/index.ts';
