import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { int, str, UsageError } from '../args.ts';
import { mergeRuns, publishReport, readResults, writeReports, makeRedactor } from '../../report/index.ts';
import { projectPaths } from '../../project.ts';
import { exitCodeFor } from '../../runner/run.ts';

export const reportCommand = command({
  name: 'report',
  usage: 'rig report publish [RUN_DIR] [--pr N] | rig report merge DIR... --out DIR | rig report render RUN_DIR [--baseline FILE]',
  summary: 'Publish a run\'s summary (GitHub step summary, one sticky PR comment), merge shard folders, or re-render reports.',
  options: {
    pr: { type: 'string', help: 'Pull request number (default: from GITHUB_REF)' },
    out: { type: 'string', help: 'Output folder for merge' },
    baseline: { type: 'string', help: 'results.json to compare against when rendering' },
  },
}, async (p) => {
  const [sub, ...dirs] = p.positionals;
  if (sub === 'publish') {
    const runDir = path.resolve(dirs[0] ?? path.join(projectPaths().reports, 'latest'));
    const summary = await readFile(path.join(runDir, 'summary.md'), 'utf8').catch(() => {
      throw new UsageError(`no summary.md in ${runDir}: run \`rig run\` first or give the run folder`);
    });
    const pr = str(p, 'pr') ? int(p, 'pr', 0) : undefined;
    const r = await publishReport({ summary, ...(pr !== undefined ? { pr } : {}) });
    process.stdout.write(`step summary: ${r.stepSummary}; PR comment: ${r.comment.action}${'reason' in r.comment ? ` (${r.comment.reason})` : ''}\n`);
    return EXIT.ok;
  }
  if (sub === 'merge') {
    const out = str(p, 'out');
    if (dirs.length < 1 || !out) throw new UsageError('give shard folders and --out DIR');
    const merged = mergeRuns(dirs, out);
    const { ms } = writeReports(out, merged, { redactor: makeRedactor([]) });
    process.stdout.write(`merged ${dirs.length} folders, ${merged.cells.length} cells → ${out} (${ms} ms)\n`);
    return exitCodeFor(merged);
  }
  if (sub === 'render') {
    if (dirs.length !== 1) throw new UsageError('give one run folder');
    const results = await readResults(path.join(dirs[0]!, 'results.json'));
    const baselineFile = str(p, 'baseline');
    const baseline = baselineFile ? await readResults(baselineFile) : undefined;
    const { paths, ms } = writeReports(dirs[0]!, results, { redactor: makeRedactor([]), ...(baseline ? { baseline } : {}) });
    process.stdout.write(`wrote ${Object.values(paths).join(', ')} in ${ms} ms\n`);
    return exitCodeFor(results);
  }
  throw new UsageError('report needs a subcommand: publish, merge or render');
});
