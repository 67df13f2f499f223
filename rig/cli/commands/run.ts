import os from 'node:os';
import path from 'node:path';
import { command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { bool, int, list, str, UsageError } from '../args.ts';
import { runMatrix } from '../../runner/run.ts';
import { parseShard } from '../../runner/matrix.ts';
import { createProgress, describeCell } from '../../runner/progress.ts';
import { loadQuarantine } from '../../runner/quarantine.ts';
import { readBaseline } from './files.ts';
import { ScenarioError } from '../../scenario/load.ts';
import type { BrokerProvider } from '../../broker/index.ts';
import { checkBoardIds, context, loadScenarios, resolveScenarioArgs } from './context.ts';
import { hardwareRunner } from '../../runner/hardware-target.ts';
import { firstRunReport } from '../../forum/first-run.ts';

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
      quiet: { type: 'boolean', short: 'q', help: 'Only the final table' },
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
            if (e instanceof ScenarioError) throw e; // a bad entry: positioned problems, exit 2
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
    const outArg = str(p, 'out');
    const progress = createProgress(process.stderr, { quiet: bool(p, 'quiet') });
    const hw = useTargets.includes('hardware') ? await hardwareRunner() : undefined;
    const { results, runDir, exitCode } = await runMatrix({
      scenarios,
      boardProfiles: boards,
      targets: useTargets,
      boards: boardIds,
      ...(filter ? { filter } : {}),
      tags: list(p, 'tag'),
      ...(shard ? { shard } : {}),
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
      ...(hw ? { hardware: hw.run, hardwareBrokerIp: hw.brokerIp } : {}),
    });
    progress.close();
    const out = process.stdout;
    out.write(
      `\n${results.cells.length} cells  (${results.run.broker ? `broker: ${results.run.broker.provider} mosquitto ${results.run.broker.version ?? '?'}` : 'no broker'})\n`,
    );
    for (const c of results.cells) out.write(`${describeCell(c)}\n`);
    const count = (s: string): number => results.cells.filter((c) => c.status === s).length;
    out.write(
      `\n${count('pass')} passed, ${count('fail')} failed, ${count('error')} errors, ${count('skip')} skipped, ${count('flaky')} flaky\n`,
    );
    // Reproductions made from a forum post: each cell against the lines the poster saw.
    for (const line of firstRunReport(results, runDir)) out.write(`${line}\n`);
    out.write(`reports: ${runDir}/{results.json,junit.xml,summary.md,report.html}\n`);
    return exitCode === 130 ? EXIT.interrupted : exitCode;
  },
);
