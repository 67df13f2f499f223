// The runner end to end on real parts: ESP32 twin (g++ + mbedTLS), local Mosquitto, openssl PKI, a real pty.
// One test per cell status, plus Ctrl-C cleanup checked by process listing.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadBoards } from '../../rig/boards/load.ts';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { projectPaths } from '../../rig/project.ts';
import { runMatrix, type RunOutcome } from '../../rig/runner/run.ts';
import { exitCodeFor } from '../../rig/cli/exit.ts';
import { aliveAfter, descendants } from '../helpers/procs.ts';
import { createProgress } from '../../rig/runner/progress.ts';
import type { Cell } from '../../rig/results/schema.ts';
import { runQuiet } from '../helpers/matrix.ts';

const paths = projectPaths();
const fixtures = path.join(paths.root, 'test', 'fixtures', 'scenarios');

/** Processes whose command line, working folder or environment mentions the pattern (twins get their world by env). */
function psLines(pattern: RegExp): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,ppid,args'], { encoding: 'utf8' });
  return out
    .split('\n')
    .slice(1)
    .filter((l) => {
      if (/\bps -eo\b/.test(l) || !l.trim()) return false;
      const pid = l.trim().split(/\s+/)[0]!;
      if (Number(pid) === process.pid) return false;
      let extra = '';
      try {
        extra += readFileSync(`/proc/${pid}/environ`, 'latin1');
      } catch {
        /* gone or not ours */
      }
      try {
        extra += ` ${readlinkSync(`/proc/${pid}/cwd`)}`;
      } catch {
        /* gone */
      }
      return pattern.test(l) || pattern.test(extra);
    });
}

describe('runner: cell statuses on the ESP32 twin', function () {
  this.timeout(300_000);
  let tmp: string;
  let run: RunOutcome;
  const cell = (variant: string): Cell => {
    const c = run.results.cells.find((x) => x.variant === variant);
    assert.ok(c, `no cell for ${variant}`);
    return c;
  };

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-run-test-'));
    const flag = path.join(tmp, 'flaky-flag');
    const file = path.join(fixtures, 'status-paths.yaml');
    const text = readFileSync(file, 'utf8').replace('{{flag.file}}', flag);
    const scenario = parseScenarioText(text, file);
    run = await runQuiet({
      scenarios: [{ file, scenario }],
      retries: 1,
      outDir: path.join(tmp, 'run'),
      paths,
    });
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('pass: connects and its publish reaches the observer', () => {
    const c = cell('pass');
    assert.equal(c.status, 'pass', JSON.stringify(c));
    assert.equal(c.outcome.kind, 'connected');
  });
  it('fail: an expectation not met names what was expected and what came', () => {
    const c = cell('fail');
    assert.equal(c.status, 'fail');
    assert.match(c.reason ?? '', /expected kind tls\/untrusted, got connected/);
  });
  it('error: a hung sketch is killed at its timeout and reported with its last lines', () => {
    const c = cell('hang');
    assert.equal(c.status, 'error');
    assert.equal(c.outcome.kind, 'no-outcome', "the rig's cell timeout, not a timeout the board reported");
    assert.match(c.outcome.detail ?? '', /booted, now hanging/);
    assert.equal(c.attempts, 2, 'errors are retried once');
  });
  it('error: a crashing sketch is a crash with the signal', () => {
    const c = cell('crash');
    assert.equal(c.status, 'error');
    assert.equal(c.outcome.kind, 'crash');
    assert.match(c.outcome.detail ?? '', /SIGSEGV/);
  });
  it('flaky: an error on the first attempt and a pass on the retry', () => {
    const c = cell('flaky');
    assert.equal(c.status, 'flaky');
    assert.equal(c.attempts, 2);
  });
  it('skip: a hardware-only expectation is skipped on twins with its reason', () => {
    const c = cell('skip');
    assert.equal(c.status, 'skip');
    assert.match(c.reason ?? '', /hardware only: needs the WINC1500 firmware/);
  });
  it('writes every report and a serial log per cell; exit code says "failed"', () => {
    for (const f of ['results.json', 'junit.xml', 'summary.md', 'report.html'])
      assert.ok(existsSync(path.join(run.runDir, f)), f);
    assert.match(readFileSync(path.join(run.runDir, cell('hang').serialLog!), 'utf8'), /booted, now hanging/);
    assert.equal(exitCodeFor(run.results), 1);
  });
  it('leaves no twin or mosquitto process behind', () => {
    assert.deepEqual(psLines(new RegExp(tmp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))), []);
  });
});

describe('runner: quarantine', function () {
  this.timeout(120_000);
  it('a quarantined failure is reported with its issue and does not fail the run', async function () {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-quarantine-'));
    const file = path.join(fixtures, 'status-paths.yaml');
    const scenario = parseScenarioText(readFileSync(file, 'utf8'), file);
    const r = await runQuiet({
      scenarios: [{ file, scenario }],
      filter: /\/(fail|pass)\//,
      outDir: path.join(tmp, 'run'),
      sandbox: true,
      quarantine: [{ cells: 'status-paths/fail/*', issue: 'https://example.invalid/issues/7' }],
      paths,
    });
    const fail = r.results.cells.find((c) => c.variant === 'fail')!;
    assert.equal(fail.status, 'fail');
    assert.equal(fail.quarantine, 'https://example.invalid/issues/7');
    assert.equal(r.results.cells.find((c) => c.variant === 'pass')!.quarantine, undefined);
    assert.equal(exitCodeFor(r.results), 0);
    rmSync(tmp, { recursive: true, force: true });
  });
});

describe('runner: a broker that dies', function () {
  this.timeout(120_000);
  it('makes the cell an infrastructure error naming the broker, and the run still ends', async function () {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-broker-dies-'));
    const file = path.join(fixtures, 'status-paths.yaml');
    const scenario = parseScenarioText(readFileSync(file, 'utf8'), file);
    const killer = setInterval(() => {
      const m = descendants(process.pid).find((k) => /mosquitto -c/.test(k.args));
      if (m) {
        process.kill(m.pid, 'SIGKILL');
        clearInterval(killer);
      }
    }, 100);
    const r = await runQuiet({
      scenarios: [{ file, scenario }],
      filter: /\/hang\//,
      jobs: 1,
      outDir: path.join(tmp, 'run'),
      paths,
    });
    clearInterval(killer);
    const c = r.results.cells[0]!;
    assert.equal(c.status, 'error');
    assert.match(c.reason ?? '', /broker died during the cell/);
    assert.equal(exitCodeFor(r.results), 3);
    rmSync(tmp, { recursive: true, force: true });
  });
});

describe('runner: Ctrl-C', function () {
  this.timeout(180_000);
  it('SIGINT stops brokers and twins, writes what finished and exits 130', async function () {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-sigint-'));
    const scenarioFile = path.join(tmp, 'hang.yaml');
    writeFileSync(
      scenarioFile,
      readFileSync(path.join(fixtures, 'status-paths.yaml'), 'utf8')
        .replace(/sketch: \.\.\/sketches\//g, `sketch: ${path.join(paths.root, 'test/fixtures/sketches')}/`)
        .replace('timeoutMs: 3000', 'timeoutMs: 120000'),
    );
    const child = spawn(
      process.execPath,
      [
        path.join(paths.root, 'bin/rig.mjs'),
        'run',
        scenarioFile,
        '--filter',
        '/(hang|pass)/',
        '--broker',
        'local',
        '--out',
        path.join(tmp, 'run'),
        '--no-sandbox',
        '--jobs',
        '2',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    // Wait until the broker and the hung twin run under the rig, then interrupt; remember their pids, since
    // once the rig is gone survivors would be re-parented and no longer look like its children.
    const deadline = Date.now() + 120_000;
    let kids: { pid: number; args: string }[] = [];
    while (Date.now() < deadline) {
      kids = descendants(child.pid!);
      if (kids.some((k) => /mosquitto/.test(k.args)) && /status-paths\/hang\/esp32/.test(out) && kids.length >= 2)
        break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(
      kids.some((k) => /mosquitto/.test(k.args)),
      `broker never started:\n${out}`,
    );
    await new Promise((r) => setTimeout(r, 1500));
    kids = descendants(child.pid!);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 130, out);
    assert.deepEqual(await aliveAfter(kids), [], 'processes left behind');
    const results = JSON.parse(readFileSync(path.join(tmp, 'run', 'results.json'), 'utf8')) as {
      run: { interrupted?: boolean };
      cells: Cell[];
    };
    assert.equal(results.run.interrupted, true);
    rmSync(tmp, { recursive: true, force: true });
  });
});

describe('runner: --watchdog', function () {
  this.timeout(300_000);
  it('stops the run: cells it stopped are errors naming the watchdog, finished cells keep theirs, exit 3', async function () {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-watchdog-'));
    const file = path.join(fixtures, 'status-paths.yaml');
    // The hung sketch would be given two minutes; the watchdog ends the run long before.
    const scenario = parseScenarioText(
      readFileSync(file, 'utf8').replace('timeoutMs: 3000', 'timeoutMs: 120000'),
      file,
    );
    const common = {
      scenarios: [{ file, scenario }],
      boardProfiles: await loadBoards(paths.boards),
      targets: ['twin' as const],
      jobs: 2,
      retries: 0,
      broker: 'local' as const,
      quarantine: [],
      sandbox: false,
      paths,
      defaultTimeoutMs: 20_000,
      args: [],
    };
    // A warm build cache, so the passing cell surely finishes inside the watchdog.
    await runMatrix({
      ...common,
      filter: /\/pass\//,
      outDir: path.join(tmp, 'warm'),
      progress: createProgress(process.stderr, { quiet: true }),
    });
    const said: string[] = [];
    const r = await runMatrix({
      ...common,
      filter: /\/(pass|hang)\//,
      outDir: path.join(tmp, 'run'),
      watchdogMs: 8_000,
      progress: {
        start() {},
        note() {},
        finish() {},
        log: (t) => {
          said.push(t);
        },
        close() {},
      },
    });
    const byVariant = Object.fromEntries(r.results.cells.map((c) => [c.variant, c]));
    assert.equal(byVariant.pass?.status, 'pass', JSON.stringify(byVariant.pass));
    assert.equal(byVariant.hang?.status, 'error', JSON.stringify(byVariant.hang));
    assert.match(byVariant.hang?.reason ?? '', /stopped by the watchdog: the run exceeded --watchdog 8000 ms/);
    assert.equal(r.results.run.interrupted, undefined, 'not a Ctrl-C');
    assert.equal(exitCodeFor(r.results), 3);
    assert.ok(
      said.some((t) => /^\nwatchdog: the run exceeded --watchdog 8000 ms: stopping/.test(t)),
      said.join('\n'),
    );
    assert.ok(!said.some((t) => /undefined/.test(t)), said.join('\n'));
    assert.match(readFileSync(path.join(r.runDir, 'junit.xml'), 'utf8'), /stopped by the watchdog/);
    assert.deepEqual(
      psLines(new RegExp(tmp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))),
      [],
      'the twin and broker are stopped',
    );
    rmSync(tmp, { recursive: true, force: true });
  });
});
