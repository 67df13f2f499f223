import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { command } from '../command.ts';
import { EXIT, exitCodeFor } from '../exit.ts';
import { bool, int, list, str } from '../args.ts';
import { UsageError } from '../../errors.ts';
import { runMatrix } from '../../runner/run.ts';
import { parseShard, planCells, type CellFilter, type CellPlan, type MatrixOptions } from '../../runner/plan.ts';
import { checkTools, missingToolsMessage } from '../../setup/tools.ts';
import { dockerAnswers } from '../../setup/container-image.ts';
import { closingBlock, colorWanted, plannedListing, terminalProgress } from '../terminal.ts';
import { emptySelection, lastFailedFilter, toolsFor } from './selection.ts';
import { loadQuarantine, type QuarantineEntry } from '../../runner/quarantine.ts';
import type { BoardProfile } from '../../boards/profile.ts';
import type { LoadedScenario } from '../../scenario/load.ts';
import { readBaseline } from './files.ts';
import { FormatError } from '../../errors.ts';
import type { BrokerProvider } from '../../broker/index.ts';
import { checkBoardIds, context, resolveScenarioArgs } from './context.ts';
import { loadRunnableScenarios } from '../../runner/validate.ts';
import { firstRunReport } from '../../forum/first-run.ts';
import { compilePattern } from '../../format/index.ts';
import { sandboxSupport } from '../../sandbox/index.ts';
import { untrustedInputs } from '../../scenario/trust.ts';

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
      libraries: {
        type: 'string',
        multiple: true,
        help: "An arduino-cli libraries folder (e.g. ~/Arduino/libraries) whose portable libraries twins compile with the sketch; the twin's own WiFi, TLS and MQTT libraries take the place of the board's (repeatable)",
      },
      'real-time': {
        type: 'boolean',
        help: "Twins wait in real time instead of on the board's virtual clock (sketches that race the wall clock)",
      },
      untrusted: {
        type: 'boolean',
        help: "Treat every input as a stranger's (CI on a pull request): refused where the sandbox is missing",
      },
      'allow-unsandboxed': {
        type: 'boolean',
        help: "Run a stranger's scenario, post or sketch even where the sandbox is missing",
      },
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
    const o = parseRunFlags(p);
    const quarantine = await quarantineFor(p, paths.root);
    const baselineFile = str(p, 'baseline');
    const baseline = baselineFile ? readBaseline('--baseline', baselineFile) : undefined;
    checkBoardIds(o.boardIds, boards);
    const scenarios = await loadRunnableScenarios(await resolveScenarioArgs(p.positionals, paths), boards);
    checkBoardsRun(o.boardIds, scenarios);
    const selection = selectCells(p, o, scenarios, boards, path.join(paths.reports, 'latest'));
    if (!selection) return EXIT.ok;
    const { matrix, plans } = selection;
    const color = colorWanted(process.stdout);
    const planned = plans.map((x) => ({ key: x.key, id: x.id, target: x.target, ...(x.skip ? { skip: x.skip } : {}) }));
    if (bool(p, 'list')) {
      process.stdout.write(plannedListing(planned, color));
      return EXIT.ok;
    }
    const refused = sandboxRefusal(p, scenarios, paths.root);
    if (refused) {
      process.stderr.write(`rig run: ${refused}\n`);
      return EXIT.infra;
    }
    const missing = await missingTools(plans, o.broker);
    if (missing) {
      process.stderr.write(`rig run: ${missing}\n`);
      return EXIT.infra;
    }
    const librariesDirs = await libraryFolders(list(p, 'libraries'));
    const { jobs, broker } = o;
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
      ...(librariesDirs.length ? { librariesDirs } : {}),
      ...(bool(p, 'real-time') ? { realTime: true } : {}),
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
    // Reproductions made from a forum post: each cell against the lines the poster saw.
    const againstPost = firstRunReport(results, runDir);
    if (againstPost.length) process.stdout.write(`${againstPost.join('\n')}\n`);
    return exitCodeFor(results);
  },
);

type Parsed = Parameters<Parameters<typeof command>[1]>[0];

/**
 * Untrusted inputs (rig/scenario/trust.ts) run only sandboxed: where this machine has no sandbox (no bubblewrap,
 * no namespaces) the run is refused unless --allow-unsandboxed. --no-sandbox (twins without it) is the user's
 * explicit choice: said, not refused.
 */
function sandboxRefusal(p: Parsed, scenarios: LoadedScenario[], root: string): string | undefined {
  const why = untrustedInputs(scenarios, root, bool(p, 'untrusted'));
  if (why.length === 0) return undefined;
  const list = why.slice(0, 5).map((w) => `  - ${w}`);
  if (why.length > 5) list.push(`  - and ${why.length - 5} more`);
  const support = sandboxSupport();
  if (!support.ok && !bool(p, 'allow-unsandboxed'))
    return [
      `refusing untrusted inputs: the sandbox is missing here (${support.reason}).`,
      ...list,
      'See SECURITY.md; `rig doctor` shows what the sandbox needs. To run them anyway, on a machine you can lose: --allow-unsandboxed.',
    ].join('\n');
  const off = !support.ok ? 'the sandbox is missing here' : bool(p, 'no-sandbox') ? '--no-sandbox' : '';
  if (off)
    process.stderr.write(
      `rig run: warning: untrusted inputs run without the twin sandbox (${off}):\n${list.join('\n')}\n`,
    );
  return undefined;
}

interface RunFlags {
  targets: ('twin' | 'hardware')[];
  broker: BrokerProvider;
  jobs: number;
  filter?: CellFilter;
  shard?: { index: number; count: number };
  boardIds: string[];
}

/** The flags that shape the matrix, checked: a bad value is a usage error naming the flag. */
function parseRunFlags(p: Parsed): RunFlags {
  const targetList = list(p, 'target');
  const targets = (targetList.length ? targetList : ['twin']) as ('twin' | 'hardware')[];
  for (const t of targets)
    if (t !== 'twin' && t !== 'hardware') throw new UsageError(`--target takes twin and/or hardware, got "${t}"`);
  const broker = (str(p, 'broker') ?? 'auto') as BrokerProvider;
  if (!['auto', 'local', 'container'].includes(broker))
    throw new UsageError('--broker must be auto, local or container');
  const jobsText = str(p, 'jobs');
  const jobs = !jobsText || jobsText === 'cores' ? os.availableParallelism() : int(p, 'jobs', 1);
  const filterText = str(p, 'filter');
  const shardText = str(p, 'shard');
  return {
    targets,
    broker,
    jobs,
    ...(filterText ? { filter: usage('--filter: ', () => compilePattern(filterText)) } : {}),
    ...(shardText ? { shard: usage('', () => parseShard(shardText)) } : {}),
    boardIds: list(p, 'boards'),
  };
}

function usage<T>(prefix: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new UsageError(`${prefix}${(e as Error).message}`);
  }
}

/** Paths the user types are relative to where they typed them; only the default quarantine file is the project's. */
async function quarantineFor(p: Parsed, root: string): Promise<QuarantineEntry[]> {
  const arg = str(p, 'quarantine');
  if (arg === undefined) return loadQuarantine(path.join(root, 'quarantine.yaml'), false);
  return loadQuarantine(path.resolve(arg), true).catch((e: unknown) => {
    if (e instanceof FormatError) throw e; // a bad entry: positioned problems, exit 2
    throw new UsageError(`--quarantine ${arg}: cannot read: ${(e as Error).message}`);
  });
}

function checkBoardsRun(boardIds: string[], scenarios: LoadedScenario[]): void {
  if (!boardIds.length || scenarios.some((l) => l.scenario.boards.some((b) => boardIds.includes(b)))) return;
  const used = [...new Set(scenarios.flatMap((l) => l.scenario.boards))].sort();
  throw new UsageError(
    `--boards ${boardIds.join(',')}: no selected scenario runs ${boardIds.length > 1 ? 'these boards' : 'this board'} (they run: ${used.join(', ')})`,
  );
}

/**
 * The planned cells after every selector; undefined when --last-failed finds nothing to rerun. An empty shard of
 * a real selection is fine (more shards than cells); an empty selection is a typo and a usage error.
 */
function selectCells(
  p: Parsed,
  o: RunFlags,
  scenarios: LoadedScenario[],
  boards: Map<string, BoardProfile>,
  latest: string,
): { matrix: MatrixOptions; plans: CellPlan[] } | undefined {
  let selected = o.filter;
  if (bool(p, 'last-failed')) {
    const last = lastFailedFilter(latest, o.filter);
    if (!last.filter) {
      process.stderr.write(
        `--last-failed: the last run (${last.from}) had no failed or errored cell; nothing to rerun\n`,
      );
      return undefined;
    }
    process.stderr.write(`--last-failed: ${last.ids.length} cells that failed or errored in ${last.from}\n`);
    selected = last.filter;
  }
  const matrix: MatrixOptions = {
    targets: o.targets,
    boards: o.boardIds,
    ...(selected ? { filter: selected } : {}),
    tags: list(p, 'tag'),
    ...(o.shard ? { shard: o.shard } : {}),
  };
  const plans = planCells(scenarios, boards, matrix);
  if (plans.length === 0 && planCells(scenarios, boards, { ...matrix, shard: undefined }).length === 0) {
    const unfiltered = planCells(scenarios, boards, { targets: o.targets, boards: o.boardIds });
    const filterText = str(p, 'filter');
    throw emptySelection(
      {
        positionals: p.positionals,
        tags: list(p, 'tag'),
        ...(filterText ? { filter: filterText } : {}),
        boards: o.boardIds,
        lastFailed: bool(p, 'last-failed'),
      },
      scenarios,
      unfiltered,
    );
  }
  return { matrix, plans };
}

/** Every tool the cells need, checked once: one clear message instead of the same error in every cell. */
async function missingTools(plans: CellPlan[], broker: BrokerProvider): Promise<string | undefined> {
  const checks = await checkTools(toolsFor(plans, broker === 'container' ? 'container' : 'local'));
  let bad = checks.filter((c) => !c.ok);
  if (broker === 'auto' && bad.some((b) => b.name === 'mosquitto') && (await dockerAnswers(2000)))
    bad = bad.filter((b) => b.name !== 'mosquitto');
  return bad.length ? missingToolsMessage(bad) : undefined;
}

/** `--libraries` folders, resolved from where they were typed; a folder that is not there is a usage error. */
async function libraryFolders(args: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const a of args) {
    const dir = path.resolve(a.replace(/^~(?=$|\/)/, os.homedir()));
    const ok = await stat(dir)
      .then((s) => s.isDirectory())
      .catch(() => false);
    if (!ok) throw new UsageError(`--libraries ${a}: no such folder`);
    out.push(dir);
  }
  return out;
}
