// summary.md: the PR comment and job summary. GitHub rejects comment bodies over 65,536 characters,
// so the text is built in layers and degrades instead of failing: failure details are added only
// while they fit, then all-passing grid rows collapse into a count, then long lists shrink, then
// the grid is cut — and the end note always says what was left out and where the rest is.
import type { Cell, Results } from '../results/schema.ts';
import {
  DISAGREE_FLAG,
  QUARANTINE_ICON,
  STATUS_ICON,
  cellIcon,
  columnKey,
  crossTargetKey,
  expectedText,
  gotText,
  isBad,
  isGood,
  rowKey,
  runDurationMs,
  shortCode,
  totals,
} from './cells.ts';
import { lastLines, type LogStore } from './logs.ts';
import { stripInvalidXml } from './xml.ts';

export const COMMENT_LIMIT = 65_536;

export interface SummaryOptions {
  baseline?: Results;
  logs?: LogStore;
  /** Character budget; defaults below the GitHub comment limit, leaving room for the marker. */
  maxChars?: number;
  /** Where the full report lives (workflow run page with the artifact). */
  artifactUrl?: string;
  /** Serial lines shown per failure. */
  logLines?: number;
}

/** Escapes text for a GFM table cell or inline position: no HTML, no pipes, one line. */
export function mdInline(s: string, max = 200): string {
  const one = stripInvalidXml(s).replace(/\s*[\r\n]+\s*/g, ' ');
  const cut = one.length > max ? one.slice(0, max - 1) + '…' : one;
  return cut
    .replace(/([\\`*_[\]])/g, '\\$1')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|');
}

/** Escapes text for an HTML context (a <summary> line), where markdown escapes would show literally. */
export function htmlInline(s: string, max = 200): string {
  const one = stripInvalidXml(s).replace(/\s*[\r\n]+\s*/g, ' ');
  const cut = one.length > max ? one.slice(0, max - 1) + '…' : one;
  return cut.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function fenced(lines: string[]): string {
  // Serial garbage (NUL, ESC…) is shown as \xNN: the API and the renderer choke on raw controls.
  const body = lines
    .map((l) => stripInvalidXml(l.length > 300 ? l.slice(0, 299) + '…' : l).replace(/\t/g, '  '))
    .join('\n');
  let longest = 2;
  for (const m of body.matchAll(/~+/g)) longest = Math.max(longest, m[0].length);
  const fence = '~'.repeat(longest + 1);
  return `${fence}text\n${body}\n${fence}`;
}

function n(x: number): string {
  return x.toLocaleString('en-US');
}

function header(r: Results): string {
  const t = totals(r.cells);
  const parts = [
    `${STATUS_ICON.pass} ${n(t.pass)}`,
    `${STATUS_ICON.fail} ${n(t.fail)}`,
    `${STATUS_ICON.error} ${n(t.error)}`,
    `${STATUS_ICON.skip} ${n(t.skip)}`,
    `${STATUS_ICON.flaky} ${n(t.flaky)}`,
    `${QUARANTINE_ICON} ${n(t.quarantined)}`,
  ];
  const verdict = t.fail + t.error > 0 ? '❌' : '✅';
  const meta: string[] = [`run ${mdInline(r.run.id, 80)}`, `targets ${mdInline(r.run.target.join(', '))}`];
  if (r.run.broker) {
    const b = r.run.broker;
    meta.push(
      `broker ${mdInline(b.provider)}${b.version ? ` ${mdInline(b.version)}` : ''}${b.image ? ` (${mdInline(b.image)})` : ''}`,
    );
  }
  meta.push(`rig ${mdInline(r.run.rigVersion)}`);
  const d = runDurationMs(r);
  meta.push(`started ${mdInline(r.run.startedAt)}${d !== undefined ? `, took ${(d / 1000).toFixed(1)} s` : ''}`);
  if (r.run.host) meta.push(`host ${mdInline(r.run.host)}`);
  if (r.run.shard) meta.push(`shard ${mdInline(r.run.shard)}`);
  const versions = Object.entries(r.run.versions)
    .map(([k, v]) => `${mdInline(k)} ${mdInline(v)}`)
    .join(', ');
  const lines = [`## ${verdict} Rig report: ${n(t.total)} cells — ${parts.join(' · ')}`, '', meta.join(' · ')];
  if (versions) lines.push('', `Versions: ${versions}`);
  if (r.run.interrupted) lines.push('', '**⚠ The run was interrupted; cells not reached are missing.**');
  return lines.join('\n');
}

// ---------- grid ----------

interface Slot {
  cells: Cell[];
}
interface Grid {
  rows: string[];
  cols: string[];
  slots: Map<string, Slot>;
}

function buildGrid(cells: readonly Cell[]): Grid {
  const rows: string[] = [];
  const cols: string[] = [];
  const seenR = new Set<string>();
  const seenC = new Set<string>();
  const slots = new Map<string, Slot>();
  for (const c of cells) {
    const r = rowKey(c);
    const k = columnKey(c);
    if (!seenR.has(r)) {
      seenR.add(r);
      rows.push(r);
    }
    if (!seenC.has(k)) {
      seenC.add(k);
      cols.push(k);
    }
    const key = `${r}\u0000${k}`;
    const slot = slots.get(key) ?? { cells: [] };
    slot.cells.push(c);
    slots.set(key, slot);
  }
  rows.sort();
  return { rows, cols, slots };
}

/**
 * Twin and hardware results for the same cell id disagree when both ran and differ in verdict or kind. A cell
 * that ended in an infrastructure error said nothing about the board, so it cannot disagree.
 */
export function disagrees(a: Cell, b: Cell): boolean {
  if ([a, b].some((c) => c.status === 'skip' || c.status === 'error' || c.quarantine)) return false;
  return isGood(a) !== isGood(b) || a.outcome.kind !== b.outcome.kind;
}

function cellText(c: Cell): string {
  const code = shortCode(c);
  return code ? `${cellIcon(c)} ${mdInline(code, 40)}` : cellIcon(c);
}

function slotText(slot: Slot | undefined): { text: string; flagged: boolean } {
  if (!slot || slot.cells.length === 0) return { text: '', flagged: false };
  if (slot.cells.length === 1) return { text: cellText(slot.cells[0]), flagged: false };
  const twin = slot.cells.find((c) => c.target === 'twin');
  const hw = slot.cells.find((c) => c.target === 'hardware');
  const parts = slot.cells.map((c) => `${c.target === 'hardware' ? 'hw' : c.target} ${cellText(c)}`);
  const flagged = !!twin && !!hw && crossTargetKey(twin) === crossTargetKey(hw) && disagrees(twin, hw);
  return { text: parts.join(' · ') + (flagged ? ` ${DISAGREE_FLAG}` : ''), flagged };
}

interface GridRender {
  lines: string[];
  hiddenPassing: number;
  flagged: number;
}

function renderGrid(g: Grid, collapsePassing: boolean): GridRender {
  const lines = [
    `| scenario / variant | ${g.cols.map((c) => mdInline(c, 60)).join(' | ')} |`,
    `|---|${g.cols.map(() => '---').join('|')}|`,
  ];
  let hidden = 0;
  let flagged = 0;
  for (const r of g.rows) {
    const texts = g.cols.map((c) => slotText(g.slots.get(`${r}\u0000${c}`)));
    const rowFlagged = texts.some((t) => t.flagged);
    if (rowFlagged) flagged++;
    if (collapsePassing && !rowFlagged) {
      const all = g.cols.flatMap((c) => g.slots.get(`${r}\u0000${c}`)?.cells ?? []);
      if (all.every((c) => isGood(c) || c.status === 'skip')) {
        hidden++;
        continue;
      }
    }
    lines.push(`| ${mdInline(r, 120)} | ${texts.map((t) => t.text).join(' | ')} |`);
  }
  return { lines, hiddenPassing: hidden, flagged };
}

// ---------- baseline ----------

export interface BaselineDiff {
  newFailures: Cell[];
  fixed: Cell[];
  stillFailing: Cell[];
  newCells: Set<string>;
}

export function diffBaseline(current: Results, baseline: Results): BaselineDiff {
  const before = new Map(baseline.cells.map((c) => [c.id, c] as const));
  const d: BaselineDiff = { newFailures: [], fixed: [], stillFailing: [], newCells: new Set() };
  for (const c of current.cells) {
    const b = before.get(c.id);
    if (!b) d.newCells.add(c.id);
    if (isBad(c)) (b && isBad(b) ? d.stillFailing : d.newFailures).push(c);
    else if (b && isBad(b) && isGood(c)) d.fixed.push(c);
  }
  return d;
}

function renderChanges(r: Results, baseline: Results, limit: number): { text: string; cut: number } {
  const d = diffBaseline(r, baseline);
  let cut = 0;
  const list = (title: string, cells: Cell[], withReason: boolean): string => {
    if (cells.length === 0) return `**${title} (0)**`;
    const shown = cells.slice(0, limit);
    cut += cells.length - shown.length;
    const items = shown.map((c) => {
      const extra = withReason && (c.reason || shortCode(c)) ? ` — ${mdInline(c.reason ?? shortCode(c), 160)}` : '';
      return `- ${cellIcon(c)} ${mdInline(c.id, 160)}${d.newCells.has(c.id) ? ' _(new cell)_' : ''}${extra}`;
    });
    if (cells.length > shown.length) items.push(`- … and ${n(cells.length - shown.length)} more`);
    return `**${title} (${n(cells.length)})**\n\n${items.join('\n')}`;
  };
  const text = [
    `### Changes since baseline (run ${mdInline(baseline.run.id, 80)})`,
    list('New failures', d.newFailures, true),
    list('Fixed', d.fixed, false),
    list('Still failing', d.stillFailing, true),
  ].join('\n\n');
  return { text, cut };
}

// ---------- failure details ----------

function detailBlock(c: Cell, logs: LogStore | undefined, logLines: number): string {
  const where = `${columnKey(c)} (${c.target})`;
  const summary = `${cellIcon(c)} <b>${htmlInline(rowKey(c), 120)}</b> on ${htmlInline(where, 80)} — ${htmlInline(c.reason ?? gotText(c), 160)}`;
  const body: string[] = [];
  const exp = expectedText(c);
  body.push(`**expected** ${exp ? mdInline(exp, 400) : '_(not recorded)_'} · **got** ${mdInline(gotText(c), 400)}`);
  if (c.quarantine) body.push(`quarantined: ${mdInline(c.quarantine, 200)}`);
  const failures = c.failures.filter((f) => f !== c.reason);
  if (failures.length > 0)
    body.push(
      failures
        .slice(0, 10)
        .map((f) => `- ${mdInline(f, 300)}`)
        .join('\n'),
    );
  const log = logs?.get(c.serialLog);
  if (log && logLines > 0) {
    const { lines, firstNumber } = lastLines(log, logLines);
    body.push(
      `last serial lines (${firstNumber}–${firstNumber + lines.length - 1} of ${log.totalLines}, ${mdInline(c.serialLog ?? '', 120)}):\n\n${fenced(lines)}`,
    );
  }
  return `<details><summary>${summary}</summary>\n\n${body.join('\n\n')}\n\n</details>`;
}

// ---------- assembly ----------

interface Layout {
  collapse: boolean;
  listLimit: number;
}
const LAYOUTS: Layout[] = [
  { collapse: false, listLimit: Number.MAX_SAFE_INTEGER },
  { collapse: true, listLimit: Number.MAX_SAFE_INTEGER },
  { collapse: true, listLimit: 50 },
  { collapse: true, listLimit: 10 },
];
const FOOTER_RESERVE = 1_000;

export function buildSummary(r: Results, opts: SummaryOptions = {}): string {
  const max = Math.min(opts.maxChars ?? COMMENT_LIMIT - 536, COMMENT_LIMIT - 1);
  const logLines = opts.logLines ?? 20;
  const grid = buildGrid(r.cells);
  const head = header(r);
  const omitted: string[] = [];

  let core = '';
  let gridR: GridRender = { lines: [], hiddenPassing: 0, flagged: 0 };
  let changesCut = 0;
  for (const layout of LAYOUTS) {
    gridR = renderGrid(grid, layout.collapse);
    const parts = [head, '### Results', gridR.lines.join('\n')];
    if (gridR.hiddenPassing > 0)
      parts.push(`_${n(gridR.hiddenPassing)} rows where every cell passed or was skipped are collapsed._`);
    if (gridR.flagged > 0)
      parts.push(`_${n(gridR.flagged)} rows where twin and hardware disagree (${DISAGREE_FLAG})._`);
    changesCut = 0;
    if (opts.baseline) {
      const ch = renderChanges(r, opts.baseline, layout.listLimit);
      parts.push(ch.text);
      changesCut = ch.cut;
    }
    core = parts.join('\n\n');
    if (core.length + FOOTER_RESERVE <= max) break;
  }
  if (gridR.hiddenPassing > 0) omitted.push(`${n(gridR.hiddenPassing)} all-passing grid rows`);
  if (changesCut > 0) omitted.push(`${n(changesCut)} entries of the baseline lists`);

  // Last resort: cut the text at a line boundary.
  if (core.length + FOOTER_RESERVE > max) {
    const cutAt = core.lastIndexOf('\n', max - FOOTER_RESERVE);
    const kept = core.slice(0, Math.max(0, cutAt));
    const droppedLines = core
      .slice(kept.length)
      .split('\n')
      .filter((l) => l.trim() !== '').length;
    omitted.push(`the last ${n(droppedLines)} lines of the grid and lists (text truncated)`);
    core = kept;
  }

  // Failure details go in while they fit, in run order; a block that does not fit gets 5 log lines.
  const bad = r.cells.filter((c) => isBad(c) || (c.quarantine && c.status !== 'pass' && c.status !== 'skip'));
  const details: string[] = [];
  let used = core.length + FOOTER_RESERVE + 40;
  let shortened = 0;
  for (const c of bad) {
    let block = detailBlock(c, opts.logs, logLines);
    if (used + block.length + 2 > max && logLines > 5) {
      block = detailBlock(c, opts.logs, 5);
      shortened++;
    }
    if (used + block.length + 2 > max) break;
    details.push(block);
    used += block.length + 2;
  }
  if (details.length < bad.length)
    omitted.push(`failure details for ${n(bad.length - details.length)} of ${n(bad.length)} failing cells`);
  if (shortened > 0 && details.length > 0)
    omitted.push(`serial excerpts shortened to 5 lines for ${n(Math.min(shortened, details.length))} failures`);

  const sections = [core];
  if (details.length > 0) sections.push(`### Failures\n\n${details.join('\n\n')}`);
  const where = opts.artifactUrl ? `[the run artifact](${opts.artifactUrl})` : 'the run artifact';
  if (omitted.length > 0) {
    sections.push(
      `---\n_Omitted to stay under GitHub's ${n(COMMENT_LIMIT)}-character limit: ${omitted.map((o) => mdInline(o, 200)).join('; ')}. The full report (report.html, junit.xml, results.json) is in ${where}._`,
    );
  } else {
    sections.push(`---\n_Full report (report.html, junit.xml, results.json) in ${where}._`);
  }
  let text = sections.join('\n\n') + '\n';
  if (text.length > max) text = text.slice(0, max - 60) + '\n\n_(truncated to fit the comment limit)_\n';
  return text;
}
