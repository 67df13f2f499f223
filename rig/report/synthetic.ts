// Deterministic fake runs of any size, for report tests and the bench: realistic mix of statuses,
// twin and hardware cells for the same ids, codes per TLS stack, optional long reasons and log files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cell, CellStatus, Results } from '../results/schema.ts';

export interface SyntheticOptions {
  /** Reasons of ~600 characters, to stress the summary's size budget. */
  longReasons?: boolean;
  /** Give each cell serialLog/brokerLog paths (see writeSyntheticRun for the files). */
  withLogs?: boolean;
  seed?: number;
  runId?: string;
}

const BOARDS = [
  { board: 'esp32-devkit', stack: 'mbedtls', code: 'mbedtls:-9984', kind: 'tls/name-mismatch' as const },
  { board: 'esp8266-huzzah', stack: 'bearssl', code: 'bearssl:56', kind: 'tls/name-mismatch' as const },
  { board: 'mkr1000', stack: 'bearssl', code: 'pubsubclient:-2', kind: 'tcp/refused' as const },
];

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x1_0000_0000;
  };
}

export function logFileName(id: string): string {
  return `logs/${id.replace(/[^A-Za-z0-9._-]+/g, '_')}.serial.log`;
}

export function syntheticResults(n: number, opts: SyntheticOptions = {}): Results {
  const rnd = lcg(opts.seed ?? 42);
  const cells: Cell[] = [];
  for (let i = 0; i < n; i++) {
    const b = BOARDS[i % 3];
    const target = Math.floor(i / 3) % 2 === 0 ? 'twin' : 'hardware';
    const row = Math.floor(i / 6);
    const scenario = `scn-${String(Math.floor(row / 2)).padStart(4, '0')}`;
    const variant = row % 2 === 0 ? 'broken' : 'fixed';
    const id = `${scenario}/${variant}/${b.board}#${target}`;
    const x = rnd();
    let status: CellStatus = 'pass';
    let quarantine: string | undefined;
    if (x < 0.12) status = 'fail';
    else if (x < 0.17) status = 'error';
    else if (x < 0.25) status = 'skip';
    else if (x < 0.28) status = 'flaky';
    else if (x < 0.3) {
      status = 'fail';
      quarantine = `https://github.com/example/rig/issues/${100 + (i % 50)}`;
    }
    const bad = status === 'fail' || status === 'error';
    const reasonBase =
      status === 'fail'
        ? `expected connected, got ${b.code}`
        : status === 'error'
          ? 'serial port vanished during handshake'
          : status === 'skip'
            ? 'needs hardware: WINC1500 TLS offload'
            : undefined;
    const reason =
      reasonBase && opts.longReasons
        ? `${reasonBase}: ${'the handshake failed while verifying the server certificate chain against the configured trust anchors; '.repeat(6)}`
        : reasonBase;
    cells.push({
      id,
      scenario,
      variant,
      board: b.board,
      target,
      status,
      quarantine,
      outcome: bad
        ? {
            kind: status === 'error' ? 'crash' : b.kind,
            code: status === 'error' ? undefined : b.code,
            facts: [b.code],
          }
        : status === 'skip'
          ? { kind: 'none' }
          : { kind: 'connected' },
      expected: { kind: 'connected' },
      reason,
      failures: status === 'fail' ? [`serial: /MQTT connected/ not seen within 20000 ms`] : [],
      durationMs: Math.round(500 + rnd() * 8000),
      attempts: status === 'flaky' ? 2 : 1,
      serialLog: opts.withLogs && status !== 'skip' ? logFileName(id) : undefined,
      brokerLog: opts.withLogs && status !== 'skip' ? 'logs/broker.log' : undefined,
      matchedLines: status === 'skip' ? undefined : [3],
      timings: { build: 1200, broker: 80, handshake: Math.round(rnd() * 900) },
    });
  }
  return {
    version: 1,
    run: {
      id: opts.runId ?? 'synthetic-run',
      startedAt: '2026-11-22T08:00:00.000Z',
      finishedAt: '2026-11-22T08:42:00.000Z',
      rigVersion: '0.1.0',
      host: 'bench',
      target: ['twin', 'hardware'],
      broker: { provider: 'local', version: '2.0.11' },
      versions: { 'esp32:esp32': '2.0.17', 'esp8266:esp8266': '3.1.2', mbedtls: '2.28.3', bearssl: '0.6' },
    },
    cells,
  };
}

/** Writes a synthetic run folder with its log files and returns the results (not yet written). */
export function writeSyntheticRun(dir: string, n: number, opts: SyntheticOptions = {}): Results {
  const results = syntheticResults(n, { ...opts, withLogs: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
  writeFileSync(
    join(dir, 'logs/broker.log'),
    '1700000000: mosquitto version 2.0.11 starting\n1700000001: Opening ipv4 listen socket on port 8883.\n',
  );
  for (const c of results.cells) {
    if (!c.serialLog) continue;
    const lines = ['ets Jun  8 2016 00:22:57', 'rst:0x1 (POWERON_RESET),boot:0x13', 'WiFi connected, IP 10.0.0.42'];
    for (let k = 0; k < 30; k++) lines.push(`[${1000 + k * 37}][D][ssl_client.cpp:${100 + k}] handshake step ${k}`);
    lines.push(
      c.status === 'fail'
        ? `[E][ssl_client.cpp:37] _handle_error(): [start_ssl_client():273]: (-9984) X509 - Certificate verification failed`
        : 'MQTT connected',
    );
    writeFileSync(join(dir, c.serialLog), lines.join('\n') + '\n');
  }
  return results;
}

/**
 * A run shaped like the full twin matrix (≈168 cells over ≈98 scenario/variant rows and five boards, a quarter
 * skipped as hardware only) with a few failures and one error on scenarios that sort last: the case where a
 * failure is hardest to find. Writes serial logs when `dir` is given.
 */
export function matrixLikeRun(dir?: string): Results {
  const boards = ['esp32', 'esp8266', 'mkr1000', 'control', 'mosquitto-cli'];
  const variants = ['broken', 'fixed', 'fixed-by-name', 'ou-only'];
  const cells: Cell[] = [];
  for (let s = 0; s < 29; s++) {
    const scenario = `${String.fromCharCode(97 + Math.floor(s / 2))}${s % 2 ? '-esp8266' : '-esp32'}-scenario-${s}`;
    for (const variant of variants.slice(0, 2 + (s % 3) + (s % 7 === 0 ? 1 : 0))) {
      for (const board of boards.filter((_, b) => (s + b) % 3 !== 0 || b === 3).slice(0, 2)) {
        const i = cells.length;
        const skip = i % 4 === 3;
        const failing =
          s === 28 && variant === 'broken' ? 'fail' : s === 27 && variant === 'fixed' ? 'error' : undefined;
        const status: CellStatus = failing ?? (skip ? 'skip' : 'pass');
        const id = `${scenario}/${variant}/${board}`;
        cells.push({
          id,
          scenario,
          variant,
          board,
          target: board === 'control' || board === 'mosquitto-cli' ? 'host' : 'twin',
          status,
          outcome:
            status === 'fail' ? { kind: 'connected' } : status === 'pass' ? { kind: 'connected' } : { kind: 'none' },
          expected: status === 'fail' ? { kind: 'tls/name-mismatch', code: 'bearssl:56' } : { kind: 'connected' },
          ...(status === 'fail'
            ? {
                reason: 'expected kind tls/name-mismatch, got connected',
                failures: ['expected kind tls/name-mismatch, got connected'],
              }
            : status === 'error'
              ? {
                  reason: 'twin build failed: sketch.ino:12: error: expected ; before }',
                  failures: ['twin build failed'],
                }
              : status === 'skip'
                ? { reason: 'hardware only: WINC1500 TLS offload', failures: [] }
                : { failures: [] }),
          durationMs: 800 + (i % 9) * 300,
          attempts: 1,
          ...(status !== 'skip' && dir
            ? { serialLog: logFileName(id), matchedLines: status === 'pass' ? [2] : [] }
            : {}),
          title: `Scenario ${s}: what the forum post reported`,
          links: [`https://forum.arduino.cc/t/example/${1000 + s}`],
          location: {
            file: `scenarios/forum/${scenario}.yaml`,
            line: 40 + (i % 30),
            column: 7,
            field: `expect.${variant}.${board}.kind`,
          },
          rerun: `npx rig run ${scenario} --filter '^${id}$' --broker local`,
        });
      }
    }
  }
  const results: Results = {
    version: 1,
    run: {
      id: 'matrix-like',
      startedAt: '2026-11-22T02:00:00.000Z',
      finishedAt: '2026-11-22T02:09:00.000Z',
      rigVersion: '0.1.0',
      host: 'ci',
      target: ['twin', 'host'],
      broker: { provider: 'local', version: '2.0.11' },
      versions: { mbedtls: '2.28.3-1', bearssl: '0.6-2', mosquitto: '2.0.11-1.2' },
      commit: '0123456789abcdef0123456789abcdef01234567',
    },
    cells,
  };
  if (dir) {
    mkdirSync(join(dir, 'logs'), { recursive: true });
    for (const c of cells) {
      if (!c.serialLog) continue;
      const lines = ['rst:0x1 (POWERON_RESET)', 'WiFi connected', 'Attempting MQTT connection...'];
      lines.push(c.status === 'fail' ? 'connected' : c.status === 'error' ? '' : 'connected', 'published rig/up hello');
      writeFileSync(join(dir, c.serialLog), lines.join('\n') + '\n');
    }
  }
  return results;
}
