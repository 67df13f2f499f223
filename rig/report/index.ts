// Entry point of the reports: everything is derived from one run folder (results.json + the log
// files its cells point at), so the runner calls writeReports once at the end of a run.
import { join } from 'node:path';
import type { Results } from '../results/schema.ts';
import { buildHtml } from './html.ts';
import { buildJunit } from './junit.ts';
import { makeLogStore } from './logs.ts';
import { redactDeep, type Redactor } from './redact.ts';
import { boundStrings, writeResults, writeResultsRepaired } from './results.ts';
import { readFileNoFollowSync, writeFileNoFollowSync } from '../sandbox/index.ts';
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
 *
 * A report is always written: results.json first (a cell whose record would make the file invalid is replaced
 * by an error cell saying so), then each other report on its own, so one that fails (a disk error, a bug, a
 * link in its place: files are written without following links) loses only itself, and the others say so.
 */
export function writeReports(
  runDir: string,
  results: Results,
  opts: WriteReportsOptions,
): { paths: ReportPaths; ms: number; problems: string[] } {
  const t0 = performance.now();
  const problems: string[] = [];
  const attempt = (name: string, write: () => void): void => {
    try {
      write();
    } catch (e) {
      problems.push(`${name} could not be written: ${oneLine((e as Error).message)}`);
    }
  };
  const clean = boundStrings(redactDeep(results, opts.redactor));
  const baseline = opts.baseline ? redactDeep(opts.baseline, opts.redactor) : undefined;
  const logs = makeLogStore(runDir, opts.redactor);
  const paths: ReportPaths = {
    results: join(runDir, 'results.json'),
    junit: join(runDir, 'junit.xml'),
    summary: join(runDir, 'summary.md'),
    html: join(runDir, 'report.html'),
  };
  let written = clean;
  attempt('results.json', () => {
    written = writeResultsRepaired(paths.results, clean, problems);
  });
  attempt('junit.xml', () => writeFileNoFollowSync(paths.junit, buildJunit(written, logs)));
  // Redacted once more as text: the summary is plain markdown, so a final pass cannot break markup.
  attempt('summary.md', () =>
    writeFileNoFollowSync(
      paths.summary,
      opts.redactor(
        buildSummary(written, { baseline, logs, artifactUrl: opts.artifactUrl ?? actionsRunUrl(process.env) }),
      ) + problemsNote(problems, 'md'),
    ),
  );
  attempt('report.html', () => writeFileNoFollowSync(paths.html, withHtmlNote(buildHtml(written, { logs }), problems)));
  if (problems.length > 0) noteProblems(paths, written, problems);
  return { paths, ms: Math.round(performance.now() - t0), problems };
}

function oneLine(s: string): string {
  return s.split('\n').find((l) => l.trim()) ?? s;
}

/** The reports that were written say which ones were not (results.json records it in run.reportProblems). */
function noteProblems(paths: ReportPaths, results: Results, problems: string[]): void {
  try {
    writeResults(paths.results, { ...results, run: { ...results.run, reportProblems: [...problems] } });
  } catch {
    /* results.json itself is what failed: the others say it */
  }
  try {
    const md = readFileNoFollowSync(paths.summary, 1 << 20);
    if (md && !md.text.includes(PROBLEMS_TITLE))
      writeFileNoFollowSync(paths.summary, md.text + problemsNote(problems, 'md'));
  } catch {
    /* summary.md is what failed */
  }
}

const PROBLEMS_TITLE = 'Report problems';

function problemsNote(problems: string[], _kind: 'md'): string {
  if (problems.length === 0) return '';
  return `\n\n### ${PROBLEMS_TITLE}\n\n${problems.map((p) => `- ${p}`).join('\n')}\n`;
}

function withHtmlNote(html: string, problems: string[]): string {
  if (problems.length === 0) return html;
  const esc = (t: string): string => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const note = `<div class="report-problems" role="alert"><strong>${PROBLEMS_TITLE}</strong><ul>${problems
    .map((p) => `<li>${esc(p)}</li>`)
    .join('')}</ul></div>`;
  const at = html.indexOf('<body');
  const end = at >= 0 ? html.indexOf('>', at) + 1 : 0;
  return html.slice(0, end) + note + html.slice(end);
}
