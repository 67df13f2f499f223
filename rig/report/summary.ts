// summary.md: the PR comment and job summary, failures first. The verdict, a legend, a table of the failing
// cells (expected vs got, a link to the scenario line) and then each failure unfolded (the serial lines that
// decided, the rerun command, the forum thread) come before the baseline changes and the folded grid.
// GitHub rejects comment bodies over 65,536 characters, so the text degrades instead of failing: all-passing
// grid rows collapse, long lists shrink, failure details are added only while they fit, then the grid is cut,
// and the end note always says what was left out and where the rest is.
import { cellTimeline } from './timeline.ts';
import type { Cell, Results } from '../results/schema.ts';
import {
  DISAGREE_FLAG,
  QUARANTINE_ICON,
  STATUS_ICON,
  cellIcon,
  columnKey,
  crossTargetKey,
  decidingLines,
  expectedShort,
  expectedText,
  gotText,
  isBad,
  isGood,
  rowKey,
  runDurationMs,
  scenarioUrl,
  shortCode,
  totals,
  verdictLine,
} from './cells.ts';
import type { LogStore } from './logs.ts';
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

export const LEGEND =
  `${STATUS_ICON.pass} pass · ${STATUS_ICON.fail} fail: an expectation not met · ${STATUS_ICON.error} error: the rig's ` +
  `problem (build, broker, port, hung target) · ${STATUS_ICON.skip} skip · ${STATUS_ICON.flaky} flaky: passed on a ` +
  `retry · ${QUARANTINE_ICON} quarantined: a known failure that does not fail the run`;

function header(r: Results, artifactUrl: string | undefined): string {
  const t = totals(r.cells);
  const v = verdictLine(t);
  const counts = [
    `${STATUS_ICON.pass} ${n(t.pass)} passed`,
    `${STATUS_ICON.fail} ${n(t.fail)} failed`,
    `${STATUS_ICON.error} ${n(t.error)} error${t.error === 1 ? '' : 's'}`,
    `${STATUS_ICON.skip} ${n(t.skip)} skipped`,
    `${STATUS_ICON.flaky} ${n(t.flaky)} flaky`,
    `${QUARANTINE_ICON} ${n(t.quarantined)} quarantined`,
  ];
  const meta: string[] = [];
  if (r.run.commit) meta.push(`commit \`${mdInline(r.run.commit.slice(0, 10), 12)}\``);
  meta.push(`run ${mdInline(r.run.id, 80)}`, mdInline(r.run.target.join(', ')));
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
  if (artifactUrl) meta.push(`[full report](${artifactUrl})`);
  const lines = [
    `## ${v.icon} Rig: ${v.text} — ${n(t.total)} cell${t.total === 1 ? '' : 's'}`,
    '',
    `${counts.join(' · ')}`,
    '',
    meta.join(' · '),
  ];
  lines.push('', `<sub>${LEGEND}</sub>`);
  if (t.total === 0)
    lines.push('', '**⚠ No cell was selected or run: check the selection (`--tag`, `--filter`, `--boards`).**');
  if (r.run.interrupted) lines.push('', '**⚠ The run was interrupted; cells not reached are missing.**');
  return lines.join('\n');
}

// ---------- failures ----------

/** Cells a reader must look at: failures and errors, then quarantined ones that did not pass. */
function badCells(r: Results): Cell[] {
  const q = r.cells.filter((c) => c.quarantine && c.status !== 'pass' && c.status !== 'skip');
  const b = r.cells.filter(isBad);
  return [...b.filter((c) => c.status === 'fail'), ...b.filter((c) => c.status === 'error'), ...q];
}

function cellLink(r: Results, c: Cell, text: string): string {
  const url = scenarioUrl(r.run, c);
  return url ? `[${text}](${url})` : text;
}

function failureTable(r: Results, bad: Cell[], limit: number): { text: string; cut: number } {
  if (bad.length === 0) return { text: '', cut: 0 };
  const shown = bad.slice(0, limit);
  const rows = shown.map((c) => {
    const exp = expectedShort(c);
    const got = c.status === 'error' ? (c.reason ?? gotText(c)) : gotText(c);
    return `| ${cellIcon(c)} | ${cellLink(r, c, mdInline(rowKey(c), 100))} | ${mdInline(`${columnKey(c)} (${c.target})`, 40)} | ${exp ? mdInline(exp, 90) : '—'} | ${mdInline(got, 110)} |`;
  });
  if (bad.length > shown.length) rows.push(`| | … and ${n(bad.length - shown.length)} more | | | |`);
  const t = bad.filter(isBad).length;
  const title = `### Failures (${n(t)})${bad.length > t ? ` and ${n(bad.length - t)} quarantined` : ''}`;
  return {
    text: [title, '', '| | scenario / variant | board | expected | got |', '|---|---|---|---|---|', ...rows].join('\n'),
    cut: bad.length - shown.length,
  };
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
  const text = code ? `${cellIcon(c)} ${mdInline(code, 40)}` : cellIcon(c);
  return c.modelled ? `${text} (${mdInline(c.modelled, 40)})` : text;
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

function detailBlock(r: Results, c: Cell, logs: LogStore | undefined, logLines: number): string {
  const summary = `${cellIcon(c)} <b>${htmlInline(rowKey(c), 120)}</b> on ${htmlInline(`${columnKey(c)} (${c.target})`, 80)} — ${htmlInline(c.reason ?? gotText(c), 160)}`;
  const body: string[] = [];
  const about: string[] = [];
  if (c.title) about.push(`_${mdInline(c.title, 200)}_`);
  if (c.location) about.push(cellLink(r, c, `\`${mdInline(`${c.location.file}:${c.location.line}`, 160)}\``));
  for (const l of (c.links ?? []).slice(0, 2)) about.push(`[${mdInline(shortLink(l), 60)}](${l})`);
  if (about.length) body.push(about.join(' · '));
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
  if (log && logLines > 0 && log.totalLines > 0) {
    const lines = decidingLines(log, c.matchedLines, logLines);
    const width = String(lines[lines.length - 1]?.n ?? 1).length;
    const what = c.matchedLines?.length
      ? 'the serial lines that decided (▶ matched an expectation)'
      : 'the last serial lines';
    body.push(
      `${what}, ${mdInline(c.serialLog ?? '', 120)} (${n(log.totalLines)} lines):\n\n${fenced(lines.map((l) => `${l.matched ? '▶' : ' '}${String(l.n).padStart(width)}  ${l.text}`))}`,
    );
  }
  const timeline = cellTimeline(c);
  if (timeline.length) body.push(`the steps (board time, ✔ held ✘ failed ○ skipped · not run):\n\n${fenced(timeline)}`);
  if (c.rerun) body.push(`rerun it alone:\n\n\`\`\`sh\n${stripInvalidXml(c.rerun).replace(/\n/g, ' ')}\n\`\`\``);
  if (c.modelled) body.push(`${mdInline(c.modelled, 80)} (a twin's model of the module's firmware TLS)`);
  if (c.notes?.length) body.push(`notes:\n\n${c.notes.map((x) => `- ${mdInline(x, 300)}`).join('\n')}`);
  if (c.reproduce)
    body.push(
      `rebuild and reflash it by hand (the folder holds sketch.yaml):\n\n\`\`\`sh\n${stripInvalidXml(c.reproduce)}\n\`\`\``,
    );
  return `<details><summary>${summary}</summary>\n\n${body.join('\n\n')}\n\n</details>`;
}

/** "forum.arduino.cc" or "owner/repo#12" for a link's text. */
function shortLink(url: string): string {
  const u = /^https?:\/\/(?:www\.)?([^/]+)\/(.*)$/.exec(url);
  if (!u) return url;
  const gh = u[1] === 'github.com' ? /^([^/]+\/[^/]+)\/(?:issues|pull)\/(\d+)/.exec(u[2]!) : null;
  return gh ? `${gh[1]}#${gh[2]}` : u[1]!;
}

// ---------- assembly ----------

interface Layout {
  collapse: boolean;
  listLimit: number;
  tableLimit: number;
}
const LAYOUTS: Layout[] = [
  { collapse: false, listLimit: Number.MAX_SAFE_INTEGER, tableLimit: Number.MAX_SAFE_INTEGER },
  { collapse: true, listLimit: Number.MAX_SAFE_INTEGER, tableLimit: Number.MAX_SAFE_INTEGER },
  { collapse: true, listLimit: 50, tableLimit: 100 },
  { collapse: true, listLimit: 10, tableLimit: 30 },
];
const FOOTER_RESERVE = 1_000;

function gridSection(grid: Grid, g: GridRender): string {
  if (grid.rows.length === 0) return '';
  const notes: string[] = [];
  if (g.hiddenPassing > 0)
    notes.push(`_${n(g.hiddenPassing)} rows where every cell passed or was skipped are collapsed._`);
  if (g.flagged > 0) notes.push(`_${n(g.flagged)} rows where twin and hardware disagree (${DISAGREE_FLAG})._`);
  const title = `All cells: ${n(grid.rows.length)} scenario/variant rows × ${n(grid.cols.length)} boards${g.flagged ? `, ${n(g.flagged)} ${DISAGREE_FLAG}` : ''}`;
  return [
    `<details><summary>${htmlInline(title, 200)}</summary>`,
    '',
    g.lines.join('\n'),
    '',
    ...notes.flatMap((x) => [x, '']),
    '</details>',
  ].join('\n');
}

/** Cuts a section at a line boundary to `room` characters, closing an open <details>. */
function cutSection(text: string, room: number): { text: string; dropped: number } {
  const cutAt = text.lastIndexOf('\n', Math.max(0, room - 40));
  const kept = text.slice(0, Math.max(0, cutAt));
  const dropped = text
    .slice(kept.length)
    .split('\n')
    .filter((l) => l.trim() !== '' && l !== '</details>').length;
  const close = kept.includes('<details>') ? '\n\n</details>' : '';
  return { text: kept + close, dropped };
}

export function buildSummary(r: Results, opts: SummaryOptions = {}): string {
  const max = Math.min(opts.maxChars ?? COMMENT_LIMIT - 536, COMMENT_LIMIT - 1);
  const logLines = opts.logLines ?? 12;
  const grid = buildGrid(r.cells);
  const head = header(r, opts.artifactUrl);
  const bad = badCells(r);
  const omitted: string[] = [];

  let table = { text: '', cut: 0 };
  let changes = { text: '', cut: 0 };
  let gridR: GridRender = { lines: [], hiddenPassing: 0, flagged: 0 };
  let gridText = '';
  const size = (): number => head.length + table.text.length + changes.text.length + gridText.length + FOOTER_RESERVE;
  for (const layout of LAYOUTS) {
    table = failureTable(r, bad, layout.tableLimit);
    changes = opts.baseline ? renderChanges(r, opts.baseline, layout.listLimit) : { text: '', cut: 0 };
    gridR = renderGrid(grid, layout.collapse);
    gridText = gridSection(grid, gridR);
    if (size() <= max) break;
  }
  if (table.cut > 0) omitted.push(`${n(table.cut)} rows of the failures table`);
  if (changes.cut > 0) omitted.push(`${n(changes.cut)} entries of the baseline lists`);
  if (gridR.hiddenPassing > 0) omitted.push(`${n(gridR.hiddenPassing)} all-passing grid rows`);
  // Last resort: the grid, then the lists, are cut at a line boundary.
  for (const part of ['grid', 'changes'] as const) {
    const over = size() - max;
    if (over <= 0) break;
    const text = part === 'grid' ? gridText : changes.text;
    const cut = cutSection(text, text.length - over);
    if (part === 'grid') gridText = cut.text;
    else changes = { ...changes, text: cut.text };
    omitted.push(
      `the last ${n(cut.dropped)} lines of the ${part === 'grid' ? 'grid' : 'baseline lists'} (text truncated)`,
    );
  }

  // Failure details go in while they fit, in table order; a block that does not fit gets 4 log lines.
  const details: string[] = [];
  let used = size() + 40;
  let shortened = 0;
  for (const c of bad) {
    let block = detailBlock(r, c, opts.logs, logLines);
    if (used + block.length + 2 > max && logLines > 4) {
      block = detailBlock(r, c, opts.logs, 4);
      shortened++;
    }
    if (used + block.length + 2 > max) break;
    details.push(block);
    used += block.length + 2;
  }
  if (details.length < bad.length)
    omitted.push(`failure details for ${n(bad.length - details.length)} of ${n(bad.length)} failing cells`);
  if (shortened > 0 && details.length > 0)
    omitted.push(`serial excerpts shortened to 4 lines for ${n(Math.min(shortened, details.length))} failures`);

  const sections = [head, table.text, details.join('\n\n'), changes.text, gridText].filter((x) => x !== '');
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
