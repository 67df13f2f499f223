// After a run of a reproduction made by `rig new --from-forum`: cell by cell, whether it reproduced what the
// poster saw, and where it did not, the poster's line beside the closest line the twin (or broker, or PC client)
// printed. Reads the cells' `expected.posted` and their logs in the run folder.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Cell, Results } from '../results/schema.ts';

/** Words of a line with numbers, addresses and timestamps blanked, for comparing two lines. */
function words(line: string): Set<string> {
  return new Set(
    line
      .toLowerCase()
      .replace(/0x[0-9a-f]+|\d+/g, '#')
      .split(/[^a-z#_-]+/)
      .filter((w) => w.length > 1),
  );
}

function likeness(a: string, b: string): number {
  const x = words(a);
  const y = words(b);
  if (x.size === 0 || y.size === 0) return 0;
  let common = 0;
  for (const w of x) if (y.has(w)) common++;
  return common / Math.max(x.size, y.size);
}

/** The printed line most like the posted one, if any is alike at all. */
export function closest(posted: string, printed: string[]): string | undefined {
  let best: { line: string; score: number } | undefined;
  for (const line of printed) {
    const score = likeness(posted, line);
    if (score > 0.2 && (!best || score > best.score)) best = { line, score };
  }
  return best?.line;
}

function read(runDir: string, rel: string | undefined): string[] {
  if (!rel) return [];
  try {
    return readFileSync(path.join(runDir, rel), 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

const BROKERISH = /^\d{9,10}: |New connection from|OpenSSL Error|Socket error on client|disconnected|CONNACK/;

function cellLines(c: Cell, runDir: string, posted: string[]): string[] {
  const serial = read(runDir, c.serialLog);
  const broker = read(runDir, c.brokerLog).map((l) => l.replace(/^\d+: /, ''));
  const out: string[] = [];
  const pool = (p: string) => (BROKERISH.test(p) ? broker : serial);
  // A reproduced cell shows the lines that matched best; one that differs shows the poster's lines in order.
  const ranked = posted
    .map((p, i) => ({ p, i, score: likeness(p, closest(p, pool(p)) ?? '') }))
    .sort((a, b) => (c.status === 'fail' ? a.i - b.i : b.score - a.score || a.i - b.i))
    .slice(0, 4)
    .sort((a, b) => a.i - b.i);
  for (const { p } of ranked) {
    const fromBroker = BROKERISH.test(p);
    const found = closest(p, pool(p));
    const who = c.target === 'host' ? 'PC' : fromBroker ? 'broker' : 'twin';
    out.push(`      poster: ${p}`);
    out.push(
      c.target === 'host'
        ? `      ${who}:     ${c.outcome.kind}${c.outcome.code ? ` ${c.outcome.code}` : ''}`
        : `      ${who}:${' '.repeat(Math.max(1, 7 - who.length))}${found ?? '(no line like it)'}`,
    );
  }
  return out;
}

/** The report's lines; empty when no cell of the run carries lines a poster saw. */
export function firstRunReport(results: Results, runDir: string): string[] {
  const cells = results.cells.filter((c) => Array.isArray((c.expected as { posted?: unknown } | undefined)?.posted));
  if (cells.length === 0) return [];
  const out = ['', 'Against the post (what the poster saw, and the closest line this run printed):'];
  for (const c of cells) {
    const posted = (c.expected as { posted: string[] }).posted;
    const got = `${c.outcome.kind}${c.outcome.code ? ` ${c.outcome.code}` : ''}`;
    if (c.status === 'skip') {
      out.push(`  - not run       ${c.id}: ${c.reason ?? 'skipped'}`);
      continue;
    }
    const ok = c.status === 'pass' || c.status === 'flaky';
    out.push(`  ${ok ? '✔ reproduced' : '✘ differs   '}  ${c.id}  ${ok ? got : (c.failures[0] ?? c.reason ?? got)}`);
    out.push(...cellLines(c, runDir, posted));
  }
  return out;
}
