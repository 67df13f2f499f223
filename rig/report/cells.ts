// Small shared vocabulary of the reports: icons, short codes, grouping keys.
import type { Cell, CellStatus, Results } from '../results/schema.ts';

export const STATUS_ICON: Record<CellStatus, string> = {
  pass: '✅',
  fail: '❌',
  error: '💥',
  skip: '⏭️',
  flaky: '🔁',
};
export const QUARANTINE_ICON = '🧊';
export const DISAGREE_FLAG = '⚠ twin≠hardware';

export type DisplayStatus = CellStatus | 'quarantined';

export function displayStatus(c: Cell): DisplayStatus {
  return c.quarantine ? 'quarantined' : c.status;
}

export function cellIcon(c: Cell): string {
  return c.quarantine ? QUARANTINE_ICON : STATUS_ICON[c.status];
}

export function isBad(c: Cell): boolean {
  return !c.quarantine && (c.status === 'fail' || c.status === 'error');
}

export function isGood(c: Cell): boolean {
  return c.status === 'pass' || c.status === 'flaky';
}

/** `mbedtls:-9984` → `-9984` (mbedTLS codes are unambiguous by sign); others keep their prefix. */
export function shortCode(c: Cell): string {
  if (c.outcome.code) return c.outcome.code.replace(/^mbedtls:/, '');
  if (isGood(c) || c.status === 'skip' || c.outcome.kind === 'none') return '';
  return c.outcome.kind;
}

export function rowKey(c: Cell): string {
  return `${c.scenario}/${c.variant}`;
}

/**
 * The board column of a cell: its id's board segment, "esp32" or "esp32@1.0.2" for a pinned core or a core axis.
 * Every cell records its core, but a board with one core version is labelled by the board alone.
 */
export function columnKey(c: Cell): string {
  return crossTargetKey(c).split('/').pop() || c.board;
}

/** "@1.0.2" when the cell id names its core (pinned or a core axis), else "". */
export function coreSuffix(c: Cell): string {
  const col = columnKey(c);
  const at = col.indexOf('@');
  return at >= 0 ? col.slice(at) : '';
}

/** Cell id without its `#target` suffix: the key that pairs a twin cell with its hardware cell. */
export function crossTargetKey(c: Cell): string {
  const suffix = `#${c.target}`;
  return c.id.endsWith(suffix) ? c.id.slice(0, -suffix.length) : c.id;
}

export interface Totals {
  total: number;
  pass: number;
  fail: number;
  error: number;
  skip: number;
  flaky: number;
  quarantined: number;
}

export function totals(cells: readonly Cell[]): Totals {
  const t: Totals = { total: cells.length, pass: 0, fail: 0, error: 0, skip: 0, flaky: 0, quarantined: 0 };
  for (const c of cells) {
    if (c.quarantine) t.quarantined++;
    else t[c.status]++;
  }
  return t;
}

export function expectedText(c: Cell): string {
  if (!c.expected || Object.keys(c.expected).length === 0) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(c.expected)) {
    if (v === undefined) continue;
    parts.push(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return parts.join(', ');
}

/** The expectation in a few words for tables: its kind and code, else the whole of it. */
export function expectedShort(c: Cell): string {
  const e = c.expected ?? {};
  const short = [e.kind, e.code].filter((x): x is string => typeof x === 'string').join(' ');
  return short || expectedText(c);
}

/** What came: the board's kind, code and detail, then the broker's reason (and the kind it narrows to). */
export function gotText(c: Cell): string {
  const o = c.outcome;
  const broker = o.brokerReason ? `broker: ${o.brokerReason}${o.refinedKind ? ` → ${o.refinedKind}` : ''}` : undefined;
  return [o.kind, o.code, o.detail, broker].filter((x): x is string => !!x && x !== 'none').join(' · ') || 'nothing';
}

export function runDurationMs(r: Results): number | undefined {
  if (!r.run.finishedAt) return undefined;
  const d = Date.parse(r.run.finishedAt) - Date.parse(r.run.startedAt);
  return Number.isFinite(d) ? d : undefined;
}

/** "cn-only/broken on esp32@1.0.2 (twin)": how every report names a cell to a person. */
export function cellLabel(c: Cell): string {
  return `${rowKey(c)} on ${columnKey(c)} (${c.target})`;
}

/** "❌ 2 failed, 1 error" / "✅ all 120 passed" / "⚠️ no cells ran": the run's verdict in a few words. */
export function verdictLine(t: Totals): { ok: boolean; icon: string; text: string } {
  if (t.total === 0) return { ok: false, icon: '⚠️', text: 'no cells ran' };
  const bad = [t.fail ? `${t.fail} failed` : '', t.error ? `${t.error} error${t.error > 1 ? 's' : ''}` : '']
    .filter(Boolean)
    .join(', ');
  if (bad) return { ok: false, icon: '❌', text: bad };
  const ran = t.pass + t.flaky;
  return { ok: true, icon: '✅', text: ran === 0 ? 'nothing failed (every cell skipped)' : `all ${ran} run passed` };
}

/** A link to the line of the scenario file at the run's commit, when the run knows its repository. */
export function scenarioUrl(r: Results['run'], c: Cell): string | undefined {
  const l = c.location;
  if (!l || !r.repoUrl || !r.commit || l.file.startsWith('/')) return undefined;
  return `${r.repoUrl}/blob/${r.commit}/${encodeURI(l.file)}#L${l.line}`;
}

export interface LogLine {
  n: number;
  text: string;
  matched: boolean;
}

/**
 * The serial lines that decided a cell: those its expectations matched (0-based `matched`) with a line of context
 * each side, else the last lines. Numbers are 1-based, as the page and the comment show them.
 */
export function decidingLines(
  log: { head: string[]; tail: string[]; tailStart: number; totalLines: number },
  matched: readonly number[] | undefined,
  max: number,
): LogLine[] {
  const at = (n: number): string | undefined =>
    n <= log.head.length ? log.head[n - 1] : n >= log.tailStart ? log.tail[n - log.tailStart] : undefined;
  const hits = new Set((matched ?? []).map((i) => i + 1));
  const want = new Set<number>();
  for (const n of [...hits].sort((a, b) => a - b)) for (let k = n - 1; k <= n + 1; k++) want.add(k);
  let numbers = [...want].filter((n) => n >= 1 && n <= log.totalLines && at(n) !== undefined).sort((a, b) => a - b);
  if (numbers.length === 0) {
    const last = log.tail.length ? log.tailStart + log.tail.length - 1 : log.head.length;
    numbers = Array.from({ length: Math.min(max, last) }, (_, i) => last - Math.min(max, last) + 1 + i);
  }
  return numbers.slice(0, max).map((n) => ({ n, text: at(n) ?? '', matched: hits.has(n) }));
}
