import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { command } from '../command.ts';
import { EXIT, exitCodeFor } from '../exit.ts';
import { bool, int, str } from '../args.ts';
import { UsageError } from '../../errors.ts';
import { mergeRuns, publishReport, readResults, writeReports, makeRedactor } from '../../report/index.ts';
import { MergeError } from '../../report/merge.ts';
import { annotationCommands } from '../../report/publish.ts';
import { findRunFolders, readHistoryRuns, writeHistory } from '../../report/history.ts';
import { projectPaths } from '../../project.ts';
import { readBaseline, usageFromResults } from './files.ts';

export const reportCommand = command(
  {
    name: 'report',
    usage:
      'rig report publish [RUN_DIR] [--pr N] [--key K] | rig report merge DIR... --out DIR | rig report render RUN_DIR [--baseline FILE] | rig report history RUN_DIR... --out DIR',
    summary:
      "Publish a run's summary (GitHub step summary, one sticky PR comment), merge shard folders, re-render reports, or turn a series of run folders into a history page.",
    options: {
      pr: { type: 'string', help: 'Pull request number (default: from GITHUB_REF)' },
      key: {
        type: 'string',
        help: "This job's comment key: one sticky comment per key (default: RIG_REPORT_KEY, GITHUB_JOB)",
      },
      author: {
        type: 'string',
        help: "Login whose comment is edited (default: the token's own; github-actions[bot] for GITHUB_TOKEN)",
      },
      annotations: {
        type: 'boolean',
        help: 'Print ::error annotations for failing cells (default: on GitHub Actions)',
      },
      out: { type: 'string', help: 'Output folder for merge and history' },
      baseline: { type: 'string', help: 'results.json to compare against when rendering' },
    },
  },
  async (p) => {
    const [sub, ...dirs] = p.positionals;
    if (sub === 'publish') {
      const runDir = path.resolve(dirs[0] ?? path.join(projectPaths().reports, 'latest'));
      const summary = await readFile(path.join(runDir, 'summary.md'), 'utf8').catch(() => {
        throw new UsageError(`no summary.md in ${runDir}: run \`rig run\` first or give the run folder`);
      });
      const pr = str(p, 'pr') ? int(p, 'pr', 0) : undefined;
      // Annotations place each failure on its scenario line in the PR's "Files changed" and the run page.
      if (bool(p, 'annotations') || process.env.GITHUB_ACTIONS === 'true') {
        const results = (() => {
          try {
            return readResults(path.join(runDir, 'results.json'));
          } catch {
            return undefined;
          }
        })();
        for (const line of results ? annotationCommands(results) : []) process.stdout.write(`${line}\n`);
      }
      const key = str(p, 'key');
      const author = str(p, 'author');
      const r = await publishReport({
        summary,
        ...(pr !== undefined ? { pr } : {}),
        ...(key ? { key } : {}),
        ...(author ? { author } : {}),
      });
      process.stdout.write(
        `step summary: ${r.stepSummary}; PR comment: ${r.comment.action}${'reason' in r.comment ? ` (${r.comment.reason})` : ''}\n`,
      );
      return EXIT.ok;
    }
    if (sub === 'merge') {
      const outArg = str(p, 'out');
      if (dirs.length < 1 || !outArg) throw new UsageError('give shard folders and --out DIR');
      // Folders typed on the command line are relative to the current folder.
      const shardDirs = dirs.map((d) => path.resolve(d));
      const missing = dirs.find((_, i) => !existsSync(shardDirs[i]!));
      if (missing !== undefined) throw new UsageError(`merge: ${missing}: no such folder`);
      const notRun = dirs.find((_, i) => !existsSync(path.join(shardDirs[i]!, 'results.json')));
      if (notRun !== undefined) throw new UsageError(`merge: ${notRun}: no results.json (not a run folder)`);
      const out = path.resolve(outArg);
      let merged;
      try {
        merged = mergeRuns(shardDirs, out);
      } catch (e) {
        if (e instanceof MergeError) throw new UsageError(`merge: ${e.message}`);
        throw usageFromResults(e, 'merge');
      }
      const { ms } = writeReports(out, merged, { redactor: makeRedactor([]) });
      process.stdout.write(`merged ${dirs.length} folders, ${merged.cells.length} cells → ${outArg} (${ms} ms)\n`);
      return exitCodeFor(merged);
    }
    if (sub === 'render') {
      if (dirs.length !== 1) throw new UsageError('give one run folder');
      const runDir = path.resolve(dirs[0]!);
      let results;
      try {
        results = readResults(path.join(runDir, 'results.json'));
      } catch (e) {
        throw usageFromResults(e, `render ${dirs[0]}`);
      }
      const baselineFile = str(p, 'baseline');
      const baseline = baselineFile ? readBaseline('--baseline', baselineFile) : undefined;
      const { paths, ms } = writeReports(runDir, results, {
        redactor: makeRedactor([]),
        ...(baseline ? { baseline } : {}),
      });
      process.stdout.write(`wrote ${Object.values(paths).join(', ')} in ${ms} ms\n`);
      return exitCodeFor(results);
    }
    if (sub === 'history') {
      const outArg = str(p, 'out');
      if (dirs.length < 1 || !outArg)
        throw new UsageError('give run folders (or folders of run folders) and --out DIR');
      const found = findRunFolders(dirs);
      if (found.length === 0) throw new UsageError(`history: no run folder (with results.json) in ${dirs.join(' ')}`);
      let runs;
      try {
        runs = readHistoryRuns(found);
      } catch (e) {
        throw usageFromResults(e, 'history');
      }
      const { html, json, history } = writeHistory(runs, path.resolve(outArg));
      const failing = history.cells.filter((c) => c.current === 'fail' || c.current === 'error').length;
      process.stdout.write(
        `history of ${history.runs.length} runs, ${history.cells.length} cells (${failing} failing now) → ${html}, ${json}\n`,
      );
      return EXIT.ok;
    }
    throw new UsageError('report needs a subcommand: publish, merge, render or history');
  },
);
