import os from 'node:os';
import path from 'node:path';
import { command } from '../command.ts';
import { EXIT, exitCodeFor } from '../exit.ts';
import { bool, int, list, str } from '../args.ts';
import { UsageError } from '../../errors.ts';
import { runMatrix } from '../../runner/run.ts';
import { parseShard, planCells } from '../../runner/plan.ts';
import { checkTools, missingToolsMessage } from '../../setup/tools.ts';
import { dockerAnswers } from '../../setup/container-image.ts';
import { closingBlock, colorWanted, plannedListing, terminalProgress } from '../terminal.ts';
import { emptySelection, lastFailedFilter, toolsFor } from './selection.ts';
import { loadQuarantine } from '../../runner/quarantine.ts';
import { readBaseline } from './files.ts';
import { FormatError } from '../../errors.ts';
import type { BrokerProvider } from '../../broker/index.ts';
import { checkBoardIds, context, resolveScenarioArgs } from './context.ts';
import { loadScenarios } from '../../scenario/files.ts';

export const runCommand = command(
  {
    name: 'run',
    usage: 'rig run [SCENARIO|FILE|GLOB...] [options]',
    summary:
      'Run the matrix scenario × variant × board (× core) and write results.json, junit.xml, summary.md and report.html.',
    options: {
      target: { type: 'string', help: 'twin, hardware or twin,hardware', default: 'twin' },
      boards: { type: 'string', help: 'Only these boards (comma-separated)' },
      broker: { type: 'string', help: 'auto, local or container', default: 'auto' },
      out: { type: 'string', help: 'Run folder (default reports/<timestamp>, linked from reports/latest)' },
      jobs: { type: 'string', short: 'j', help: 'Cells in parallel', default: 'cores' },
      retries: { type: 'string', help: 'Retries for infrastructure errors', default: '1' },
      shard: { type: 'string', help: 'Run shard K of N (K/N)' },
      filter: { type: 'string', help: 'Only cells whose id (scenario/variant/board) matches this regex' },
      tag: { type: 'string', multiple: true, help: 'Only scenarios with this tag (repeatable, comma-separated)' },
      baseline: { type: 'string', help: 'results.json of an earlier run: report what changed' },
      quarantine: { type: 'string', help: "Quarantine file (default: the project's quarantine.yaml, if there is one)" },
      timeout: { type: 'string', help: 'Default per-cell timeout in ms', default: '20000' },
      watchdog: { type: 'string', help: 'Stop the whole run after this many ms' },
      'no-sandbox': { type: 'boolean', help: 'Run twins without bubblewrap' },
      'last-failed': {
        type: 'boolean',
        help: 'Only the cells that failed or errored in the last run (reports/latest)',
      },
      list: { type: 'boolean', help: 'List the planned cells (after every selector) without running them' },
      verbose: { type: 'boolean', short: 'v', help: 'Print every finished cell, passes and skips too' },
      quiet: { type: 'boolean', short: 'q', help: 'Only the closing block' },
    },
  },
  async (p) => {
    const { paths, boards } = await context();
    const targets = list(p, 'target');
    const useTargets = (targets.length ? targets : ['twin']) as ('twin' | 'hardware')[];
    for (const t of useTargets)
      if (t !== 'twin' && t !== 'hardware') throw new UsageError(`--target takes twin and/or hardware, got "${t}"`);
    const broker = (str(p, 'broker') ?? 'auto') as BrokerProvider;
    if (!['auto', 'local', 'container'].includes(broker))
      throw new UsageError('--broker must be auto, local or container');
    const jobsText = str(p, 'jobs');
    const jobs = !jobsText || jobsText === 'cores' ? os.availableParallelism() : int(p, 'jobs', 1);
    let filter: RegExp | undefined;
    try {
      const f = str(p, 'filter');
      if (f) filter = new RegExp(f);
    } catch (e) {
      throw new UsageError(`--filter: ${(e as Error).message}`);
    }
    const shardText = str(p, 'shard');
    let shard;
    try {
      shard = shardText ? parseShard(shardText) : undefined;
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    // Paths the user types are relative to where they typed them; only the default quarantine file is the project's.
    const quarantineArg = str(p, 'quarantine');
    const quarantine =
      quarantineArg === undefined
        ? await loadQuarantine(path.join(paths.root, 'quarantine.yaml'), false)
        : await loadQuarantine(path.resolve(quarantineArg), true).catch((e: unknown) => {
            if (e instanceof FormatError) throw e; // a bad entry: positioned problems, exit 2
            throw new UsageError(`--quarantine ${quarantineArg}: cannot read: ${(e as Error).message}`);
          });
    const baselineFile = str(p, 'baseline');
    const baseline = baselineFile ? readBaseline('--baseline', baselineFile) : undefined;
    const boardIds = list(p, 'boards');
    checkBoardIds(boardIds, boards);
    const scenarios = await loadScenarios(await resolveScenarioArgs(p.positionals, paths), boards);
    if (boardIds.length && !scenarios.some((l) => l.scenario.boards.some((b) => boardIds.includes(b)))) {
      const used = [...new Set(scenarios.flatMap((l) => l.scenario.boards))].sort();
      throw new UsageError(
        `--boards ${boardIds.join(',')}: no selected scenario runs ${boardIds.length > 1 ? 'these boards' : 'this board'} (they run: ${used.join(', ')})`,
      );
    }
    let selected = filter;
    if (bool(p, 'last-failed')) {
      const last = lastFailedFilter(path.join(paths.reports, 'latest'), filter);
      if (!last.filter) {
        process.stderr.write(
          `--last-failed: the last run (${last.from}) had no failed or errored cell; nothing to rerun\n`,
        );
        return EXIT.ok;
      }
      process.stderr.write(`--last-failed: ${last.ids.length} cells that failed or errored in ${last.from}\n`);
      selected = last.filter;
    }
    const matrix = {
      targets: useTargets,
      boards: boardIds,
      ...(selected ? { filter: selected } : {}),
      tags: list(p, 'tag'),
      ...(shard ? { shard } : {}),
    };
    const plans = planCells(scenarios, boards, matrix);
    // An empty shard of a real selection is fine (more shards than cells); an empty selection is a typo.
    if (plans.length === 0 && planCells(scenarios, boards, { ...matrix, shard: undefined }).length === 0) {
      const unfiltered = planCells(scenarios, boards, { targets: useTargets, boards: boardIds });
      throw emptySelection(
        {
          positionals: p.positionals,
          tags: list(p, 'tag'),
          ...(str(p, 'filter') ? { filter: str(p, 'filter') } : {}),
          boards: boardIds,
          lastFailed: bool(p, 'last-failed'),
        },
        scenarios,
        unfiltered,
      );
    }
    const color = colorWanted(process.stdout);
    const planned = plans.map((x) => ({ key: x.key, id: x.id, target: x.target, ...(x.skip ? { skip: x.skip } : {}) }));
    if (bool(p, 'list')) {
      process.stdout.write(plannedListing(planned, color));
      return EXIT.ok;
    }
    // Every tool the cells need, checked once: one clear message instead of the same error in every cell.
    const checks = await checkTools(toolsFor(plans, broker === 'container' ? 'container' : 'local'));
    let bad = checks.filter((c) => !c.ok);
    if (broker === 'auto' && bad.some((b) => b.name === 'mosquitto') && (await dockerAnswers(2000)))
      bad = bad.filter((b) => b.name !== 'mosquitto');
    if (bad.length) {
      process.stderr.write(`rig run: ${missingToolsMessage(bad)}\n`);
      return EXIT.infra;
    }
    const outArg = str(p, 'out');
    const progress = terminalProgress(process.stderr, planned, {
      quiet: bool(p, 'quiet'),
      verbose: bool(p, 'verbose'),
    });
    const t0 = Date.now();
    const { results, runDir } = await runMatrix({
      scenarios,
      boardProfiles: boards,
      ...matrix,
      jobs,
      retries: int(p, 'retries', 1),
      broker,
      ...(outArg ? { outDir: path.resolve(outArg) } : {}),
      ...(baseline ? { baseline } : {}),
      quarantine,
      sandbox: !bool(p, 'no-sandbox'),
      progress,
      paths,
      defaultTimeoutMs: int(p, 'timeout', 20000),
      ...(str(p, 'watchdog') ? { watchdogMs: int(p, 'watchdog', 0) } : {}),
      args: process.argv.slice(2),
    });
    progress.close();
    const rel = path.relative(process.cwd(), runDir);
    process.stdout.write(
      closingBlock(results, rel && !rel.startsWith('..') ? rel : runDir, {
        color,
        ...(process.stdout.isTTY ? { width: process.stdout.columns } : {}),
        verbose: bool(p, 'verbose'),
        elapsedMs: Date.now() - t0,
      }),
    );
    return exitCodeFor(results);
  },
);
