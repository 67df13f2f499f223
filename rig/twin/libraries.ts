// The user's own Arduino libraries for a twin build: read from arduino-cli libraries folders (and sketch.yaml "dir:"
// entries), found from the sketch's #includes the way arduino-cli's library resolver does (a header the twin itself
// provides is the twin's; otherwise the library whose folder is named after the header, else the first that has it),
// then compiled with the sketch. Layouts (Arduino library specification): "1.5" = library.properties + src/ (sources
// recursive under src/), "legacy" = sources in the library's root folder (and utility/).
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export interface UserLibrary {
  name: string;
  version?: string;
  dir: string;
  layout: '1.5' | 'legacy';
  /** Folders on the include path: src/ (1.5), or the root and utility/ (legacy). */
  includeDirs: string[];
  /** .c/.cpp files to compile, absolute. */
  sources: string[];
  /** Headers and sources, absolute (for includes and the cache key). */
  files: string[];
}

const SOURCE = /\.(c|cpp|cc|cxx)$/;
const ANY = /\.(c|cpp|cc|cxx|h|hh|hpp|hxx|ipp|tpp|inl)$/;

/** Every library in an arduino-cli libraries folder (one sub-folder each); unreadable entries are skipped. */
export async function scanLibrariesDir(dir: string): Promise<UserLibrary[]> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
  const out: UserLibrary[] = [];
  for (const name of entries.sort()) {
    const lib = await scanLibrary(path.join(dir, name));
    if (lib) out.push(lib);
  }
  return out;
}

/** One library folder, or undefined when it holds no header. */
export async function scanLibrary(dir: string): Promise<UserLibrary | undefined> {
  const props = await readProperties(path.join(dir, 'library.properties'));
  const src = path.join(dir, 'src');
  const recursive = props !== undefined && (await isDir(src));
  const files = recursive
    ? await walk(src, true)
    : [
        ...(await walk(dir, false)),
        ...((await isDir(path.join(dir, 'utility'))) ? await walk(path.join(dir, 'utility'), true) : []),
      ];
  if (!files.some((f) => !SOURCE.test(f))) return undefined;
  return {
    name: props?.name ?? path.basename(dir),
    ...(props?.version ? { version: props.version } : {}),
    dir,
    layout: recursive ? '1.5' : 'legacy',
    includeDirs: recursive ? [src] : [dir, path.join(dir, 'utility')],
    sources: files.filter((f) => SOURCE.test(f)),
    files,
  };
}

async function readProperties(file: string): Promise<{ name?: string; version?: string } | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const get = (k: string): string | undefined => new RegExp(`^${k}\\s*=\\s*(.*?)\\s*$`, 'm').exec(text)?.[1];
  return { ...(get('name') ? { name: get('name') } : {}), ...(get('version') ? { version: get('version') } : {}) };
}

async function isDir(p: string): Promise<boolean> {
  return stat(p)
    .then((s) => s.isDirectory())
    .catch(() => false);
}

async function walk(dir: string, recurse: boolean): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    // examples/ and extras/ never build (the specification's own exclusions); dot folders are tooling.
    if (e.isDirectory()) {
      if (recurse && !e.name.startsWith('.') && !['examples', 'extras'].includes(e.name))
        out.push(...(await walk(p, true)));
    } else if (ANY.test(e.name)) out.push(p);
  }
  return out;
}

/** The #include names in C/C++ text, comments ignored. */
export function includesOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/\/\/.*$/gm, '');
  return [...code.matchAll(/^[ \t]*#[ \t]*include[ \t]*[<"]([^>"]+)[>"]/gm)].map((m) => m[1]!);
}

export interface LibraryResolution {
  /** User libraries to compile, in the order they were first needed. */
  used: UserLibrary[];
  /** User libraries the twin's own took the place of (a header both provide): name and folder. */
  replaced: UserLibrary[];
}

/**
 * Which user libraries a sketch needs. `twinHeaders` are the headers the twin provides (board, core and its own
 * libraries): for those the twin's copy is used even when a user library has one too, so the board's WiFi, TLS and
 * MQTT libraries are always the twin's. Headers nobody provides are left to the compiler (it names them).
 */
export async function resolveLibraries(
  sketchSources: { rel: string; text: string }[],
  libraries: UserLibrary[],
  twinHeaders: ReadonlySet<string>,
): Promise<LibraryResolution> {
  const used: UserLibrary[] = [];
  const replaced = new Set<UserLibrary>();
  const own = new Set(sketchSources.map((f) => path.basename(f.rel)));
  const queue = sketchSources.flatMap((f) => includesOf(f.text));
  const seen = new Set<string>();
  while (queue.length) {
    const header = queue.shift()!;
    if (seen.has(header)) continue;
    seen.add(header);
    const providers = libraries.filter((l) => provides(l, header));
    if (twinHeaders.has(header)) {
      providers.forEach((l) => replaced.add(l));
      continue;
    }
    if (own.has(header) || providers.length === 0) continue;
    const stem = header.replace(/\.[^.]+$/, '');
    const lib = providers.find((l) => path.basename(l.dir) === stem || l.name === stem) ?? providers[0]!;
    if (used.includes(lib)) continue;
    used.push(lib);
    for (const f of lib.files) queue.push(...includesOf(await readFile(f, 'utf8')));
  }
  return { used, replaced: [...replaced].filter((l) => !used.includes(l)) };
}

function provides(lib: UserLibrary, header: string): boolean {
  return lib.includeDirs.some((d) => lib.files.includes(path.join(d, header)));
}
