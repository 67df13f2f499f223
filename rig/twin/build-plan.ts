// What a twin build is made of beyond the sketch: the board's FQBN menu options (profile FQBN, sketch.yaml, scenario)
// turned into a debug level and -D defines, the scenario's own defines, the library versions to imitate (with the -D
// that says so), and the user libraries the sketch includes. Everything here reaches every unit, as arduino-cli's
// options do, so the host core is built (and cached) per distinct set.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { menuEffects, MenuError, mergeOptions, parseFqbn, type FqbnOptions, type TwinMenus } from '../boards/fqbn.ts';
import { TwinUnsupportedError } from './compile.ts';
import { libraryVersions, loadLibraryTable, versionCode, type PinLayer } from './library-table.ts';
import { resolveLibraries, scanLibrariesDir, scanLibrary, type UserLibrary } from './libraries.ts';
import { readSketchProject } from './sketch-project.ts';
import type { SketchSources } from './sketch.ts';
import type { TwinCore } from './hostcore.ts';
import { tableLibraryPins, type LibraryVersions } from './versions.ts';

export interface BuildPlanInput {
  boardsDir: string;
  /** The host core: its family's version table has rows for some libraries (boards/twin/versions/). */
  core: TwinCore;
  /** Board id for messages (the profile's id or the core). */
  boardId: string;
  debugLevel: number;
  menus?: TwinMenus;
  fqbn?: string;
  fqbnOptions?: FqbnOptions;
  extraDefines?: string[];
  libraries?: Record<string, string>;
  profileLibraries?: Record<string, string>;
  librariesDirs?: string[];
  /** Headers the twin provides (its board, core and own libraries): those are always the twin's. */
  twinHeaders: ReadonlySet<string>;
}

export interface BuildPlan {
  debugLevel: number;
  /** -D for every unit: menu effects, library versions, the scenario's defines (that order: later ones win). */
  defines: string[];
  /** User libraries to compile with the sketch. */
  libraries: UserLibrary[];
  /** Releases pinned for libraries the family's version table covers (buildTwin's libraryVersions). */
  libraryVersions: LibraryVersions;
  /** What was decided and why, for the build log. */
  notes: string[];
}

export async function planBuild(sketch: SketchSources, o: BuildPlanInput): Promise<BuildPlan> {
  const notes: string[] = [];
  const project = o.fqbn ? await readSketchProject(sketch.dir, o.fqbn) : undefined;
  if (project?.profile) notes.push(`sketch.yaml profile ${project.profile}`);
  const options = mergeOptions(o.fqbn ? parseFqbn(o.fqbn).options : {}, project?.fqbnOptions, o.fqbnOptions);
  let debugLevel = o.debugLevel;
  const defines: string[] = [];
  if (o.menus) {
    try {
      const fx = menuEffects({ ...o.menus, debugLevel: o.debugLevel }, options, o.boardId);
      debugLevel = fx.debugLevel;
      defines.push(...fx.defines);
    } catch (e) {
      if (e instanceof MenuError) throw new TwinUnsupportedError(e.message, 'fqbn', project?.file ?? '');
      throw e;
    }
  }
  if (Object.keys(options).length) notes.push(`board options ${JSON.stringify(options)} → debug level ${debugLevel}`);

  const dirs = [...(project?.dirs ?? []), ...(o.librariesDirs ?? [])];
  const available: UserLibrary[] = [];
  for (const d of project?.dirs ?? []) {
    const lib = await scanLibrary(d);
    if (lib) available.push(lib);
  }
  for (const d of o.librariesDirs ?? []) available.push(...(await scanLibrariesDir(d)));
  const resolved = await resolveLibraries([...sketch.inos, ...sketch.others], available, o.twinHeaders);
  for (const l of resolved.used) notes.push(`library ${l.name}${l.version ? ` ${l.version}` : ''} from ${l.dir}`);
  for (const l of resolved.replaced) notes.push(`library ${l.name} in ${l.dir}: the twin's own takes its place`);
  if (dirs.length && !resolved.used.length) notes.push(`no library needed from ${dirs.join(', ')}`);

  const table = await loadLibraryTable(o.boardsDir);
  const layers: PinLayer[] = [
    { from: 'the scenario', pins: o.libraries ?? {} },
    {
      from: project ? path.relative(process.cwd(), project.file) || project.file : 'sketch.yaml',
      pins: project?.pins ?? {},
    },
    ...resolved.replaced.map((l) => ({
      from: path.join(l.dir, 'library.properties'),
      pins: l.version ? { [l.name]: l.version } : {},
    })),
    { from: 'the board profile', pins: o.profileLibraries ?? {} },
  ];
  const versions = libraryVersions(table, layers);
  const rows = await tableLibraryPins(o.core, o.boardsDir, layers);
  const problems = [...versions.problems, ...rows.problems];
  if (problems.length) throw new TwinUnsupportedError(problems[0]!, 'library-version', '');
  for (const [name, v] of Object.entries(versions.versions)) notes.push(`${name} ${v.version} (${v.from})`);
  notes.push(...rows.notes);
  defines.push(
    ...versions.defines,
    ...(await editedLibraryDefines(resolved.replaced, notes)),
    ...(o.extraDefines ?? []),
  );
  return { debugLevel, defines, libraries: resolved.used, libraryVersions: rows.versions, notes };
}

/**
 * The most common forum fix is an edit to the library's own header ("#define MQTT_MAX_PACKET_SIZE 1024" in
 * PubSubClient.h): a user copy the twin replaces still passes such a value on, as the edited header would.
 */
async function editedLibraryDefines(replaced: UserLibrary[], notes: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const lib of replaced.filter((l) => l.name === 'PubSubClient')) {
    const header = lib.files.find((f) => path.basename(f) === 'PubSubClient.h');
    const text = header ? await readFile(header, 'utf8') : '';
    const m = /^[ \t]*#[ \t]*define[ \t]+MQTT_MAX_PACKET_SIZE[ \t]+(\d+)/m.exec(text);
    // knolleary/pubsubclient PubSubClient.h:26 at v2.6/v2.7 (128) and v2.8 (256): only an edited value says anything.
    const upstream = lib.version && versionCode(lib.version) >= versionCode('2.8') ? 256 : 128;
    if (m && Number(m[1]) !== upstream) {
      out.push(`MQTT_MAX_PACKET_SIZE=${m[1]}`);
      notes.push(`MQTT_MAX_PACKET_SIZE ${m[1]} from ${header}`);
    }
  }
  return out;
}
