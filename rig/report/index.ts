// Entry point of the reports: everything is derived from one run folder (results.json + the log
// files its cells point at), so the runner calls writeReports once at the end of a run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Results } from '../results/schema.ts';
import { buildHtml } from './html.ts';
import { buildJunit } from './junit.ts';
import { makeLogStore } from './logs.ts';
import { redactDeep, type Redactor } from './redact.ts';
import { writeResults } from './results.ts';
import { buildSummary } from './summary.ts';

export { makeRedactor, redactDeep, type Redactor } from './redact.ts';
export { readResults, writeResults, parseResults, ResultsFileError } from './results.ts';
export { buildSummary, diffBaseline, COMMENT_LIMIT } from './summary.ts';
export { buildJunit } from './junit.ts';
export { buildHtml } from './html.ts';
export { mergeRuns } from './merge.ts';
export { publishReport } from './publish.ts';
export { syntheticResults, writeSyntheticRun } from './synthetic.ts';

export interface WriteReportsOptions {
  baseline?: Results;
  redactor: Redactor;
  /** Link to where the full artifacts live; defaults to the GitHub Actions run page when known. */
  artifactUrl?: string;
}

export interface ReportPaths {
  results: string;
  junit: string;
  summary: string;
  html: string;
}

/** Link to the current workflow run (where artifacts are listed), from the standard Actions variables. */
export function actionsRunUrl(env: NodeJS.ProcessEnv): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo, GITHUB_RUN_ID: run } = env;
  return server && repo && run ? `${server}/${repo}/actions/runs/${run}` : undefined;
}

/**
 * Writes results.json, junit.xml, summary.md and report.html into runDir. Every string of the
 * results and every referenced log file goes through the redactor first; log files in the run
 * folder are rewritten redacted because they are uploaded with the reports.
 */
export function writeReports(
  runDir: string,
  results: Results,
  opts: WriteReportsOptions,
): { paths: ReportPaths; ms: number } {
  const t0 = performance.now();
  const clean = redactDeep(results, opts.redactor);
  const baseline = opts.baseline ? redactDeep(opts.baseline, opts.redactor) : undefined;
  const logs = makeLogStore(runDir, opts.redactor);
  const paths: ReportPaths = {
    results: join(runDir, 'results.json'),
    junit: join(runDir, 'junit.xml'),
    summary: join(runDir, 'summary.md'),
    html: join(runDir, 'report.html'),
  };
  writeResults(paths.results, clean);
  writeFileSync(paths.junit, buildJunit(clean, logs));
  // Redacted once more as text: the summary is plain markdown, so a final pass cannot break markup.
  writeFileSync(
    paths.summary,
    opts.redactor(buildSummary(clean, { baseline, logs, artifactUrl: opts.artifactUrl ?? actionsRunUrl(process.env) })),
  );
  writeFileSync(paths.html, buildHtml(clean, { logs }));
  return { paths, ms: Math.round(performance.now() - t0) };
}
