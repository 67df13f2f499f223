// Collects a broker's log line by line (from a pipe or a container stream), keeps every line with the
// time it arrived, mirrors it to a file, parses events and lets callers wait for a line.
import { createWriteStream, type WriteStream } from 'node:fs';
import { parseLogLine } from './log.ts';
import type { BrokerEvent } from './types.ts';

export class LogCapture {
  private readonly lines: { at: number; line: string }[] = [];
  private readonly evts: BrokerEvent[] = [];
  private readonly listeners = new Set<(line: string) => void>();
  private readonly out: WriteStream;
  private partial = '';

  constructor(
    readonly logFile: string,
    readonly startedAt: number = Date.now(),
  ) {
    this.out = createWriteStream(logFile, { flags: 'a' });
  }

  /** Feeds a chunk of text; complete lines are recorded, a trailing partial line waits for more. */
  push(chunk: string): void {
    const text = this.partial + chunk;
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    // One write per chunk, not per line: a chunk of a busy broker holds dozens.
    let out = '';
    for (const p of parts) out += this.record(p.replace(/\r$/, ''));
    if (out) this.out.write(out);
  }

  /** Flushes a trailing partial line (the stream ended). */
  end(): void {
    if (this.partial) this.addLine(this.partial);
    this.partial = '';
  }

  addLine(line: string): void {
    const text = this.record(line);
    if (text) this.out.write(text);
  }

  /** Keeps a line, parses it, tells the listeners; returns what the file gets. */
  private record(line: string): string {
    if (line === '') return '';
    const at = Date.now() - this.startedAt;
    this.lines.push({ at, line });
    const ev = parseLogLine(line, at);
    if (ev) this.evts.push(ev);
    for (const cb of [...this.listeners]) cb(line);
    return `${line}\n`;
  }

  logLines(): string[] {
    return this.lines.map((l) => l.line);
  }
  timedLines(): { at: number; line: string }[] {
    return this.lines.map((l) => ({ ...l }));
  }
  events(): BrokerEvent[] {
    return this.evts.map((e) => ({ ...e }));
  }
  tail(n: number): string[] {
    return this.logLines().slice(-n);
  }

  onLine(cb: (line: string) => void): () => void {
    this.listeners.add(cb);
    return () => {
      this.listeners.delete(cb);
    };
  }

  /** First line (already seen or future) matching `re`; rejects after timeoutMs with the log tail. */
  waitForLog(re: RegExp, timeoutMs: number): Promise<string> {
    const seen = this.lines.find((l) => re.test(l.line));
    if (seen) return Promise.resolve(seen.line);
    return new Promise((resolve, reject) => {
      const off = this.onLine((line) => {
        if (re.test(line)) {
          clearTimeout(timer);
          off();
          resolve(line);
        }
      });
      const timer = setTimeout(() => {
        off();
        reject(
          new Error(
            `broker log: no line matching ${re} within ${timeoutMs} ms; last lines:\n  ${this.tail(8).join('\n  ')}`,
          ),
        );
      }, timeoutMs);
      // The broker process keeps the rig alive while it matters; a wait nobody needs any more must not.
      timer.unref();
    });
  }

  close(): Promise<void> {
    this.end();
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}
