// The matrix runner: one broker per scenario variant (and target network), its cells in parallel up to
// --jobs, retries and quarantine applied, everything stopped on Ctrl-C, and what finished always written.
import { copyFile, mkdir, readdir, readFile, stat, writeFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildPki, type PkiBundle } from '../pki/index.ts';
import { startBroker, type BrokerHandle, type BrokerProvider } from '../broker/index.ts';
import type { BoardProfile } from '../boards/profile.ts';
import type { LoadedScenario } from '../scenario/load.ts';
import { resolveVariant, type ResolvedVariant } from '../scenario/resolve.ts';
import type { Cell, CertSummary, Results } from '../results/schema.ts';
import { evaluate } from '../outcome/expect.ts';
import { makeRedactor, redactDeep, type Redactor } from '../report/redact.ts';
import { writeReports } from '../report/index.ts';
import { rigVersion, type ProjectPaths } from '../project.ts';
import { Cleanup } from './cleanup.ts';
import { planCells, type CellPlan, type MatrixOptions } from './matrix.ts';
import { KeyedLock, Pool } from './pool.ts';
import { Observer } from './observer.ts';
import { BrokerLedger } from './attribution.ts';
import { AttemptAborted, type Attempt, type CellEnv } from './attempt.ts';
import { runTwinCell } from './twin-target.ts';
import { runControlCell } from './control-target.ts';
import type { Progress } from './progress.ts';
import { matchQuarantine, type QuarantineEntry } from './quarantine.ts';
import { toolVersions } from './versions.ts';
import { TargetError } from '../errors.ts';
import { brokerWorkDir, sweepStaleWorkDirs } from '../broker/workdir.ts';
import { readResults } from '../report/results.ts';

export interface RunOptions extends MatrixOptions {
  scenarios: LoadedScenario[];
  boardProfiles: Map<string, BoardProfile>;
  jobs: number;
  retries: number;
  broker: BrokerProvider;
  outDir?: string;
  baseline?: Results;
  quarantine: QuarantineEntry[];
  sandbox: boolean;
  progress: Progress;
  paths: ProjectPaths;
  defaultTimeoutMs: number;
  watchdogMs?: number;
  args: string[];
  /** Runs a hardware cell; absent when no lab is configured. */
  hardware?: (env: CellEnv) => Promise<Attempt>;
  hardwareBrokerIp?: string;
}

export interface RunOutcome {
  results: Results;
  runDir: string;
  reportMs: number;
}

interface Group {
  key: string;
  loaded: LoadedScenario;
  variant: string;
  network: 'local' | 'lab';
  cells: CellPlan[];
}

export async function runMatrix(o: RunOptions): Promise<RunOutcome> {
  const startedAt = new Date();
  const runId = startedAt.toISOString().replace(/[:.]/g, '-');
  const runDir = path.resolve(o.outDir ?? path.join(o.paths.reports, runId));
  await sweepStaleWorkDirs();
  await clearEarlierRun(runDir);
  await mkdir(runDir, { recursive: true });
  const cleanup = new Cleanup();
  const untrap = cleanup.trapSignals((sig) =>
    o.progress.log(`\n${sig}: stopping brokers and twins, writing what finished…`),
  );
  const watchdogReason = `stopped by the watchdog: the run exceeded --watchdog ${o.watchdogMs} ms`;
  const watchdog = o.watchdogMs
    ? setTimeout(() => {
        if (cleanup.interrupted) return;
        o.progress.log(
          `\nwatchdog: the run exceeded --watchdog ${o.watchdogMs} ms: stopping brokers and twins, writing what finished…`,
        );
        cleanup.expire();
      }, o.watchdogMs)
    : undefined;
  watchdog?.unref();
  /** How a cell the run stopped before its result is reported: the watchdog's is the rig's error, Ctrl-C's a skip. */
  const stopped = (): { status: Cell['status']; reason: string } =>
    cleanup.stoppedBy === 'watchdog'
      ? { status: 'error', reason: watchdogReason }
      : { status: 'skip', reason: 'run interrupted' };

  const plans = planCells(o.scenarios, o.boardProfiles, o);
  const cells: Cell[] = [];
  const secrets = new Set<string>();
  let redact: Redactor = makeRedactor([]);
  const addSecret = (value: string): void => {
    if (!value || secrets.has(value)) return;
    secrets.add(value);
    redact = makeRedactor([...secrets]);
  };
  // The terminal (a CI log) sees what the reports see.
  const finish = (c: Cell): void => o.progress.finish(redactDeep(c, redact));
  let providerUsed: { provider: string; version?: string; image?: string } | undefined;

  const groups = new Map<string, Group>();
  for (const p of plans) {
    if (p.skip) {
      const c = skipCell(p, p.skip);
      cells.push(c);
      finish(c);
      continue;
    }
    const network = p.target === 'hardware' ? 'lab' : 'local';
    const key = `${p.loaded.scenario.id}/${p.variant}/${network}`;
    const g = groups.get(key) ?? { key, loaded: p.loaded, variant: p.variant, network, cells: [] };
    g.cells.push(p);
    groups.set(key, g);
  }

  const cellPool = new Pool(Math.max(1, o.jobs));
  const groupPool = new Pool(Math.max(1, o.jobs));
  const boardLock = new KeyedLock();

  const runGroup = async (g: Group): Promise<void> => {
    if (cleanup.interrupted) {
      for (const p of g.cells) {
        const c = stoppedCell(p, stopped(), 0);
        cells.push(c);
        finish(c);
      }
      return;
    }
    const brokerIp = g.network === 'lab' ? (o.hardwareBrokerIp ?? '127.0.0.1') : '127.0.0.1';
    const vars = { 'broker.ip': brokerIp };
    const groupDir = path.join(runDir, 'brokers', safeName(`${g.loaded.scenario.id}-${g.variant}-${g.network}`));
    let rv: ResolvedVariant;
    let pki: PkiBundle;
    let broker: BrokerHandle | undefined;
    let observer: Observer | undefined;
    let untap: (() => void) | undefined;
    let brokerWork: string | undefined;
    const t0 = Date.now();
    try {
      rv = resolveVariant(g.loaded.scenario, g.variant, vars);
      for (const v of brokerSecrets(rv)) addSecret(v);
      pki = await buildPki(rv.pki, { vars, cacheDir: path.join(o.paths.cache, 'pki') });
      for (const c of Object.values(pki.certs)) if (c.keyPassphrase) addSecret(c.keyPassphrase);
      await mkdir(groupDir, { recursive: true });
      // The broker's own folder holds its key and password file: keep it out of the run folder (an artifact).
      brokerWork = await brokerWorkDir('rig-broker-work-');
      broker = await startBroker(rv.broker, pki, { provider: o.broker, workDir: brokerWork, vars });
      await copyFile(broker.confFile, path.join(groupDir, 'mosquitto.conf')).catch(() => undefined);
      const b = broker;
      const unregister = cleanup.add(`broker ${g.key}`, () => b.stop());
      // Every line with its arrival time, so a cell's messages and log lines are told from its neighbours'.
      const ledger = new BrokerLedger();
      untap = broker.onLine((line) => ledger.record(line));
      providerUsed ??= {
        provider: broker.provider,
        version: broker.version,
        ...(broker.image ? { image: broker.image } : {}),
      };
      observer = await Observer.start(observerOptions(rv, pki, broker));
      const obs = observer;
      ledger.watchObserver(obs);
      const setupMs = Date.now() - t0;
      await Promise.all(
        g.cells.map((p) =>
          cellPool.run(async () => {
            const lockKey = p.target === 'hardware' ? `board:${p.board.id}` : `cell:${p.key}`;
            const cell = await boardLock.with(lockKey, () => runCell(p, rv, pki, b, obs, ledger, groupDir, setupMs));
            cells.push(cell);
            finish(cell);
          }),
        ),
      );
      unregister();
    } catch (e) {
      const reason = `setup failed: ${(e as Error).message.split('\n').slice(0, 3).join(' | ')}`;
      for (const p of g.cells) {
        if (cells.some((c) => `${c.id}#${c.target}` === p.key)) continue;
        const c = stoppedCell(p, cleanup.interrupted ? stopped() : { status: 'error', reason }, Date.now() - t0);
        cells.push(c);
        finish(c);
      }
    } finally {
      untap?.();
      await observer?.stop();
      if (broker) {
        await writeFile(path.join(groupDir, 'broker.log'), redact(broker.logLines().join('\n') + '\n')).catch(
          () => undefined,
        );
        await broker.stop().catch(() => undefined);
      }
      if (brokerWork) await rm(brokerWork, { recursive: true, force: true }).catch(() => undefined);
    }
  };

  const runCell = async (
    p: CellPlan,
    rv: ResolvedVariant,
    pki: PkiBundle,
    broker: BrokerHandle,
    observer: Observer,
    ledger: BrokerLedger,
    groupDir: string,
    setupMs: number,
  ): Promise<Cell> => {
    const cellDir = path.join(runDir, 'cells', safeName(p.key));
    const timeoutMs = Math.round(
      (p.expectation?.timeoutMs ?? p.loaded.scenario.timeoutMs ?? o.defaultTimeoutMs) * p.board.timeoutMultiplier,
    );
    const maxErrorRetries = o.retries;
    const maxFailRetries = p.loaded.scenario.retries ?? 0;
    const started = Date.now();
    o.progress.start(p.key, p.id);
    let attempts = 0;
    let last:
      | { attempt: Attempt; status: Cell['status']; failures: string[]; matched: number[]; brokerLog: string[] }
      | undefined;
    let sawBad = false;
    let aborted = false;
    for (;;) {
      attempts++;
      if (cleanup.interrupted) {
        aborted = true;
        break;
      }
      // This attempt's time on the shared broker and the client ids it uses: its evidence (see attribution.ts).
      const stay = ledger.enter(p.key, { learns: p.target === 'hardware' });
      const env: CellEnv = {
        plan: p,
        rv,
        pki,
        broker,
        clients: stay,
        cellDir,
        paths: o.paths,
        cleanup,
        signal: cleanup.signal,
        timeoutMs,
        sandbox: o.sandbox,
        secret: addSecret,
        brokerIp: p.target === 'hardware' ? (o.hardwareBrokerIp ?? '127.0.0.1') : '127.0.0.1',
      };
      let attempt: Attempt;
      let brokerLog: string[];
      let verdict: ReturnType<typeof evaluate>;
      try {
        try {
          attempt =
            p.target === 'host'
              ? await runControlCell(env)
              : p.target === 'hardware'
                ? o.hardware
                  ? await o.hardware(env)
                  : {
                      outcome: { kind: 'none' },
                      serial: [],
                      infraError: 'no hardware lab configured (rig.lab.yaml)',
                      timings: {},
                    }
                : await runTwinCell(env);
        } catch (e) {
          if (e instanceof AttemptAborted) {
            aborted = true;
            break;
          }
          // The hardware path says whether a retry can help and keeps the tool's own words for the report.
          const hw = e instanceof TargetError ? e : undefined;
          const tail = hw?.toolMessage ? hw.toolMessage.split('\n').slice(-4).join(' | ') : '';
          const toolWords = tail && !(e as Error).message.includes(tail.split(' | ')[0]!) ? `: ${tail}` : '';
          attempt = {
            outcome: { kind: 'none' },
            serial: [],
            infraError: `${(e as Error).message}${toolWords}`,
            timings: {},
            ...(hw ? { retryable: hw.retryable } : {}),
          };
        }
        brokerLog = stay.brokerLog();
        const messages = p.expectation?.messages?.length ? stay.messages() : { counted: [], unattributed: [] };
        verdict = evaluate(p.expectation ?? {}, {
          outcome: attempt.outcome,
          serial: attempt.serial,
          brokerLog,
          messages: messages.counted,
          unattributed: messages.unattributed,
        });
      } finally {
        stay.leave();
      }
      if (observer.error && p.expectation?.messages?.length) verdict.failures.push(observer.error);
      const brokerDead = !(await broker.alive());
      const expectedKind = p.expectation?.kind;
      let status: Cell['status'];
      let failures = verdict.failures;
      if (brokerDead) {
        // Whatever the board saw, a broker that died mid-cell makes this the rig's failure, not the board's.
        status = 'error';
        failures = [`broker died during the cell: ${broker.logLines().slice(-3).join(' | ') || 'no log'}`];
        last = { attempt, status, failures, matched: verdict.matchedLines, brokerLog };
        break;
      } else if (attempt.infraError) {
        status = 'error';
        failures = [attempt.infraError];
      } else if (
        (attempt.outcome.kind === 'timeout' || attempt.outcome.kind === 'crash') &&
        expectedKind !== attempt.outcome.kind
      ) {
        // A hung or crashed target is the rig's problem to report, not an answer to the scenario's question.
        status = 'error';
        failures = [`${attempt.outcome.kind}: ${attempt.outcome.detail ?? ''}`.trim(), ...verdict.failures];
      } else status = verdict.ok ? 'pass' : 'fail';
      last = { attempt, status, failures, matched: verdict.matchedLines, brokerLog };
      if (status === 'pass') break;
      sawBad = true;
      const retriesLeft =
        status === 'error' ? attempt.retryable !== false && attempts <= maxErrorRetries : attempts <= maxFailRetries;
      if (!retriesLeft) break;
      o.progress.note(p.key, `retry ${attempts}`);
    }
    await mkdir(cellDir, { recursive: true });
    const serialFile = path.join(cellDir, 'serial.log');
    const serialText = last?.attempt.serial.join('\n') ?? '';
    await writeFile(serialFile, redact(serialText ? `${serialText}\n` : ''));
    // Whatever else the target left in its folder (facts, hardware notes) is uploaded too.
    await redactFolder(cellDir, redact);
    // The watchdog stopping a cell is the rig's error even after a finished attempt; Ctrl-C keeps what finished.
    const stop = aborted && (!last || cleanup.stoppedBy === 'watchdog') ? stopped() : undefined;
    const status: Cell['status'] = stop
      ? stop.status
      : !last
        ? 'skip'
        : last.status === 'pass' && sawBad
          ? 'flaky'
          : last.status;
    const failures = stop?.status === 'error' ? [stop.reason, ...(last?.failures ?? [])] : (last?.failures ?? []);
    const reason = stop ? stop.reason : status !== 'pass' ? failures[0] : undefined;
    const cell: Cell = {
      ...baseCell(p),
      status,
      outcome: last?.attempt.outcome ?? { kind: 'none' },
      ...(p.expectation ? { expected: stripUndefined(p.expectation) } : {}),
      ...(reason ? { reason } : {}),
      failures,
      durationMs: Date.now() - started,
      attempts,
      serialLog: path.relative(runDir, serialFile),
      brokerLog: path.relative(runDir, path.join(groupDir, 'broker.log')),
      matchedLines: last?.matched ?? [],
      certificates: certSummaries(pki),
      timings: { setup: setupMs, ...(last?.attempt.timings ?? {}) },
    };
    const q = status === 'fail' || status === 'error' ? matchQuarantine(o.quarantine, cell.id) : undefined;
    return q ? { ...cell, quarantine: q.issue } : cell;
  };

  try {
    await Promise.all([...groups.values()].map((g) => groupPool.run(() => runGroup(g))));
  } finally {
    const failedStops = await cleanup.stopAll();
    for (const f of failedStops) o.progress.log(`cleanup: ${f}`);
    untrap();
    clearTimeout(watchdog);
  }

  const versions = await toolVersions();
  const signalled = cleanup.stoppedBy !== undefined && cleanup.stoppedBy !== 'watchdog';
  const results: Results = {
    version: 1,
    run: {
      id: runId,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      rigVersion: rigVersion(),
      host: os.hostname(),
      target: [...new Set(plans.map((p) => p.target))],
      ...(providerUsed ? { broker: providerUsed } : {}),
      versions,
      ...(o.shard ? { shard: `${o.shard.index}/${o.shard.count}` } : {}),
      ...(signalled ? { interrupted: true } : {}),
      args: o.args,
    },
    cells: sortCells(cells),
  };
  const { ms } = await writeReports(runDir, results, {
    ...(o.baseline ? { baseline: o.baseline } : {}),
    redactor: redact,
  });
  if (!o.outDir) await pointLatest(o.paths.reports, runDir);
  // Callers print cells too (the CLI's table): they get what the reports hold.
  return { results: redactDeep(results, redact), runDir, reportMs: ms };
}

function baseCell(p: CellPlan): Pick<Cell, 'id' | 'scenario' | 'variant' | 'board' | 'core' | 'target'> {
  const core = ranCore(p);
  return {
    id: p.id,
    scenario: p.loaded.scenario.id,
    variant: p.variant,
    board: p.board.id,
    ...(core ? { core } : {}),
    target: p.target,
  };
}

/** The core version a cell runs on: pinned, the twin's default, or the one the hardware profile installs. */
export function ranCore(p: Pick<CellPlan, 'core' | 'target' | 'board'>): string | undefined {
  if (p.core) return p.core;
  if (p.target === 'twin') return p.board.twin?.coreVersions[0];
  if (p.target === 'hardware') return p.board.hardware?.core.version;
  return undefined;
}

function stoppedCell(p: CellPlan, why: { status: Cell['status']; reason: string }, durationMs: number): Cell {
  return {
    ...baseCell(p),
    status: why.status,
    outcome: { kind: 'none' },
    reason: why.reason,
    failures: why.status === 'error' ? [why.reason] : [],
    durationMs,
    attempts: 1,
    ...(p.expectation ? { expected: stripUndefined(p.expectation) } : {}),
  };
}

function skipCell(p: CellPlan, reason: string): Cell {
  return {
    ...baseCell(p),
    status: 'skip',
    outcome: { kind: 'none' },
    reason,
    failures: [],
    durationMs: 0,
    attempts: 1,
    ...(p.expectation ? { expected: stripUndefined(p.expectation) } : {}),
  };
}

function sortCells(cells: Cell[]): Cell[] {
  return [...cells].sort((a, b) => a.id.localeCompare(b.id) || a.target.localeCompare(b.target));
}

function stripUndefined(x: object): Record<string, unknown> {
  return JSON.parse(JSON.stringify(x)) as Record<string, unknown>;
}

function certSummaries(pki: PkiBundle): CertSummary[] {
  return Object.values(pki.certs).map((c) => c.summary);
}

/** Secrets of the variant's broker and PKI; what each cell's sketch receives is added by cell-secrets.ts. */
function brokerSecrets(rv: ResolvedVariant): string[] {
  const out: string[] = [];
  if (rv.client.password) out.push(rv.client.password);
  for (const p of Object.values(rv.broker.users ?? {})) out.push(p);
  for (const [k, v] of Object.entries(rv.client.config))
    if (/PASS|KEY|SECRET|TOKEN/i.test(k) && typeof v === 'string') out.push(v);
  for (const [name, c] of Object.entries(rv.pki))
    if (name !== 'verbatim' && c && 'key' in c && c.key?.passphrase) out.push(c.key.passphrase);
  return out;
}

/** Rewrites the text files of a cell folder that hold a secret (small files only: logs, facts, notes). */
async function redactFolder(dir: string, redact: Redactor): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  await Promise.all(
    entries
      .map(async (e) => {
        const file = path.join(dir, e.name);
        if (e.isDirectory()) return redactFolder(file, redact);
        if (!e.isFile() || (await stat(file)).size > 4 * 1024 * 1024) return;
        const text = await readFile(file, 'utf8');
        const clean = redact(text);
        if (clean !== text) await writeFile(file, clean);
      })
      .map((p) => p.catch(() => undefined)),
  );
}

function observerOptions(
  rv: ResolvedVariant,
  pki: PkiBundle,
  broker: BrokerHandle,
): Parameters<typeof Observer.start>[0] {
  const c = rv.client;
  const listener = rv.broker.listeners?.find((l) => l.port === c.port);
  const cert = c.cert ? pki.certs[c.cert] : undefined;
  return {
    host: broker.host,
    port: broker.ports[c.port] ?? c.port,
    tls: listener ? !!listener.tls : true,
    ...(cert
      ? { certFile: cert.crt, ...((cert.keyPlain ?? cert.key) ? { keyFile: cert.keyPlain ?? cert.key } : {}) }
      : {}),
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    topic: c.topic,
  };
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

export function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._@-]+/g, '_');
}

async function pointLatest(reportsDir: string, runDir: string): Promise<void> {
  const latest = path.join(reportsDir, 'latest');
  await rm(latest, { force: true, recursive: false }).catch(() => undefined);
  await symlink(path.relative(reportsDir, runDir), latest).catch(() => undefined);
}
