// Builds a sketch into a native twin binary: host core library (cached) + sketch unit, linked with the
// board's real TLS library. Cached by content hash: an unchanged sketch runs no compiler.
// arduino_secrets.h carries passwords and keys: the cache folders are 0700, and once linked the header and
// the object files compiled from it are removed (the hash of the header keeps the cache key content-based).
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  MAX_PARALLEL_COMPILES,
  TwinBuildError,
  TwinMissingApiError,
  TwinUnsupportedError,
  firstErrors,
  pool,
  runCompiler,
} from './compile.ts';
import type { TwinBuildFacts } from '../boards/profile.ts';
import { defaultTwinBuild, profileDefines, sketchDefines } from './board-build.ts';
import {
  DEFAULT_BOARDS_DIR,
  HOST_LINK_LIBS,
  buildHostCore,
  commonFlags,
  dataModelFlags,
  hostCoreLayout,
  type DataModel,
  publishDir,
  type HostCoreLayout,
  type TwinCore,
} from './hostcore.ts';
import { generateSketchUnit, readSketch, type SketchSources } from './sketch.ts';
import {
  checkUnsupported,
  twinClassNames,
  unsupportedFromCompiler,
  unsupportedRules,
  type CompileContext,
} from './unsupported.ts';
import { planBuild, type BuildPlan, type BuildPlanInput } from './build-plan.ts';
import type { FqbnOptions, TwinMenus } from '../boards/fqbn.ts';
import { missingApiIn, twinVersionData, versionTableSource, type LibraryVersions } from './versions.ts';

export interface BuildTwinOptions {
  sketchDir: string;
  core: TwinCore;
  /** Full text of arduino_secrets.h (written beside the sketch copy). */
  secretsHeader: string;
  coreVersion: string;
  debugLevel: number;
  cacheDir: string;
  /** The board profile's build facts (twin.build); default: those of the profile named after the core. */
  build?: TwinBuildFacts;
  /** The board profile's own -D options (twin.defines), after build.defines. */
  defines?: Record<string, string>;
  /** boards/twin/ (the board profiles are read from its parent folder when `build` is not given). */
  boardsDir?: string;
  /** Library releases to imitate (name → release) where the family's version table has rows for the library. */
  libraryVersions?: LibraryVersions;
  /** Called when the host core is not cached and is being built (tens of seconds, once per core). */
  onHostCoreBuild?: () => void;
  /** Board id for messages (default: the core). */
  boardId?: string;
  /** The profile's FQBN (hardware.fqbn): its menu options are the defaults; profileBuildOptions passes it. */
  fqbn?: string;
  /** The FQBN menus the twin honours (twin.menus); without them, fqbnOptions cannot be read. */
  menus?: TwinMenus;
  /** This cell's FQBN menu options (scenario build.<board>.fqbnOptions), over sketch.yaml's and the profile's. */
  fqbnOptions?: FqbnOptions;
  /** -D for every unit (scenario build.<board>.defines), as compiler.cpp.extra_flags does on arduino-cli. */
  extraDefines?: string[];
  /** Library versions this cell pins (scenario `libraries`): they win over sketch.yaml, folders and the profile. */
  libraries?: Record<string, string>;
  /** The profile's hardware.libraries as name → version (profileBuildOptions passes them). */
  profileLibraries?: Record<string, string>;
  /** arduino-cli libraries folders with the user's own libraries (scenario librariesDir, rig run --libraries). */
  librariesDirs?: string[];
  /** `ilp32` builds a 32-bit twin (`g++ -m32`, long = 32 bits as on the boards); default `lp64`, the host's. */
  dataModel?: DataModel;
}

export interface TwinBuild {
  binary: string;
  cached: boolean;
  ms: number;
  log: string;
  coreLibCached: boolean;
  coreLibMs: number;
  /** The Core Debug Level the build used (a DebugLevel menu option can change the profile's). */
  debugLevel: number;
}

export async function buildTwin(o: BuildTwinOptions): Promise<TwinBuild> {
  const t0 = Date.now();
  if (!Number.isInteger(o.debugLevel) || o.debugLevel < 0 || o.debugLevel > 5)
    throw new Error(`buildTwin: debugLevel must be 0..5, got ${o.debugLevel}`);
  const boardsDir = o.boardsDir ?? DEFAULT_BOARDS_DIR;
  const sketch = await readSketch(o.sketchDir);
  checkUnsupported([...sketch.inos, ...sketch.others], await unsupportedRules(o.core, boardsDir));

  const facts = o.build ?? (await defaultTwinBuild(o.core, path.dirname(path.resolve(boardsDir))));
  const layout = await hostCoreLayout(o.core, boardsDir);
  const plan = await planBuild(sketch, planInput(o, boardsDir, await twinHeaders(layout.includeDirs)));
  const debugLevel = plan.debugLevel;
  const dataModel = o.dataModel ?? 'lp64';
  const coreFlags = commonFlags(
    layout,
    [...facts.defines, ...profileDefines(o.defines ?? {}), ...plan.defines],
    dataModel,
  );
  const host = await buildHostCore(layout, coreFlags, o.cacheDir, o.onHostCoreBuild);

  const unit = generateSketchUnit(sketch.inos);
  // The cell's pins of libraries the family's version table covers pick their rows; an explicit option wins.
  const libraryVersions = { ...plan.libraryVersions, ...o.libraryVersions };
  const versions = await twinVersionData(o.core, boardsDir, o.coreVersion, libraryVersions);
  const info = [
    '// Generated by rig/twin/build.ts: build-time board options, used when the world file omits them.',
    `extern "C" const char* twin_build_core_version() { return ${JSON.stringify(o.coreVersion)}; }`,
    `extern "C" int twin_build_debug_level() { return ${debugLevel}; }`,
    // Every release's row: the twin picks one at run time from the core version (core/host/version_row.cpp).
    versionTableSource(versions.json),
  ].join('\n');
  const libIncludes = plan.libraries.flatMap((l) => l.includeDirs.map((d) => `-I${d}`));
  const sketchFlags = [
    ...coreFlags,
    `-DTWIN_CORE_VERSION=${JSON.stringify(o.coreVersion)}`,
    `-DTWIN_CORE_VERSION_CODE=${coreVersionCode(o.coreVersion)}`,
    ...sketchDefines(facts, o.coreVersion, debugLevel).map((d) => `-D${d}`),
    // What this release lacks or means differently at compile time (TWIN_MISSING_setInsecure on 1.0.4).
    ...versions.sketchDefines.map((d) => `-D${d}`),
    ...libIncludes,
  ];

  const key = createHash('sha256');
  key.update(
    JSON.stringify({
      core: o.core,
      hostHash: host.hash,
      flags: sketchFlags.map((f) => f.replace(boardsDir, '<boards>/')),
      name: sketch.name,
    }),
  );
  key.update(`\0twin_build_info.cpp\0${info}`);
  for (const f of [...sketch.inos, ...sketch.others]) key.update(`\0${f.rel}\0${f.text}`);
  for (const lib of plan.libraries) for (const f of lib.files) key.update(`\0${f}\0${await readFile(f, 'utf8')}`);
  // Whole-line comments (the header names the cell it was made for) do not change the binary: cells that differ
  // only there share one build.
  key.update(`\0arduino_secrets.h\0${o.secretsHeader.replace(/^\s*\/\/.*$/gm, '//')}`);
  const hash = key.digest('hex').slice(0, 24);
  const sketchRoot = path.join(o.cacheDir, 'sketch');
  await privateDir(o.cacheDir);
  await privateDir(sketchRoot);
  const finalDir = path.join(sketchRoot, `${sketch.name}-${o.core}${dataModel === 'ilp32' ? '-ilp32' : ''}-${hash}`);
  const binary = path.join(finalDir, 'twin');
  const hostLog = `${plan.notes.map((n) => `plan: ${n}\n`).join('')}${host.log}`;
  try {
    await stat(binary);
    return {
      binary,
      cached: true,
      ms: Date.now() - t0,
      log: `${hostLog}sketch ${sketch.name} ${hash}: cached\n`,
      coreLibCached: host.cached,
      coreLibMs: host.ms,
      debugLevel,
    };
  } catch {
    /* build it */
  }

  const tmp = `${finalDir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  let log = `${hostLog}sketch ${sketch.name} ${hash}: building\n`;
  try {
    log = await compileAndLink({
      tmp,
      sketch,
      unit,
      info,
      secretsHeader: o.secretsHeader,
      sketchFlags,
      versions,
      plan,
      layout,
      core: o.core,
      hostLib: host.lib,
      libs: facts.libs,
      dataModel,
      log,
    });
    await writeFile(path.join(tmp, 'build.log'), log);
    await dropSecrets(tmp);
    await publishDir(tmp, finalDir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return {
    binary,
    cached: false,
    ms: Date.now() - t0,
    log,
    coreLibCached: host.cached,
    coreLibMs: host.ms,
    debugLevel,
  };
}

function planInput(o: BuildTwinOptions, boardsDir: string, headers: Set<string>): BuildPlanInput {
  return {
    boardsDir,
    core: o.core,
    boardId: o.boardId ?? o.core,
    debugLevel: o.debugLevel,
    twinHeaders: headers,
    ...(o.menus ? { menus: o.menus } : {}),
    ...(o.fqbn ? { fqbn: o.fqbn } : {}),
    ...(o.fqbnOptions ? { fqbnOptions: o.fqbnOptions } : {}),
    ...(o.extraDefines ? { extraDefines: o.extraDefines } : {}),
    ...(o.libraries ? { libraries: o.libraries } : {}),
    ...(o.profileLibraries ? { profileLibraries: o.profileLibraries } : {}),
    ...(o.librariesDirs ? { librariesDirs: o.librariesDirs } : {}),
  };
}

/** 2.0.17 → 20017, 3.1.2 → 30102: the core version as a number the twin's headers can compare. */
export function coreVersionCode(v: string): number {
  const [a = 0, b = 0, c = 0] = v.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  return a * 10000 + b * 100 + c;
}

const headerCache = new Map<string, Promise<Set<string>>>();
const classCache = new Map<string, Promise<Set<string>>>();

/** Header names on the twin's own include path (board, core, its libraries). */
function twinHeaders(dirs: string[]): Promise<Set<string>> {
  const key = dirs.join('\0');
  let p = headerCache.get(key);
  if (!p) {
    p = Promise.all(dirs.map((d) => readdir(d).catch(() => [] as string[]))).then(
      (lists) => new Set(lists.flat().filter((n) => /\.(h|hpp)$/.test(n))),
    );
    headerCache.set(key, p);
  }
  return p;
}

function twinClasses(dirs: string[]): Promise<Set<string>> {
  const key = dirs.join('\0');
  let p = classCache.get(key);
  if (!p) {
    p = twinClassNames(dirs);
    classCache.set(key, p);
  }
  return p;
}

interface CompileInput {
  tmp: string;
  sketch: SketchSources;
  unit: string;
  info: string;
  secretsHeader: string;
  sketchFlags: string[];
  versions: Awaited<ReturnType<typeof twinVersionData>>;
  /** The user's libraries to compile with the sketch. */
  plan: BuildPlan;
  layout: HostCoreLayout;
  core: TwinCore;
  hostLib: string;
  libs: string[];
  dataModel: DataModel;
  log: string;
}

/**
 * Compiles the sketch's units in a copy of its folder (relative includes keep working; #line directives point
 * errors at the user's files) and the user's libraries, and links them with the host core. Returns the build log.
 */
async function compileAndLink(c: CompileInput): Promise<string> {
  const { tmp, sketch } = c;
  let log = c.log;
  const src = path.join(tmp, 'src');
  await mkdir(tmp, { mode: 0o700 });
  await mkdir(src, { recursive: true });
  for (const f of sketch.others) {
    await mkdir(path.dirname(path.join(src, f.rel)), { recursive: true });
    await writeFile(path.join(src, f.rel), f.text);
  }
  await writeFile(path.join(src, 'arduino_secrets.h'), c.secretsHeader);
  await writeFile(path.join(src, `${sketch.name}.ino.cpp`), c.unit);
  await writeFile(path.join(src, 'twin_build_info.cpp'), c.info);
  const units = [
    `${sketch.name}.ino.cpp`,
    'twin_build_info.cpp',
    ...sketch.others.filter((f) => /\.(cpp|c)$/.test(f.rel)).map((f) => f.rel),
  ].map((u) => ({ src: path.join(src, u), obj: path.join(tmp, `${u.replace(/[\\/]/g, '__')}.o`) }));
  // The user's libraries compile with the sketch's flags, as arduino-cli compiles libraries with the build's.
  c.plan.libraries.forEach((lib, i) =>
    lib.sources.forEach((f, k) => units.push({ src: f, obj: path.join(tmp, `lib${i}__${k}__${path.basename(f)}.o`) })),
  );
  const ctx = { libraries: c.plan.libraries, twinClasses: await twinClasses(c.layout.includeDirs) };
  const objs = await pool(units, MAX_PARALLEL_COMPILES, async (u) => {
    const lang = u.src.endsWith('.c') ? ['-x', 'c++'] : [];
    const r = await runCompiler([...c.sketchFlags, `-I${src}`, '-w', ...lang, '-c', u.src, '-o', u.obj], src);
    log += `${r.command}\n${r.output}`;
    if (!r.ok) throw compileError('compile', r.output, c, log, ctx);
    return u.obj;
  });
  const link = await runCompiler(
    [
      ...dataModelFlags(c.dataModel),
      '-o',
      path.join(tmp, 'twin'),
      ...objs,
      c.hostLib,
      ...c.libs.map((l) => `-l${l}`),
      ...HOST_LINK_LIBS,
    ],
    tmp,
  );
  log += `${link.command}\n${link.output}`;
  if (!link.ok) throw compileError('link', link.output, c, log, ctx);
  return log;
}

/**
 * A failed compile or link: the release's missing API (the board fails the same way), else the twin's gap
 * (TwinUnsupportedError) when the compiler says so, else the sketch's own mistake.
 */
function compileError(
  kind: 'compile' | 'link',
  output: string,
  c: CompileInput,
  log: string,
  ctx: CompileContext,
): TwinBuildError {
  const errs = firstErrors(output);
  const name = c.sketch.name;
  const missing =
    kind === 'compile' ? missingApiIn(errs.length ? errs : output.split('\n'), c.versions.missing) : undefined;
  if (missing)
    return new TwinMissingApiError(
      `sketch ${name} does not compile for ${missing.release}: ${missing.api}() does not exist there\n${errs.join('\n')}`,
      missing.api,
      missing.release,
      errs,
      log,
    );
  const unsupported = unsupportedFromCompiler(output, ctx);
  if (unsupported) return new TwinUnsupportedError(unsupported.message, unsupported.feature, unsupported.file, log);
  return new TwinBuildError(kind, `sketch ${name} (${c.core} twin) failed to ${kind}:\n${errs.join('\n')}`, errs, log);
}

/** A cache folder only the rig's user can read (twin binaries embed the sketch's secrets). */
async function privateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/** Removes what holds the secrets in plain text once the binary is linked: the header and the objects. */
async function dropSecrets(dir: string): Promise<void> {
  await rm(path.join(dir, 'src', 'arduino_secrets.h'), { force: true });
  const objs = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(objs.filter((n) => n.endsWith('.o')).map((n) => rm(path.join(dir, n), { force: true })));
}
