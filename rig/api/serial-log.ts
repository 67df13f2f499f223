// A board's serial lines as a test reads them: everything since the last start (with a cursor: each expect()
// consumes up to the line it matched, as pytest-embedded's dut.expect does), and the whole history across resets
// for a failing test's output.
import type { LineSource, TargetEnd } from '../target/index.ts';
import { matches } from './match.ts';

const MAX_LINES = 20_000;

export class SerialLog {
  private current: string[] = [];
  private all: string[] = [];
  private cursor = 0;
  private waiters = new Set<() => void>();
  private ended: TargetEnd | undefined;
  private off: (() => void) | undefined;

  /** Follows a started target's lines (those it already has, then each new one). */
  follow(source: LineSource, ended: Promise<TargetEnd>): void {
    this.off?.();
    this.ended = undefined;
    for (const l of source.lines()) this.push(l);
    this.off = source.onLine((l) => this.push(l));
    void ended.then((e) => {
      this.ended = e;
      this.wake();
    });
  }

  /** A reset: the lines so far stay in the history only. */
  restart(): void {
    this.off?.();
    this.off = undefined;
    this.all.push('--- reset ---');
    this.current = [];
    this.cursor = 0;
  }

  lines(): string[] {
    return [...this.current];
  }

  history(): string[] {
    return [...this.all];
  }

  expect(pattern: RegExp | string, timeoutMs: number, label: string): Promise<string> {
    const hit = this.find(pattern);
    if (hit !== undefined) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const fail = (why: string): void => {
        done();
        const tail = this.current.slice(-5);
        reject(
          new Error(
            `${label}: no serial line matching ${String(pattern)} ${why}; last lines:\n  ${tail.join('\n  ') || '(none)'}`,
          ),
        );
      };
      const check = (): void => {
        const m = this.find(pattern);
        if (m !== undefined) {
          done();
          resolve(m);
        } else if (this.ended) {
          const e = this.ended;
          fail(`before it ended (${e.reason ?? (e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`)})`);
        }
      };
      const timer = setTimeout(() => fail(`within ${timeoutMs} ms`), timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  private find(pattern: RegExp | string): string | undefined {
    for (let i = this.cursor; i < this.current.length; i++) {
      if (matches(pattern, this.current[i]!)) {
        this.cursor = i + 1;
        return this.current[i];
      }
    }
    return undefined;
  }

  private push(line: string): void {
    this.current.push(line);
    this.all.push(line);
    // A chatty board must not exhaust memory: the oldest lines go (the cursor moves with them).
    if (this.current.length > MAX_LINES) {
      this.current.shift();
      this.cursor = Math.max(0, this.cursor - 1);
    }
    if (this.all.length > MAX_LINES) this.all.shift();
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
