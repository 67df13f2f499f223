// The CLI as one JavaScript program: esbuild bundles rig/cli/main.ts and what it imports (packages stay imports of
// node_modules), cached under node_modules/.cache/the-rig by the content hash of the sources, so a `rig` start
// spends nothing on loading TypeScript (through tsx: ~300 modules resolved and compiled on a loader thread, about
// 1 s of CPU per start, measured). Each module's import.meta.url stays its source file's, since the rig finds its
// files (boards/, relay.c, spawner.c) from there. Without esbuild, or with RIG_FROM_SOURCE=1, the CLI loads through
// tsx as before.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = path.join(ROOT, 'rig');
const ENTRY = path.join(SOURCES, 'cli', 'main.ts');
const ESBUILD_PACKAGE = path.join(ROOT, 'node_modules', 'esbuild', 'package.json');
// The bundle imports packages by name, so its folder must lie where the checkout's node_modules resolve (tests
// point RIG_BUNDLE_CACHE at an empty folder beside a link to them).
const CACHE = process.env.RIG_BUNDLE_CACHE || path.join(ROOT, 'node_modules', '.cache', 'the-rig');
// Changes whenever the way of bundling does (a new option must not reuse an old bundle).
const RECIPE = 'cli-bundle 1: esm, splitting, node20, packages external, import.meta.url per source';

/** Every TypeScript source under rig/, sorted, for the hash. */
function sourceFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (entry.name.endsWith('.ts')) out.push(full);
  }
  return out.sort();
}

function sourceHash(esbuildVersion) {
  const h = createHash('sha256').update(`${RECIPE}\0${esbuildVersion}\0${ROOT}\0`);
  h.update(readFileSync(path.join(ROOT, 'tsconfig.json')));
  for (const file of sourceFiles(SOURCES)) h.update(`${path.relative(ROOT, file)}\0`).update(readFileSync(file));
  return h.digest('hex').slice(0, 24);
}

// Bundled code runs from the cache folder; the paths a module computes from import.meta.url must stay those of
// its source file.
const keepMetaUrl = {
  name: 'keep-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replaceAll(
        'import.meta.url',
        JSON.stringify(pathToFileURL(args.path).href),
      ),
      loader: 'ts',
    }));
  },
};

// Bundles of other sources, left a day ago: a rig still running from one has long loaded what it needs.
function pruneOld(keep) {
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  for (const name of readdirSync(CACHE)) {
    const dir = path.join(CACHE, name);
    if (dir !== keep && name.startsWith('cli-') && statSync(dir).mtimeMs < dayAgo) {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

async function buildInto(esbuild, dir) {
  // A private folder first, renamed into place: rig processes started together never read a half-written bundle.
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    await esbuild.build({
      entryPoints: { main: ENTRY },
      outdir: tmp,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      outExtension: { '.js': '.mjs' },
      plugins: [keepMetaUrl],
      logLevel: 'silent',
    });
    renameSync(tmp, dir);
    pruneOld(dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(path.join(dir, 'main.mjs'))) throw err;
  }
}

/** The URL of the CLI's main module: the cached bundle, or the TypeScript source through tsx. */
export async function cliModule() {
  if (process.env.RIG_FROM_SOURCE !== '1') {
    try {
      // esbuild's API is loaded only to build: its version comes from its package file (a start saves ~25 ms).
      const version = JSON.parse(readFileSync(ESBUILD_PACKAGE, 'utf8')).version;
      const dir = path.join(CACHE, `cli-${sourceHash(version)}`);
      const main = path.join(dir, 'main.mjs');
      if (!existsSync(main)) {
        mkdirSync(CACHE, { recursive: true });
        await buildInto(await import('esbuild'), dir);
      }
      return pathToFileURL(main).href;
    } catch (err) {
      if (process.env.RIG_DEBUG_BUNDLE === '1') process.stderr.write(`rig: no CLI bundle (${String(err)})\n`);
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return new URL('../rig/cli/main.ts', import.meta.url).href;
}
