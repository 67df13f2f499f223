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
    parts.push(`${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return parts.join(', ');
}

export function gotText(c: Cell): string {
  const o = c.outcome;
  return [o.kind, o.code, o.detail].filter((x): x is string => !!x && x !== 'none').join(' · ') || 'nothing';
}

export function runDurationMs(r: Results): number | undefined {
  if (!r.run.finishedAt) return undefined;
  const d = Date.parse(r.run.finishedAt) - Date.parse(r.run.startedAt);
  return Number.isFinite(d) ? d : undefined;
}
