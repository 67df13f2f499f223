// The terminal view of a run, fed by the runner's Progress events. On a terminal: a live block at the bottom
// (done/total, pass/fail/error/skip counts, elapsed and ETA, then each running cell with its phase: building
// host core, compiling, flashing, running), every line cut to the terminal's width; only failures, errors and
// flaky cells scroll up as they finish. Not a terminal (CI logs, pipes): plain lines, one per finished cell,
// skips counted instead of listed. Colour follows NO_COLOR / FORCE_COLOR (picocolors does the escapes,
// cli-truncate cuts coloured text to a width). The closing block lists only failures and errors, each with the
// command that reruns it.
import { cellTimeline } from '../report/timeline.ts';
import cliTruncate from 'cli-truncate';
import pc from 'picocolors';
import type { Cell, Results } from '../results/schema.ts';
import type { Progress } from '../runner/progress.ts';
import { gotText } from '../report/cells.ts';

type Colors = ReturnType<typeof pc.createColors>;

export interface PlannedCell {
  key: string;
  id: string;
  target: string;
  skip?: string;
}

export interface TerminalOptions {
  /** Redraw a live block (default: the stream is a TTY and CI is not set). */
  live?: boolean;
  color?: boolean;
  /** Print every finished cell, passes and skips too. */
  verbose?: boolean;
  quiet?: boolean;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
}

/** no-color.org and force-color.org: FORCE_COLOR wins, then NO_COLOR, then "is it a terminal". */
export function colorWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (force === '0' || force === 'false') return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

const ICON: Record<Cell['status'], string> = { pass: '✔', fail: '✘', error: '!', skip: '-', flaky: '~' };

function paint(c: Colors, status: Cell['status'] | 'quarantined', text: string): string {
  if (status === 'fail') return c.red(text);
  if (status === 'error') return c.magenta(text);
  if (status === 'flaky') return c.yellow(text);
  if (status === 'pass') return c.green(text);
  if (status === 'quarantined') return c.blue(text);
  return c.dim(text);
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60
    ? `${m}m${String(s % 60).padStart(2, '0')}s`
    : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

function label(c: { id: string; target: string }): string {
  const id = c.id.endsWith(`#${c.target}`) ? c.id.slice(0, -c.target.length - 1) : c.id;
  return c.target === 'twin' || c.target === 'host' ? id : `${id} (${c.target})`;
}

/** What a finished cell says in one line: its outcome when good, the reason when not. */
export function cellLine(c: Cell, colors: Colors): string {
  const st = c.quarantine ? 'quarantined' : c.status;
  const o = c.outcome;
  const what = [o.kind, o.code].filter((x) => x && x !== 'none').join(' ');
  const tail = c.status === 'pass' || c.status === 'flaky' ? what : (c.reason ?? what);
  const q = c.quarantine ? colors.blue(` [quarantined: ${c.quarantine}]`) : '';
  const retry = c.attempts > 1 ? ` after ${c.attempts} attempts` : '';
  // A module's TLS modelled on a twin is said on every line that reports the cell.
  const modelled = c.modelled ? ` (${c.modelled})` : '';
  return `${paint(colors, st, `${ICON[c.status]} ${c.status.padEnd(5)}`)} ${label(c)}  ${colors.dim(`${tail}${modelled}${retry}  ${(c.durationMs / 1000).toFixed(1)}s`)}${q}`;
}

interface Running {
  label: string;
  phase: string;
  since: number;
  phaseSince: number;
}

/** The Progress a `rig run` gets: counts, ETA and phases against the planned cells. */
/** The part of a terminal stream the view uses (process.stderr, or a test's recorder). */
export interface TermStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function terminalProgress(
  stream: TermStream,
  planned: readonly PlannedCell[],
  o: TerminalOptions = {},
): Progress {
  const env = o.env ?? process.env;
  const now = o.now ?? Date.now;
  const colors = pc.createColors(o.color ?? colorWanted(stream, env));
  const live = o.live ?? (stream.isTTY === true && !env.CI);
  const total = planned.length;
  const plannedSkips = new Set(planned.filter((p) => p.skip).map((p) => p.key));
  const runnable = total - plannedSkips.size;
  const counts = { pass: 0, fail: 0, error: 0, skip: 0, flaky: 0 };
  let done = 0;
  let doneRunnable = 0;
  let firstStart: number | undefined;
  const running = new Map<string, Running>();
  const width = (): number => Math.max(40, (stream.columns ?? 100) - 1);
  const cut = (s: string): string => (live ? cliTruncate(s, width()) : s);
  const pad = String(total).length;
  const counter = (): string => `[${String(done).padStart(pad)}/${total}]`;
  const write = (s: string): void => void stream.write(s);

  const status = (): string => {
    const t = now();
    const elapsed = firstStart === undefined ? 0 : t - firstStart;
    const left = runnable - doneRunnable;
    const eta =
      doneRunnable > 0 && left > 0 ? `~${duration((elapsed / doneRunnable) * left)} left` : left > 0 ? 'ETA …' : '';
    const c = colors;
    const parts = [
      c.bold(counter()),
      c.green(`✔ ${counts.pass + counts.flaky}`),
      counts.fail ? c.red(c.bold(`✘ ${counts.fail}`)) : c.dim('✘ 0'),
      counts.error ? c.magenta(c.bold(`! ${counts.error}`)) : c.dim('! 0'),
      c.dim(`- ${counts.skip}`),
      c.dim(`${duration(elapsed)}${eta ? `, ${eta}` : ''}`),
    ];
    return parts.join(' ');
  };
  const block = (): string[] => {
    const rows = [status()];
    const list = [...running.values()];
    for (const r of list.slice(0, 6))
      rows.push(
        `  ${colors.cyan('›')} ${r.label}  ${colors.yellow(r.phase || 'starting')} ${colors.dim(duration(now() - r.phaseSince))}`,
      );
    if (list.length > 6) rows.push(colors.dim(`  … and ${list.length - 6} more running`));
    return rows.map(cut);
  };
  let drawn = 0;
  const clear = (): void => {
    // The block ends without a newline: back to its first row, then clear to the end of the screen.
    if (drawn > 0) write(`\r${drawn > 1 ? `\x1b[${drawn - 1}A` : ''}\x1b[0J`);
    drawn = 0;
  };
  const draw = (): void => {
    const rows = block();
    write(rows.join('\n'));
    drawn = rows.length;
  };
  const redraw = (): void => {
    if (!live) return;
    clear();
    draw();
  };
  /** A permanent line above the live block. */
  const print = (line: string): void => {
    if (live) {
      clear();
      write(`${cut(line)}\n`);
      draw();
    } else write(`${line}\n`);
  };
  const timer = live ? setInterval(redraw, 1000) : undefined;
  timer?.unref();
  if (o.quiet) return { start() {}, note() {}, finish() {}, log: (t) => print(t), close() {}, phase() {} };

  return {
    start(key, lbl) {
      firstStart ??= now();
      running.set(key, { label: lbl, phase: '', since: now(), phaseSince: now() });
      if (!live) print(colors.dim(`${' '.repeat(pad * 2 + 3)} … ${lbl}`));
      redraw();
    },
    note(key, text) {
      const r = running.get(key);
      if (r) r.phase = text;
      redraw();
    },
    phase(key, ph) {
      const r = running.get(key);
      if (!r) return;
      r.phase = ph;
      r.phaseSince = now();
      // In a log, the one slow step that looks like a hang says what it is.
      if (!live && ph === 'building host core')
        print(
          colors.dim(
            `${' '.repeat(pad * 2 + 3)} … ${r.label}: building host core (once per board core, cached afterwards)`,
          ),
        );
      redraw();
    },
    finish(c) {
      running.delete(`${c.id}#${c.target}`);
      done++;
      if (!plannedSkips.has(`${c.id}#${c.target}`)) doneRunnable++;
      counts[c.status]++;
      const show = o.verbose || (live ? c.status !== 'pass' && c.status !== 'skip' : c.status !== 'skip');
      if (show) print(`${colors.dim(counter())} ${cellLine(c, colors)}`);
      else redraw();
    },
    log: (t) => print(t),
    close() {
      if (timer) clearInterval(timer);
      if (live) clear();
    },
  };
}

/** Skip reasons grouped: "20 hardware only, 5 no twin". */
function skipSummary(cells: readonly Cell[]): string {
  const by = new Map<string, number>();
  for (const c of cells.filter((x) => x.status === 'skip')) {
    const why = /^hardware only/.test(c.reason ?? '')
      ? 'hardware only'
      : (c.reason ?? 'skipped').split(':')[0]!.slice(0, 40);
    by.set(why, (by.get(why) ?? 0) + 1);
  }
  return [...by]
    .sort((a, b) => b[1] - a[1])
    .map(([why, k]) => `${k} ${why}`)
    .join(', ');
}

export interface ClosingOptions {
  color: boolean;
  /** Terminal width for the reason lines (rerun commands are never cut: they are for copying). */
  width?: number;
  verbose?: boolean;
  elapsedMs?: number;
}

/** What `rig run` prints last: failures and errors with their rerun commands, the totals, where the reports are. */
export function closingBlock(r: Results, runDir: string, o: ClosingOptions): string {
  const colors = pc.createColors(o.color);
  const cut = (s: string): string => (o.width ? cliTruncate(s, Math.max(40, o.width - 1)) : s);
  const out: string[] = [''];
  if (o.verbose) for (const c of r.cells) out.push(cut(cellLine(c, colors)));
  const bad = r.cells.filter((c) => c.status === 'fail' || c.status === 'error');
  const ordered = [
    ...bad.filter((c) => !c.quarantine && c.status === 'fail'),
    ...bad.filter((c) => !c.quarantine && c.status === 'error'),
    ...bad.filter((c) => c.quarantine),
  ];
  if (ordered.length) {
    out.push(colors.bold(`Failures and errors (${ordered.length}):`));
    const indent = '        ';
    for (const c of ordered) {
      const st = c.quarantine ? 'quarantined' : c.status;
      const q = c.quarantine ? colors.blue(` [quarantined: ${c.quarantine}]`) : '';
      out.push(cut(`${paint(colors, st, `${ICON[c.status]} ${c.status.padEnd(5)}`)} ${label(c)}${q}`));
      for (const f of [c.reason ?? gotText(c), ...c.failures.filter((x) => x !== c.reason)].slice(0, 4))
        out.push(cut(`${indent}${f}`));
      if (c.location) out.push(cut(`${indent}at ${c.location.file}:${c.location.line}:${c.location.column}`));
      for (const l of cellTimeline(c, false)) out.push(cut(`${indent}${l}`));
      if (c.rerun) out.push(`${indent}${colors.cyan(c.rerun)}`);
    }
    out.push('');
  }
  const t = { pass: 0, fail: 0, error: 0, skip: 0, flaky: 0, quarantined: 0 };
  for (const c of r.cells) {
    if (c.quarantine) t.quarantined++;
    else t[c.status]++;
  }
  const skips = skipSummary(r.cells);
  const broker = r.run.broker
    ? `broker ${r.run.broker.provider} mosquitto ${r.run.broker.version ?? '?'}`
    : 'no broker';
  const parts = [
    paint(colors, t.pass ? 'pass' : 'skip', `${t.pass} passed`),
    t.fail ? colors.bold(colors.red(`${t.fail} failed`)) : '0 failed',
    t.error ? colors.bold(colors.magenta(`${t.error} errors`)) : '0 errors',
    `${t.skip} skipped${skips ? ` (${skips})` : ''}`,
    `${t.flaky} flaky`,
  ];
  if (t.quarantined) parts.push(colors.blue(`${t.quarantined} quarantined`));
  out.push(`${parts.join(', ')}`);
  out.push(
    colors.dim(`${r.cells.length} cells${o.elapsedMs !== undefined ? ` in ${duration(o.elapsedMs)}` : ''}; ${broker}`),
  );
  out.push(`reports: ${runDir}/report.html (and summary.md, junit.xml, results.json)`);
  return `${out.join('\n')}\n`;
}

/** `rig run --list`: the planned cells without running them. */
export function plannedListing(planned: readonly PlannedCell[], color: boolean): string {
  const colors = pc.createColors(color);
  const lines = planned.map(
    (p) => `${p.skip ? colors.dim('skip') : 'run '}  ${label(p)}${p.skip ? colors.dim(`  (${p.skip})`) : ''}`,
  );
  const skips = planned.filter((p) => p.skip).length;
  lines.push('', `${planned.length} cells planned: ${planned.length - skips} to run, ${skips} skipped`);
  return `${lines.join('\n')}\n`;
}
