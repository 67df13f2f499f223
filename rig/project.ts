// Where the rig's own folders are. Paths derive from this file's location, so `npx rig` works from anywhere.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

export interface ProjectPaths {
  root: string;
  scenarios: string;
  boards: string;
  sketches: string;
  reports: string;
  cache: string;
  twinCore: string;
}

/** The twins' build cache (host cores, objects, sketches): the runner's, and every test's that needs a built twin. */
export function twinCacheDir(paths: Pick<ProjectPaths, 'cache'>): string {
  return path.join(paths.cache, 'twin');
}

export function projectPaths(env: NodeJS.ProcessEnv = process.env): ProjectPaths {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  return {
    root,
    scenarios: path.join(root, 'scenarios'),
    boards: path.join(root, 'boards'),
    sketches: path.join(root, 'sketches'),
    reports: env.RIG_REPORTS ? path.resolve(env.RIG_REPORTS) : path.join(root, 'reports'),
    cache: env.RIG_CACHE ? path.resolve(env.RIG_CACHE) : path.join(root, '.rig-cache'),
    twinCore: path.join(root, 'boards', 'twin'),
  };
}

export function rigVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(projectPaths().root, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
