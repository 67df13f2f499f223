// The board family's version table as the twin gets it: every row's values baked into the sketch unit (read by
// boards/twin/core/host/version_row.cpp, which picks the row at run time from the core version), plus the sketch-only
// defines of the build's own row (APIs the release lacks). Printed text never needs another host core.
import {
  flatValues,
  knownVersions,
  loadVersionTable,
  rowFor,
  versionTableFile,
  type LoadedVersionTable,
  type ResolvedRow,
} from '../boards/versions.ts';
import { TwinBuildError } from './compile.ts';
import type { TwinCore } from './hostcore.ts';

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
