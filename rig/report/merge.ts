// Merges shard run folders (CI matrix jobs, several lab hosts) into one run folder: cells are
// concatenated, a cell id present twice is an error unless both copies say the same thing, log files
// are copied under shards/<n>-<label>/ with the cells' paths rewritten to match.
import { copyFileSync, mkdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Cell, Results, RunMeta } from '../results/schema.ts';
import { resolveInRun } from './logs.ts';
import { readResults, writeResults } from './results.ts';

export class MergeError extends Error {
  override name = 'MergeError';
}

/** A shard's log path that leaves its run folder is a bad shard: a MergeError like any other. */
function inRun(runDir: string, rel: string, field: string): string {
  try {
    return resolveInRun(runDir, rel, field);
  } catch (e) {
    throw new MergeError((e as Error).message);
  }
}

function label(run: RunMeta, index: number): string {
  const raw =
    [run.boards?.join('+'), run.shard ?? (run.boards ? undefined : run.id)].filter(Boolean).join('-') || run.id;
  return `${index + 1}-${raw.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60)}`;
}

function readLogOrUndefined(abs: string | undefined): string | undefined {
  return abs && existsSync(abs) ? readFileSync(abs, 'utf8') : undefined;
}

/** Same cell from two shards: equal fields (log paths aside) and equal log contents. */
function sameCell(a: Cell, aDir: string, b: Cell, bDir: string): boolean {
  const strip = (c: Cell): Omit<Cell, 'serialLog' | 'brokerLog'> => {
    const { serialLog: _s, brokerLog: _b, ...rest } = c;
    return rest;
  };
  if (!isDeepStrictEqual(strip(a), strip(b))) return false;
  for (const k of ['serialLog', 'brokerLog'] as const) {
    const la = a[k] ? readLogOrUndefined(inRun(aDir, a[k], k)) : undefined;
    const lb = b[k] ? readLogOrUndefined(inRun(bDir, b[k], k)) : undefined;
    if (la !== lb) return false;
  }
  return true;
}

function combineMeta(runs: RunMeta[]): RunMeta {
  const distinct = (xs: (string | undefined)[]): string[] => [...new Set(xs.filter((x): x is string => !!x))];
  const starts = runs.map((r) => r.startedAt).sort((a, b) => Date.parse(a) - Date.parse(b));
  const finishes = runs
    .map((r) => r.finishedAt)
    .filter((x): x is string => !!x)
    .sort((a, b) => Date.parse(a) - Date.parse(b));
  const versions: Record<string, string> = {};
  for (const r of runs) {
    for (const [k, v] of Object.entries(r.versions)) {
      const have = versions[k]?.split(', ') ?? [];
      if (!have.includes(v)) versions[k] = [...have, v].join(', ');
    }
  }
  const providers = distinct(runs.map((r) => r.broker?.provider));
  const brokerVersions = distinct(runs.map((r) => r.broker?.version));
  const images = distinct(runs.map((r) => r.broker?.image));
  const meta: RunMeta = {
    id: distinct(runs.map((r) => r.id)).join('+'),
    startedAt: starts[0],
    finishedAt: finishes.length === runs.length ? finishes[finishes.length - 1] : undefined,
    rigVersion: distinct(runs.map((r) => r.rigVersion)).join(', '),
    target: distinct(runs.flatMap((r) => r.target)),
    versions,
  };
  const hosts = distinct(runs.map((r) => r.host));
  if (hosts.length) meta.host = hosts.join(', ');
  if (providers.length) {
    meta.broker = { provider: providers.join(', ') };
    if (brokerVersions.length) meta.broker.version = brokerVersions.join(', ');
    if (images.length) meta.broker.image = images.join(', ');
  }
  if (runs.some((r) => r.interrupted)) meta.interrupted = true;
  const commits = distinct(runs.map((r) => r.commit));
  if (commits.length) meta.commit = commits.join(', ');
  const repos = distinct(runs.map((r) => r.repoUrl));
  if (repos.length === 1) meta.repoUrl = repos[0];
  return meta;
}

/**
 * Merges shard folders into outDir (which receives results.json and the copied logs) and returns
 * the merged results. Throws MergeError naming both shards when a cell id conflicts.
 */
/**
 * Each set of `--shard K/N` runs must be whole: one N, every K from 1 to N exactly once. Merging half a matrix
 * would report it green; merging a shard twice hides that another is missing. Runs are grouped by their
 * `--boards` selection first (several lab hosts, one board family each, a family split over hosts by --shard), so
 * an unsharded ESP8266 host merges with the two shards of the ESP32 hosts. Folders that are not shards merge
 * freely, but the same run twice is refused too.
 */
export function checkShardSet(shards: readonly { dir: string; results: Results }[]): void {
  const ids = new Map<string, string>();
  for (const s of shards) {
    const prev = ids.get(s.results.run.id);
    if (prev) throw new MergeError(`${s.dir} and ${prev} are the same run (${s.results.run.id}): a folder given twice`);
    ids.set(s.results.run.id, s.dir);
  }
  const groups = new Map<string, { dir: string; results: Results }[]>();
  for (const s of shards) {
    const key = (s.results.run.boards ?? []).join(',');
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const [key, group] of groups) checkOneShardSet(group, key ? ` of --boards ${key}` : '');
}

function checkOneShardSet(shards: readonly { dir: string; results: Results }[], of: string): void {
  const sharded = shards.filter((s) => s.results.run.shard);
  if (sharded.length === 0) return;
  if (sharded.length !== shards.length) {
    const plain = shards.find((s) => !s.results.run.shard)!;
    throw new MergeError(
      `${plain.dir} is not a shard but ${sharded[0]!.dir} is (${sharded[0]!.results.run.shard}${of}): give only the shards of one run`,
    );
  }
  const parsed = sharded.map((s) => {
    const [k, n] = s.results.run.shard!.split('/').map(Number);
    return { dir: s.dir, k: k!, n: n! };
  });
  const counts = [...new Set(parsed.map((p) => p.n))];
  if (counts.length > 1)
    throw new MergeError(
      `shards of different splits${of}: ${parsed.map((p) => `${p.dir} is ${p.k}/${p.n}`).join(', ')}`,
    );
  const n = counts[0]!;
  const seen = new Map<number, string>();
  for (const p of parsed) {
    const prev = seen.get(p.k);
    if (prev) throw new MergeError(`shard ${p.k}/${n}${of} given twice: ${prev} and ${p.dir}`);
    seen.set(p.k, p.dir);
  }
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((k) => !seen.has(k));
  if (missing.length)
    throw new MergeError(
      `incomplete shard set${of}: missing ${missing.map((k) => `${k}/${n}`).join(', ')} (have ${[...seen.keys()]
        .sort((a, b) => a - b)
        .map((k) => `${k}/${n}`)
        .join(', ')})`,
    );
}

export function mergeRuns(dirs: readonly string[], outDir: string): Results {
  if (dirs.length === 0) throw new MergeError('mergeRuns: no run folders given');
  const shards = dirs.map((d) => ({ dir: resolve(d), results: readResults(join(d, 'results.json')) }));
  checkShardSet(shards);
  const out = resolve(outDir);
  const seen = new Map<string, { cell: Cell; dir: string }>();
  const copied = new Map<string, string>(); // source abs path → new relative path
  const cells: Cell[] = [];

  shards.forEach(({ dir, results }, i) => {
    const prefix = `shards/${label(results.run, i)}`;
    const copyLog = (rel: string | undefined, field: string): string | undefined => {
      if (!rel) return undefined;
      const src = inRun(dir, rel, `${join(dir, 'results.json')}: ${field}`);
      const done = copied.get(src);
      if (done) return done;
      if (!existsSync(src)) return rel; // keep the dangling path: reports say "file missing"
      const dest = `${prefix}/${rel.replace(/\\/g, '/')}`;
      mkdirSync(dirname(join(out, dest)), { recursive: true });
      copyFileSync(src, join(out, dest));
      copied.set(src, dest);
      return dest;
    };
    // A lab host's board health for the night (rig/hardware/lab-report.ts) goes along with its cells.
    if (existsSync(join(dir, 'lab.json'))) {
      mkdirSync(join(out, prefix), { recursive: true });
      copyFileSync(join(dir, 'lab.json'), join(out, prefix, 'lab.json'));
    }
    results.cells.forEach((cell, k) => {
      const prev = seen.get(cell.id);
      if (prev) {
        if (!sameCell(prev.cell, prev.dir, cell, dir)) {
          throw new MergeError(
            `cell "${cell.id}" appears in ${prev.dir} and ${dir} (cells[${k}]) with different results`,
          );
        }
        return; // identical duplicate (a re-run shard): keep the first
      }
      seen.set(cell.id, { cell, dir });
      const copy: Cell = { ...cell };
      if (cell.serialLog) copy.serialLog = copyLog(cell.serialLog, `cells[${k}].serialLog`);
      if (cell.brokerLog) copy.brokerLog = copyLog(cell.brokerLog, `cells[${k}].brokerLog`);
      cells.push(copy);
    });
  });

  const merged: Results = { version: 1, run: combineMeta(shards.map((s) => s.results.run)), cells };
  writeResults(join(out, 'results.json'), merged);
  return merged;
}
