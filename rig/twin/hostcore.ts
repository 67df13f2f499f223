// The host Arduino core (core/ + board folder + libraries) as a static library, built once per
// (board, flags) and cached by a hash of its sources.
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { buildOnce } from '../process/index.ts';
import { MAX_PARALLEL_COMPILES, TwinBuildError, firstErrors, pool, runCompiler } from './compile.ts';

export type TwinCore = 'esp32' | 'esp8266' | 'mkr1000';

export const DEFAULT_BOARDS_DIR = fileURLToPath(new URL('../../boards/twin/', import.meta.url));

/** The host core's two parts: the Arduino API (board- and host-neutral) and the host platform (Linux). */
export function coreDirs(boardsDir = DEFAULT_BOARDS_DIR): { api: string; host: string } {
  return { api: path.join(boardsDir, 'core', 'api'), host: path.join(boardsDir, 'core', 'host') };
}

/** What every twin gets whatever the board: the twin marker and the ARDUINO version macro. */
const HOST_DEFINES = ['TWIN=1', 'ARDUINO=10819'];
/** The host platform's own link needs (main.cpp's stdin watcher thread). */
export const HOST_LINK_LIBS = ['-lpthread'];

/**
 * The C data model a twin is compiled for. `lp64` (the default) is the host's x86-64: `long` and `unsigned long` are
 * 64 bits, so millis() never wraps. `ilp32` is `g++ -m32`, 32-bit `int`, `long` and pointers like the boards
 * (Xtensa ESP32/ESP8266, Cortex-M0+ SAMD): millis() wraps at 2^32 ms and `long now = millis()` turns negative past
 * 2^31, as on a board. It needs Debian's g++-multilib and the TLS libraries for i386 (rig setup installs them).
 */
export type DataModel = 'lp64' | 'ilp32';

/** The g++ options (compile and link) of a data model. */
export function dataModelFlags(model: DataModel = 'lp64'): string[] {
  return model === 'ilp32' ? ['-m32'] : [];
}

export interface HostCoreLayout {
  core: TwinCore;
  boardsDir: string;
  boardDir: string;
  /** core/api and core/host: a board source of the same name replaces theirs. */
  coreDirs: string[];
  includeDirs: string[];
  sourceRoots: string[];
}

export async function hostCoreLayout(core: TwinCore, boardsDir = DEFAULT_BOARDS_DIR): Promise<HostCoreLayout> {
  const boardDir = path.join(boardsDir, core);
  try {
    await stat(boardDir);
  } catch {
    throw new TwinBuildError('toolchain', `twin board folder missing: ${boardDir}`, [], '');
  }
  const libsDir = path.join(boardsDir, 'libraries');
  let libs: string[] = [];
  try {
    libs = (await readdir(libsDir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => path.join(libsDir, e.name))
      .sort();
  } catch {
    /* no libraries yet */
  }
  const { api, host } = coreDirs(boardsDir);
  // Board first so a board header shadows a core header of the same name (twin_board.h, WiFiClient extras).
  const includeDirs = [boardDir, host, api, ...libs];
  return { core, boardsDir, boardDir, coreDirs: [host, api], includeDirs, sourceRoots: includeDirs };
}

/** g++ flags shared by the host core library and the sketch: `defines` are NAME or NAME=value. */
export function commonFlags(layout: HostCoreLayout, defines: readonly string[], model: DataModel = 'lp64'): string[] {
  return [
    ...dataModelFlags(model),
    '-std=gnu++17',
    '-O1',
    '-fno-omit-frame-pointer',
    ...[...HOST_DEFINES, ...defines].map((d) => `-D${d}`),
    ...layout.includeDirs.map((d) => `-I${d}`),
  ];
}

/** The core's sources and headers under `dir`, sorted. */
function listFilesSync(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFilesSync(p));
    else if (/\.(c|cpp|h|hpp|json)$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

export interface HostCoreLib {
  lib: string;
  hash: string;
  cached: boolean;
  ms: number;
  log: string;
}

/** Content hash of every core/board/library source and header, plus the flags. */
/**
 * Hashes already computed in this process, by what they were computed from: the roots and flags, and every file's
 * size and modification time. A matrix asks for the same host core once per cell; reading and hashing its sources
 * each time cost 20-50 ms a cell, a stat of each ~1 ms. An edited file changes its stamp, so the hash is computed again.
 */
const hashMemo = new Map<string, { stamp: string; result: { hash: string; sources: string[] } }>();

export async function hostCoreHash(
  layout: HostCoreLayout,
  flags: string[],
): Promise<{ hash: string; sources: string[] }> {
  // Synchronous on purpose: ~125 stats take a millisecond, as many awaited ones a thread-pool round trip each.
  const files = new Map(layout.sourceRoots.map((root) => [root, listFilesSync(root)]));
  const stamps = [...files.values()].flat().map((f) => {
    const st = statSync(f);
    return `${f}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
  });
  const key = JSON.stringify([layout.boardsDir, layout.boardDir, layout.coreDirs, layout.sourceRoots, flags]);
  const stamp = stamps.join('\n');
  const known = hashMemo.get(key);
  if (known?.stamp === stamp) return known.result;
  const result = await hashSources(layout, flags, files);
  hashMemo.set(key, { stamp, result });
  return result;
}

async function hashSources(
  layout: HostCoreLayout,
  flags: string[],
  files: Map<string, string[]>,
): Promise<{ hash: string; sources: string[] }> {
  const h = createHash('sha256');
  h.update(`flags:${JSON.stringify(flags.map((f) => f.replace(layout.boardsDir, '<boards>/')))}\n`);
  const sources: string[] = [];
  const boardSources = new Set<string>();
  for (const root of layout.sourceRoots) {
    for (const f of files.get(root)!) {
      h.update(`file:${path.relative(layout.boardsDir, f)}\n`);
      h.update(await readFile(f));
      if (!/\.(c|cpp)$/.test(f)) continue;
      // A board source shadows the core source of the same name (mkr1000/dtostrf.cpp), like its headers do.
      if (root === layout.boardDir) boardSources.add(path.basename(f));
      else if (layout.coreDirs.includes(root) && boardSources.has(path.basename(f))) continue;
      sources.push(f);
    }
  }
  return { hash: h.digest('hex').slice(0, 20), sources };
}

export async function buildHostCore(
  layout: HostCoreLayout,
  flags: string[],
  cacheDir: string,
  onBuild?: () => void,
): Promise<HostCoreLib> {
  const t0 = Date.now();
  const { hash, sources } = await hostCoreHash(layout, flags);
  // The flags (and so the hash) carry the data model; the suffix only tells a person which folder is 32-bit.
  const finalDir = path.join(cacheDir, 'hostcore', `${layout.core}${flags.includes('-m32') ? '-ilp32' : ''}-${hash}`);
  const lib = path.join(finalDir, 'libtwin.a');
  await mkdir(path.dirname(finalDir), { recursive: true });
  let log: string | undefined;
  // Two cells of one board (or two rig runs) starting cold would compile the same core on the same two cores.
  await buildOnce({
    lockFile: `${finalDir}.lock`,
    isDone: () =>
      stat(lib).then(
        () => true,
        () => false,
      ),
    onWait: onBuild,
    build: async () => {
      onBuild?.();
      log = await compileHostCore(layout, flags, { hash, sources }, finalDir);
    },
  });
  const ms = Date.now() - t0;
  if (log === undefined) return { lib, hash, cached: true, ms, log: `host core ${layout.core} ${hash}: cached\n` };
  return { lib, hash, cached: false, ms, log };
}

/** Compiles the core's sources into <finalDir>/libtwin.a (built in a temp folder, then renamed into place). */
async function compileHostCore(
  layout: HostCoreLayout,
  flags: string[],
  { hash, sources }: { hash: string; sources: string[] },
  finalDir: string,
): Promise<string> {
  const tmp = `${finalDir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await mkdir(tmp, { recursive: true });
  let log = `host core ${layout.core} ${hash}: building ${sources.length} files\n`;
  const objects = path.join(path.dirname(path.dirname(finalDir)), 'objects');
  try {
    const objs = await pool(sources, MAX_PARALLEL_COMPILES, async (src) => {
      const obj = path.join(tmp, `${path.relative(layout.boardsDir, src).replace(/[\\/]/g, '__')}.o`);
      const args = [...flags, '-Wall', '-Wno-unused-parameter', '-c', src, '-o', obj];
      const r = await compileObject(args, { src, obj, tmp, objects });
      log += r.log;
      if (!r.ok)
        throw new TwinBuildError(
          'compile',
          `host core (${layout.core}) failed to compile ${src}`,
          firstErrors(r.log),
          r.log,
        );
      return obj;
    });
    const ar = await execa('ar', ['rcs', path.join(tmp, 'libtwin.a'), ...objs], { reject: false, all: true });
    if (ar.exitCode !== 0) throw new TwinBuildError('link', `ar failed: ${ar.all}`, [ar.all ?? ''], ar.all ?? '');
    await writeFile(path.join(tmp, 'BUILD-INFO'), `${layout.core}\n${hash}\n${flags.join(' ')}\n`);
    await publishDir(tmp, finalDir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return log;
}

/**
 * One host core object, shared by content across host cores: the cores of one board differ in a few -D options
 * (a PubSubClient release, MQTT_MAX_PACKET_SIZE) that most sources never see, so a source whose preprocessed text
 * and code generation options are the same compiles to the same object.
 */
async function compileObject(
  args: string[],
  at: { src: string; obj: string; tmp: string; objects: string },
): Promise<{ ok: boolean; log: string }> {
  const key = await objectKey(args, at.src, at.tmp);
  const cached = key ? path.join(at.objects, `${key}.o`) : undefined;
  if (
    cached &&
    (await copyFile(cached, at.obj).then(
      () => true,
      () => false,
    ))
  )
    return { ok: true, log: `object of ${at.src}: cached ${key}\n` };
  const r = await runCompiler(args, at.tmp);
  if (r.ok && cached) await storeObject(at.obj, cached);
  return { ok: r.ok, log: `${r.command}\n${r.output}` };
}

/** The code generation options of a compile: what preprocessing does not already show in its output. */
function codegenArgs(args: string[], src: string): string[] {
  return args.filter((a, i) => !/^-[DIo]/.test(a) && a !== src && args[i - 1] !== '-o');
}

/** Hash of a source's preprocessed text and its code generation options; undefined when it does not preprocess. */
async function objectKey(args: string[], src: string, tmp: string): Promise<string | undefined> {
  const out = path.join(tmp, `${path.basename(src)}-${Math.random().toString(36).slice(2)}.ii`);
  const pre = args.filter((a, i) => a !== '-c' && a !== '-o' && args[i - 1] !== '-o');
  const r = await runCompiler([...pre, '-E', '-o', out], tmp);
  if (!r.ok) return undefined;
  try {
    const h = createHash('sha256');
    h.update(`${JSON.stringify(codegenArgs(args, src))}\0`);
    h.update(await readFile(out));
    return h.digest('hex').slice(0, 32);
  } finally {
    await rm(out, { force: true });
  }
}

/** Keeps a fresh object for other host cores (written aside, then renamed: a reader never sees half of one). */
async function storeObject(obj: string, cached: string): Promise<void> {
  await mkdir(path.dirname(cached), { recursive: true });
  const part = `${cached}.part-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    await copyFile(obj, part);
    await rename(part, cached);
  } catch {
    await rm(part, { force: true });
  }
}

/** Renames a finished temp dir into place; if a concurrent build won the race, keeps theirs. */
export async function publishDir(tmp: string, finalDir: string): Promise<void> {
  await mkdir(path.dirname(finalDir), { recursive: true });
  try {
    await rename(tmp, finalDir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    await rm(tmp, { recursive: true, force: true });
  }
}
