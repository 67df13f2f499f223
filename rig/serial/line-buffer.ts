// A bounded list of lines with listeners and regex waits: the per-cell rolling buffer.

interface Waiter {
  re: RegExp;
  resolve: (line: string) => void;
}

export class LineBuffer {
  dropped = 0;
  private buf: string[] = [];
  private readonly listeners = new Set<(line: string) => void>();
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly maxLines: number) {}

  push(line: string): void {
    this.buf.push(line);
    if (this.buf.length > this.maxLines) {
      const cut = this.buf.length - this.maxLines;
      this.buf.splice(0, cut);
      this.dropped += cut;
    }
    for (const l of this.listeners) l(line);
    for (const w of this.waiters) {
      if (w.re.test(line)) {
        this.waiters.delete(w);
        w.resolve(line);
      }
    }
  }

  lines(): string[] {
    return [...this.buf];
  }

  clear(): void {
    this.buf = [];
    this.dropped = 0;
  }

  onLine(cb: (line: string) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Resolves with the first line (already buffered or future) matching re; rejects after timeoutMs. */
  waitFor(re: RegExp, timeoutMs: number): Promise<string> {
    const seen = this.buf.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        re,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`no line matching ${re} within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref(); // the open port keeps the process alive while the wait matters
      this.waiters.add(w);
    });
  }
}
