// Progress output: a live line per running cell on a terminal, plain lines in CI or when piped.
import type { Cell } from '../results/schema.ts';

export interface Progress {
  start(key: string, label: string): void;
  note(key: string, text: string): void;
  finish(cell: Cell): void;
  log(text: string): void;
  close(): void;
  /** What a running cell is doing now: building host core, compiling, flashing, running… (optional). */
  phase?(key: string, phase: string): void;
}

const ICON: Record<Cell['status'], string> = { pass: '✔', fail: '✘', error: '!', skip: '-', flaky: '~' };

export function describeCell(c: Cell): string {
  const o = c.outcome;
  const what = [o.kind, o.code].filter((x) => x && x !== 'none').join(' ');
  const tail = c.status === 'pass' || c.status === 'flaky' ? what : (c.reason ?? what);
  const q = c.quarantine ? ` [quarantined: ${c.quarantine}]` : '';
  return `${ICON[c.status]} ${c.status.padEnd(5)} ${c.id}${c.target === 'hardware' ? ' (hardware)' : ''}  ${tail}  ${(c.durationMs / 1000).toFixed(1)}s${q}`;
}

export function createProgress(stream: NodeJS.WriteStream, opts: { live?: boolean; quiet?: boolean } = {}): Progress {
  const live = opts.live ?? (stream.isTTY === true && !process.env.CI);
  if (opts.quiet) return { start() {}, note() {}, finish() {}, log() {}, close() {} };
  if (!live) {
    return {
      start: (_k, label) => stream.write(`  … ${label}\n`),
      note: () => {},
      finish: (c) => stream.write(`${describeCell(c)}\n`),
      log: (t) => stream.write(`${t}\n`),
      close: () => {},
    };
  }
  const running = new Map<string, { label: string; note: string; since: number }>();
  let drawn = 0;
  const clear = (): void => {
    if (drawn > 0) stream.write(`\x1b[${drawn}A\x1b[0J`);
    drawn = 0;
  };
  const draw = (): void => {
    const width = stream.columns ?? 100;
    const rows = [...running.values()].map((r) =>
      `  ⏳ ${r.label} ${r.note} ${((Date.now() - r.since) / 1000).toFixed(0)}s`.slice(0, width - 1),
    );
    if (rows.length) stream.write(`${rows.join('\n')}\n`);
    drawn = rows.length;
  };
  const timer = setInterval(() => {
    clear();
    draw();
  }, 500);
  timer.unref();
  return {
    start: (k, label) => {
      running.set(k, { label, note: '', since: Date.now() });
      clear();
      draw();
    },
    note: (k, text) => {
      const r = running.get(k);
      if (r) r.note = text;
    },
    finish: (c) => {
      running.delete(`${c.id}#${c.target}`);
      clear();
      stream.write(`${describeCell(c)}\n`);
      draw();
    },
    log: (t) => {
      clear();
      stream.write(`${t}\n`);
      draw();
    },
    close: () => {
      clearInterval(timer);
      clear();
    },
  };
}
