// The board family's version table as the twin gets it: every row's values baked into the sketch unit (read by
// boards/twin/core/host/version_row.cpp, which picks the row at run time from the core version), plus the sketch-only
// defines of the build's own row (APIs the release lacks). Printed text never needs another host core.
import path from 'node:path';
import {
  flatValues,
  knownVersions,
  loadVersionTable,
  rowFor,
  versionTableFile,
  nearestVersions,
  type LoadedVersionTable,
  type ResolvedRow,
} from '../boards/versions.ts';
import { TwinBuildError } from './compile.ts';
import type { TwinCore } from './hostcore.ts';
import type { PinLayer } from './library-table.ts';

export interface TwinVersionData {
  /** JSON for twin_build_version_table(). */
  json: string;
  /** -D for the sketch unit: TWIN_MISSING_<api> and the row's own sketch defines. */
  sketchDefines: string[];
  /** The row of the build's core version, undefined for a version the table does not list. */
  row?: ResolvedRow;
  /** Library releases the build uses, name → release (the table's default unless the caller named one). */
  libraries: Record<string, string>;
  /** Methods the build's releases lack, with the release that lacks each ("arduino-esp32 1.0.4"). */
  missing: { api: string; release: string }[];
}

/** A library release a build asks for (e.g. ArduinoBearSSL 1.6.0) that the family's table must cover. */
export type LibraryVersions = Record<string, string>;

export async function twinVersionData(
  core: TwinCore,
  boardsDir: string,
  coreVersion: string,
  libraries: LibraryVersions = {},
): Promise<TwinVersionData> {
  const table = await loadVersionTable(versionTableFile(boardsDir, core));
  const libs = libraryRows(table, libraries);
  const libValues = Object.fromEntries(Object.entries(libs).map(([name, r]) => [name, r.values] as const)) as Record<
    string,
    unknown
  >;
  const rows: Record<string, Record<string, string>> = {};
  for (const r of table.rows) rows[r.id] = { ...flatValues(r.values), ...flatValues({ lib: libValues }) };
  const versions: Record<string, string> = {};
  for (const r of table.rows) for (const v of r.releases) versions[v] = r.id;
  const row = rowFor(table.rows, coreVersion);
  const json = JSON.stringify({ build: row?.id ?? table.rows[0]!.id, versions, rows });
  const own = [row, ...Object.values(libs)].filter((r): r is ResolvedRow => !!r);
  const sketchDefines = [
    ...new Set(own.flatMap((r) => [...r.missingApis.map((a) => `TWIN_MISSING_${a}`), ...r.sketchDefines])),
  ];
  const missing = [
    ...(row?.missingApis ?? []).map((api) => ({ api, release: `${table.component} ${coreVersion}` })),
    ...Object.entries(libs).flatMap(([name, r]) =>
      r.missingApis.map((api) => ({ api, release: `${name} ${chosenRelease(table, name, libraries)}` })),
    ),
  ];
  return {
    json,
    sketchDefines,
    missing,
    ...(row ? { row } : {}),
    libraries: Object.fromEntries(Object.entries(libs).map(([n]) => [n, chosenRelease(table, n, libraries)])),
  };
}

function chosenRelease(table: LoadedVersionTable, name: string, asked: LibraryVersions): string {
  return asked[name] ?? table.libraries[name]!.default;
}

function libraryRows(table: LoadedVersionTable, asked: LibraryVersions): Record<string, ResolvedRow> {
  const out: Record<string, ResolvedRow> = {};
  for (const [name, lib] of Object.entries(table.libraries)) {
    const release = chosenRelease(table, name, asked);
    const row = rowFor(lib.rows, release);
    if (!row)
      throw new TwinBuildError(
        'toolchain',
        `${table.file}: the ${table.family} twin imitates no ${name} ${release} (it has ${knownVersions(lib.rows).join(', ')})`,
        [],
        '',
      );
    out[name] = row;
  }
  return out;
}

/** Why the family's table cannot imitate this library release, or undefined (also for a library it has no rows for). */
export function tablePinProblem(table: LoadedVersionTable, name: string, release: string): string | undefined {
  const lib = table.libraries[name];
  if (!lib || rowFor(lib.rows, release)) return undefined;
  return (
    `the ${table.family} twin imitates no ${name} ${release}; nearest: ${nearestVersions(lib.rows, release).join(', ')} ` +
    `(${path.relative(process.cwd(), table.file) || table.file})`
  );
}

/**
 * The releases a cell's pins choose for the libraries the family's version table has rows for (ArduinoBearSSL and
 * WiFi101 on the MKR1000): the first layer that pins one (scenario, sketch.yaml, a libraries folder, the profile).
 */
export async function tableLibraryPins(
  core: TwinCore,
  boardsDir: string,
  layers: readonly PinLayer[],
): Promise<{ versions: LibraryVersions; notes: string[]; problems: string[] }> {
  const table = await loadVersionTable(versionTableFile(boardsDir, core));
  const out = { versions: {} as LibraryVersions, notes: [] as string[], problems: [] as string[] };
  for (const name of Object.keys(table.libraries)) {
    const layer = layers.find((l) => l.pins[name] !== undefined);
    if (!layer) continue;
    const release = layer.pins[name]!;
    const problem = tablePinProblem(table, name, release);
    if (problem) out.problems.push(`${problem} (pinned by ${layer.from})`);
    else {
      out.versions[name] = release;
      out.notes.push(`${name} ${release} (${layer.from})`);
    }
  }
  return out;
}

/** The first "has no member named 'X'" compiler error whose X the release lacks, if any. */
export function missingApiIn(
  errors: readonly string[],
  missing: TwinVersionData['missing'],
): { api: string; release: string; line: string } | undefined {
  for (const line of errors) {
    const m = /has no member named [‘'`"](\w+)[’'`"]/.exec(line);
    const hit = m && missing.find((x) => x.api === m[1]);
    if (hit) return { ...hit, line };
  }
  return undefined;
}

/** C++ source for the baked table (a raw string literal; the JSON has no ")twin_rows\"" in it). */
export function versionTableSource(json: string): string {
  if (json.includes(')twin_rows"')) throw new Error('version table text contains the raw-string delimiter');
  return `extern "C" const char* twin_build_version_table() { return R"twin_rows(${json})twin_rows"; }\n`;
}
