// Feeds the loader 1,000 mutated scenario files: each must load or fail with a positioned FormatError.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { FormatError } from '../../rig/errors.ts';
import { projectPaths } from '../../rig/project.ts';
import { evaluate } from '../../rig/outcome/expect.ts';
import { makeRedactor, readResults, writeReports } from '../../rig/report/index.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import type { Cell } from '../../rig/results/schema.ts';

/** Small deterministic PRNG (mulberry32) so a failure reproduces from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [
  ':',
  '-',
  '[',
  ']',
  '{',
  '}',
  '"',
  "'",
  '#',
  '&a',
  '*a',
  '!!int',
  '\t',
  '  ',
  '\n',
  'null',
  '~',
  '-1',
  '1e999',
  'true',
  '0x10',
  '{{broker.ip}}',
  '\u0000',
  '\uFFFF',
  '|',
  '>',
  '? ',
  '%YAML 1.2',
  '---',
  '...',
  '<<: *a',
];

function mutate(text: string, r: () => number): string {
  let t = text;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const pos = Math.floor(r() * t.length);
    const op = Math.floor(r() * 6);
    if (op === 0) t = t.slice(0, pos) + t.slice(pos + 1 + Math.floor(r() * 8));
    else if (op === 1) t = t.slice(0, pos) + TOKENS[Math.floor(r() * TOKENS.length)] + t.slice(pos);
    else if (op === 2) {
      const lines = t.split('\n');
      const a = Math.floor(r() * lines.length);
      const b = Math.floor(r() * lines.length);
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      t = lines.join('\n');
    } else if (op === 3) {
      const lines = t.split('\n');
      const a = Math.floor(r() * lines.length);
      lines.splice(a, 0, lines[a]!);
      t = lines.join('\n');
    } else if (op === 4) {
      const lines = t.split('\n');
      const a = Math.floor(r() * lines.length);
      lines[a] = ' '.repeat(Math.floor(r() * 5)) + lines[a]!.trimStart();
      t = lines.join('\n');
    } else t = t.slice(0, pos) + String.fromCharCode(32 + Math.floor(r() * 95)) + t.slice(pos + 1);
  }
  return t;
}

describe('scenario loader fuzz', () => {
  it('1,000 mutated files: each loads or fails with file, line and column; none crashes', function () {
    this.timeout(120_000);
    const file = path.join(projectPaths().scenarios, 'seeds', 'esp8266-san-ip-bad-server-name.yaml');
    const base = readFileSync(file, 'utf8');
    const r = rng(20261122);
    let loaded = 0;
    let rejected = 0;
    for (let i = 0; i < 1000; i++) {
      const text = mutate(base, r);
      try {
        parseScenarioText(text, `mutant-${i}.yaml`);
        loaded++;
      } catch (e) {
        assert.ok(
          e instanceof FormatError,
          `mutant ${i} threw ${(e as Error).name}: ${(e as Error).message}\n---\n${text}`,
        );
        for (const p of e.problems) {
          assert.equal(p.file, `mutant-${i}.yaml`);
          assert.ok(Number.isInteger(p.line) && p.line >= 1, `mutant ${i}: bad line ${p.line}`);
          assert.ok(Number.isInteger(p.column) && p.column >= 1, `mutant ${i}: bad column ${p.column}`);
          assert.ok(p.message.length > 0);
        }
        rejected++;
      }
    }
    console.log(`      fuzz: ${loaded} loaded, ${rejected} rejected with positions`);
    assert.ok(rejected > 500, 'most mutants should be rejected');
  });
});

// What an attacker puts in a scenario (issue 15): oversized values, control characters, keys that are
// JavaScript's own, catastrophic or unsupported patterns, conf lines that load code. Inserted as values.
const HOSTILE = [
  'a'.repeat(300),
  'x'.repeat(70_000),
  '"line\\nplugin /tmp/evil.so"',
  '"tab\\there"',
  '"bell\\u0007"',
  '__proto__: { insecure: true }',
  'constructor: 1',
  'prototype: []',
  '"^(.+)+X$"',
  '"(a|a)*b"',
  '"^(\\\\w+\\\\s?)*$"',
  '"(?=lookahead)"',
  '"(a)\\\\1"',
  '|\n    plugin /tmp/evil.so\n    listener 8883',
  '|\n    auth_plugin /x.so',
  '"persistence_file ../../etc/x"',
  '[' + '"a",'.repeat(500) + '"b"]',
];

function hostile(text: string, r: () => number): string {
  const lines = text.split('\n');
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const a = Math.floor(r() * lines.length);
    const m = /^(\s*(?:- )?[A-Za-z0-9_.{}@*-]+:\s*)(.*)$/.exec(lines[a]!);
    const token = HOSTILE[Math.floor(r() * HOSTILE.length)]!;
    if (m) lines[a] = `${m[1]}${token}`;
    else lines.splice(a, 0, token);
  }
  return lines.join('\n');
}

describe('scenario loader fuzz: hostile values (issue 15 limits)', () => {
  it('600 hostile mutants: each loads or fails with a position; loaded patterns match a long line at once', function () {
    this.timeout(180_000);
    const files = ['esp8266-san-ip-bad-server-name.yaml', 'seed-002-esp8266-mtls-bad-server-name.yaml'];
    const r = rng(20261202);
    let loaded = 0;
    let rejected = 0;
    const line = `${'a'.repeat(3000)} [  2546][E][ssl_client.cpp:37] tail`;
    for (let i = 0; i < 600; i++) {
      const base = readFileSync(path.join(projectPaths().scenarios, 'seeds', files[i % files.length]!), 'utf8');
      const text = hostile(base, r);
      try {
        const s = parseScenarioText(text, `hostile-${i}.yaml`);
        loaded++;
        for (const byBoard of Object.values(s.expect))
          for (const e of Object.values(byBoard))
            evaluate(e, { outcome: { kind: 'none' }, serial: [line, line], brokerLog: [line], messages: [] });
      } catch (e) {
        assert.ok(e instanceof FormatError, `hostile ${i} threw ${(e as Error).name}: ${(e as Error).message}`);
        for (const p of e.problems) {
          assert.equal(p.file, `hostile-${i}.yaml`);
          assert.ok(p.line >= 1 && p.column >= 1, `hostile ${i}: no position`);
          assert.ok(p.message.length > 0 && p.message.length < 8192, `hostile ${i}: message of ${p.message.length}`);
        }
        rejected++;
      }
    }
    console.log(`      fuzz: ${loaded} hostile loaded, ${rejected} rejected with positions`);
    assert.ok(rejected > 300, 'most hostile mutants should be rejected');
  });

  it('60 runs of hostile cell records: results.json is always written and valid', function () {
    this.timeout(120_000);
    const r = rng(15);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rig-fuzz-report-'));
    try {
      for (let i = 0; i < 60; i++) {
        const cells = Array.from({ length: 1 + Math.floor(r() * 4) }, (_, k) => {
          const c: Record<string, unknown> = {
            id: `s/v${k}/esp32#twin`,
            scenario: 's',
            variant: `v${k}`,
            board: 'esp32',
            target: 'twin',
            status: pick(['pass', 'fail', 'error', 'bogus']),
            outcome: { kind: pick(['connected', 'mqtt/not-authorized', '***/x', 'none']), detail: pick(HOSTILE) },
            reason: pick(HOSTILE),
            failures: [pick(HOSTILE)],
            durationMs: pick([1, -1, Number.NaN, 5]),
            attempts: 1,
          };
          return c as unknown as Cell;
        });
        const results = {
          version: 1 as const,
          run: { id: `r${i}`, startedAt: new Date(0).toISOString(), rigVersion: '0', target: ['twin'], versions: {} },
          cells,
        };
        writeReports(dir, results, { redactor: makeRedactor(['mqtt', 'a']) });
        const back = readResults(path.join(dir, 'results.json'));
        assert.equal(back.cells.length, cells.length);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
