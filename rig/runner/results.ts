// The run folder and what is written into it at the end: results.json with the run's facts, then the reports
// (junit.xml, summary.md, report.html), and reports/latest pointing at it.
import { mkdir, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sweepStaleWorkDirsOnce } from '../broker/workdir.ts';
import { rigVersion, type ProjectPaths } from '../project.ts';
import { annotateRun } from '../report/annotate.ts';
import { writeReports } from '../report/index.ts';
import { redactDeep, type Redactor } from '../report/redact.ts';
import { readResults } from '../report/results.ts';
import type { Cell, Results } from '../results/schema.ts';
import type { LoadedScenario } from '../scenario/load.ts';
import type { CellPlan } from './plan.ts';
import { toolVersions } from './versions.ts';

function runId(startedAt: Date): string {
  return startedAt.toISOString().replace(/[:.]/g, '-');
}

/** The run's folder, created empty of an earlier run's files (an --out folder may be reused). */
export async function prepareRunDir(o: { outDir?: string; paths: ProjectPaths }, startedAt: Date): Promise<string> {
  const runDir = path.resolve(o.outDir ?? path.join(o.paths.reports, runId(startedAt)));
  await sweepStaleWorkDirsOnce();
  await clearEarlierRun(runDir);
  await mkdir(runDir, { recursive: true });
  return runDir;
}

export interface FinishedRun {
  o: {
    outDir?: string;
    paths: ProjectPaths;
    shard?: { index: number; count: number };
    boards?: string[];
    args: string[];
    baseline?: Results;
    scenarios: LoadedScenario[];
    /** Where problems writing the reports are said (the terminal). */
    progress?: { log(message: string): void };
  };
  runDir: string;
  startedAt: Date;
  plans: CellPlan[];
  cells: Cell[];
  redact: Redactor;
  broker?: { provider: string; version?: string; image?: string };
  /** Stopped by a signal (not by the watchdog, whose cells are errors). */
  interrupted: boolean;
}

/** Writes results.json and the reports; callers (the CLI's table) get what the reports hold, redacted. */
export async function writeRun(f: FinishedRun): Promise<{ results: Results; runDir: string; reportMs: number }> {
  const results: Results = {
    version: 1,
    run: {
      id: runId(f.startedAt),
      startedAt: f.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      rigVersion: rigVersion(),
      host: os.hostname(),
      target: [...new Set(f.plans.map((p) => p.target))],
      ...(f.broker ? { broker: f.broker } : {}),
      versions: await toolVersions().catch(() => ({})),
      ...(f.o.shard ? { shard: `${f.o.shard.index}/${f.o.shard.count}` } : {}),
      ...(f.o.boards?.length ? { boards: [...f.o.boards].sort() } : {}),
      ...(f.interrupted ? { interrupted: true } : {}),
      args: f.o.args,
    },
    cells: sortCells(f.cells),
  };
  // Annotations (scenario lines, links) are extras: a fault there must not cost the report.
  const annotated = await annotateRun(results, f.o.scenarios, f.o.paths.root).catch(() => results);
  const { ms, problems } = writeReports(f.runDir, annotated, {
    ...(f.o.baseline ? { baseline: f.o.baseline } : {}),
    redactor: f.redact,
  });
  for (const p of problems) f.o.progress?.log(`report: ${p}`);
  if (!f.o.outDir) await pointLatest(f.o.paths.reports, f.runDir);
  return { results: redactDeep(annotated, f.redact), runDir: f.runDir, reportMs: ms };
}

function sortCells(cells: Cell[]): Cell[] {
  return [...cells].sort((a, b) => a.id.localeCompare(b.id) || a.target.localeCompare(b.target));
}

/**
 * Reusing --out must not mix runs: when the folder holds an earlier rig run (its results.json says so), what
 * that run wrote goes first. A folder that is not a run folder is left as it is.
 */
async function clearEarlierRun(runDir: string): Promise<void> {
  try {
    readResults(path.join(runDir, 'results.json'));
  } catch {
    return;
  }
  await Promise.all(
    ['cells', 'brokers', 'results.json', 'junit.xml', 'summary.md', 'report.html'].map((n) =>
      rm(path.join(runDir, n), { recursive: true, force: true }),
    ),
  );
}

async function pointLatest(reportsDir: string, runDir: string): Promise<void> {
  const latest = path.join(reportsDir, 'latest');
  await rm(latest, { force: true, recursive: false }).catch(() => undefined);
  await symlink(path.relative(reportsDir, runDir), latest).catch(() => undefined);
}
