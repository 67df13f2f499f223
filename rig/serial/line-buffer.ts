// A bounded list of lines with listeners and regex waits: the per-cell rolling buffer. Bounded twice: a line is
// cut at MAX_LINE_CHARS (with a note of how much was cut), and the buffer keeps at most maxLines lines and
// MAX_BUFFER_CHARS characters, dropping the oldest; what was cut or dropped is counted so a report can say so.
import { StringDecoder } from 'node:string_decoder';

export const MAX_LINE_CHARS = 4096;
export const MAX_BUFFER_CHARS = 8 * 1024 * 1024;

/** Splits a byte stream into lines (\n), cutting a line longer than MAX_LINE_CHARS without holding all of it. */
export class LineSplitter {
  /** Lines that were cut. */
  cut = 0;
  private pending = '';
  private over = 0;
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly emit: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    let text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
      this.take(text.slice(0, nl), true);
      text = text.slice(nl + 1);
    }
    this.take(text, false);
  }

  /** What is left of an unterminated last line. */
  flush(): void {
    if (this.pending || this.over) this.take('', true);
  }

  private take(part: string, ends: boolean): void {
    if (this.over > 0 || this.pending.length + part.length > MAX_LINE_CHARS) {
      const room = Math.max(0, MAX_LINE_CHARS - this.pending.length);
      this.over += part.length - Math.min(room, part.length);
      this.pending += part.slice(0, room);
    } else {
      this.pending += part;
    }
    if (!ends) return;
    const line = this.over > 0 ? `${this.pending} … [cut: ${this.over} more characters]` : this.pending;
    if (this.over > 0) this.cut++;
    this.pending = '';
    this.over = 0;
    this.emit(line);
  }
}

interface Waiter {
  re: RegExp;
  resolve: (line: string) => void;
}

export class LineBuffer {
  dropped = 0;
  private buf: string[] = [];
  private chars = 0;
  private readonly listeners = new Set<(line: string) => void>();
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly maxLines: number) {}

  push(line: string): void {
    this.buf.push(line);
    this.chars += line.length;
    let cut = Math.max(0, this.buf.length - this.maxLines);
    let chars = this.chars;
    for (let i = 0; i < cut; i++) chars -= this.buf[i]!.length;
    while (chars > MAX_BUFFER_CHARS && cut < this.buf.length - 1) chars -= this.buf[cut++]!.length;
    if (cut > 0) {
      this.buf.splice(0, cut);
      this.chars = chars;
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
    this.chars = 0;
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
