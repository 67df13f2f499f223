// Feeds the loader 1,000 mutated scenario files: each must load or fail with a positioned FormatError.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { FormatError } from '../../rig/errors.ts';
import { projectPaths } from '../../rig/project.ts';

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
