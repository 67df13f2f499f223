// Per-cell log files (serial, broker) as the reports see them: read once, redacted, the file in the
// run folder rewritten redacted (it is the copy that gets uploaded as an artifact), and kept in memory
// as head + tail so a runaway serial log cannot blow up the reports or the process.
import { readFileNoFollowSync, writeFileNoFollowSync } from '../sandbox/index.ts';
import { resolve, sep } from 'node:path';
import type { Redactor } from './redact.ts';

export interface LogText {
  path: string;
  /** Lines of the whole file. */
  totalLines: number;
  /** First lines (the whole file when not truncated). */
  head: string[];
  /** Last lines when the middle was dropped; empty otherwise. */
  tail: string[];
  /** 1-based line number of tail[0]. */
  tailStart: number;
  bytes: number;
}

export interface LogStore {
  get(rel: string | undefined): LogText | undefined;
  /** Relative paths that were referenced but absent. */
  missing(): string[];
}

export const KEEP_HEAD_CHARS = 64 * 1024;
/** The most of one log file read (the rest is not shown; the file in the run folder keeps it). */
export const MAX_LOG_READ = 64 * 1024 * 1024;
export const KEEP_TAIL_CHARS = 448 * 1024;

/** Resolves a path from results.json inside the run folder; refuses paths that leave it. */
export function resolveInRun(runDir: string, rel: string, field: string): string {
  const root = resolve(runDir);
  const abs = resolve(root, rel);
  if (abs !== root && !abs.startsWith(root + sep)) {
    throw new Error(`${field}: log path "${rel}" leaves the run folder ${root}`);
  }
  return abs;
}

function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

export function toLogText(path: string, text: string): LogText {
  if (text.length <= KEEP_HEAD_CHARS + KEEP_TAIL_CHARS) {
    const head = splitLines(text);
    return {
      path,
      totalLines: head.length,
      head,
      tail: [],
      tailStart: head.length + 1,
      bytes: Buffer.byteLength(text),
    };
  }
  const headEnd = text.lastIndexOf('\n', KEEP_HEAD_CHARS) + 1;
  const tailBegin = text.indexOf('\n', text.length - KEEP_TAIL_CHARS) + 1;
  const head = splitLines(text.slice(0, headEnd));
  const tail = splitLines(text.slice(tailBegin));
  const before = countNewlines(text.slice(0, tailBegin));
  return { path, totalLines: before + tail.length, head, tail, tailStart: before + 1, bytes: Buffer.byteLength(text) };
}

export function lastLines(log: LogText, n: number): { lines: string[]; firstNumber: number } {
  const src = log.tail.length > 0 ? log.tail : log.head;
  const start = log.tail.length > 0 ? log.tailStart : 1;
  const from = Math.max(0, src.length - n);
  return { lines: src.slice(from), firstNumber: start + from };
}

export function makeLogStore(runDir: string, redact: Redactor, opts: { rewrite?: boolean } = {}): LogStore {
  const cache = new Map<string, LogText | undefined>();
  const missing: string[] = [];
  return {
    get(rel) {
      if (rel === undefined) return undefined;
      if (cache.has(rel)) return cache.get(rel);
      const abs = resolveInRun(runDir, rel, 'log');
      let log: LogText | undefined;
      // Never through a link (a target may have had a hand in its folder); a huge log keeps its head and tail.
      let got: ReturnType<typeof readFileNoFollowSync>;
      try {
        got = readFileNoFollowSync(abs, MAX_LOG_READ);
      } catch (e) {
        // A link or a device in its place: the reports say the log is not there, and why.
        missing.push(`${rel} (${(e as Error).message})`);
        cache.set(rel, undefined);
        return undefined;
      }
      if (got) {
        const raw = got.text;
        const clean = redact(raw);
        if (opts.rewrite !== false && clean !== raw && !got.truncated) writeFileNoFollowSync(abs, clean);
        log = toLogText(rel, clean);
      } else {
        missing.push(rel);
      }
      cache.set(rel, log);
      return log;
    },
    missing: () => [...missing],
  };
}
