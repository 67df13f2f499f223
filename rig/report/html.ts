// report.html: one self-contained file (inline CSS and JS, a CSP that forbids any network access), failures
// first: the verdict, then a card per failing cell (expected vs got, the serial lines that decided, the
// scenario line, the rerun command, the forum thread, the full serial log one click away), then the grid
// (folded) and the list of all cells. Status, board and text filters act on all three and live in the URL.
// All run data travels as JSON inside <script type="application/json"> with `<`, `>` and `&` escaped
// as \u003c… so serial output such as `</script><script>` cannot close the element; the page script
// only ever puts data into the DOM through textContent. matchedLines are 0-based indices into the
// serial lines (as rig/outcome/expect.ts produces them); the page shows 1-based line numbers. Logs are rendered when a cell is expanded,
// which keeps 5,000-cell runs fast to open.
import { cellTimeline } from './timeline.ts';
import type { Results } from '../results/schema.ts';
import { columnKey, runDurationMs, totals, verdictLine } from './cells.ts';
import { CSS, JS } from './html-page.ts';
import type { LogStore, LogText } from './logs.ts';

export interface HtmlOptions {
  logs?: LogStore;
  /** Lines kept per log for failing cells / other cells (head quarter + tail rest). */
  maxLogLinesBad?: number;
  maxLogLinesGood?: number;
}

interface EmbeddedLog {
  head: string[];
  tail: string[];
  tailStart: number;
  totalLines: number;
}

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** JSON that is safe inside a <script> element whatever the strings contain. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function trimLog(log: LogText, maxLines: number): EmbeddedLog {
  const all = log.head.length + log.tail.length;
  if (all <= maxLines) return { head: log.head, tail: log.tail, tailStart: log.tailStart, totalLines: log.totalLines };
  const keepHead = Math.floor(maxLines / 4);
  const keepTail = maxLines - keepHead;
  const head = log.head.slice(0, keepHead);
  const joined = log.tail.length > 0 ? log.tail : log.head;
  const joinedStart = log.tail.length > 0 ? log.tailStart : 1;
  const tail = joined.slice(Math.max(0, joined.length - keepTail));
  return { head, tail, tailStart: joinedStart + joined.length - tail.length, totalLines: log.totalLines };
}

export function buildHtml(results: Results, opts: HtmlOptions = {}): string {
  const maxBad = opts.maxLogLinesBad ?? 20_000;
  const maxGood = opts.maxLogLinesGood ?? 2_000;
  const logs: Record<string, EmbeddedLog> = {};
  const embed = (rel: string | undefined, max: number): void => {
    if (!rel || !opts.logs) return;
    const log = opts.logs.get(rel);
    if (!log) return;
    const prev = logs[rel];
    const next = trimLog(log, max);
    if (!prev || next.head.length + next.tail.length > prev.head.length + prev.tail.length) logs[rel] = next;
  };
  for (const c of results.cells) {
    const bad = c.status === 'fail' || c.status === 'error';
    embed(c.serialLog, bad ? maxBad : maxGood);
    embed(c.brokerLog, bad ? maxBad : maxGood);
  }
  const t = totals(results.cells);
  const r = results.run;
  const d = runDurationMs(results);
  const boards = new Set(results.cells.map(columnKey));
  const meta = [
    r.commit ? `commit ${r.commit.slice(0, 10)}` : '',
    `run ${r.id}`,
    `targets ${r.target.join(', ')}`,
    r.broker
      ? `broker ${r.broker.provider}${r.broker.version ? ` ${r.broker.version}` : ''}${r.broker.image ? ` (${r.broker.image})` : ''}`
      : '',
    `rig ${r.rigVersion}`,
    `started ${r.startedAt}${d !== undefined ? `, took ${(d / 1000).toFixed(1)} s` : ''}`,
    r.host ? `host ${r.host}` : '',
    r.shard ? `shard ${r.shard}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const versions = Object.entries(r.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const v = verdictLine(t);
  const statusBox = (s: string, count: number): string =>
    `<label title="${LEGEND[s]}"><input type="checkbox" value="${s}" checked> <span class="st st-${s}">${s}</span> ${count}</label>`;
  // A cell's steps as the timeline text every report shows (rig/report/timeline.ts); the page prints it as is.
  const cells = results.cells.map((c) => (c.steps?.length ? { ...c, _timeline: cellTimeline(c).join('\n') } : c));
  const data = { run: results.run, cells, logs };
  const failing = t.fail + t.error;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>${v.ok ? '✔' : '✘'} Rig report ${escapeHtml(r.id)}</title>
<style>${CSS}</style></head>
<body>
<header class="verdict ${v.ok ? 'good' : 'bad'}">
<h1>${v.ok ? '✔' : t.total === 0 ? '⚠' : '✘'} ${escapeHtml(v.text)} — ${t.total} cell${t.total === 1 ? '' : 's'}</h1>
<p class="meta">${t.pass} passed · ${t.fail} failed · ${t.error} errors · ${t.skip} skipped · ${t.flaky} flaky · ${t.quarantined} quarantined</p>
</header>
<p class="meta">${escapeHtml(meta)}</p>
${versions ? `<p class="meta">Versions: ${escapeHtml(versions)}</p>` : ''}
${r.interrupted ? '<p class="flag">The run was interrupted; cells not reached are missing.</p>' : ''}
<div id="filters">
${statusBox('fail', t.fail)}${statusBox('error', t.error)}${statusBox('quarantined', t.quarantined)}${statusBox('flaky', t.flaky)}${statusBox('pass', t.pass)}${statusBox('skip', t.skip)}
<label>board <select id="f-board"><option value="">all (${boards.size})</option></select></label>
<label>text <input id="f-text" type="search" placeholder="id, reason, code…"></label>
<span id="shown" class="count"></span>
</div>
<p class="legend">${Object.entries(LEGEND)
    .map(([s, what]) => `<span class="st st-${s}">${s}</span> ${what}`)
    .join(' · ')}</p>
<section id="failures"><h2>Failures (${failing})${t.quarantined ? ` and quarantined (${t.quarantined})` : ''}</h2>
<div id="fail-list"></div><p id="none" hidden></p></section>
<details id="grid-box"${failing === 0 ? ' open' : ''}><summary><b>Grid</b>: scenario/variant × board, <span id="grid-count"></span></summary>
<div class="scroll"><table id="grid" class="grid"></table></div></details>
<details id="cells"><summary><b>All cells</b> (${t.total})</summary>
<div class="scroll"><table><thead><tr><th></th><th>cell</th><th class="opt">target</th><th class="opt">code</th><th>reason</th><th class="opt">time</th></tr></thead><tbody id="cells-body"></tbody></table></div></details>
<noscript><p>The failures, grid and cell list need JavaScript; results.json and junit.xml hold the same data.</p></noscript>
<script type="application/json" id="rig-data">${scriptJson(data)}</script>
<script>${JS}</script>
</body></html>
`;
}

/** What each status means, shown as the legend and on the filter boxes. */
const LEGEND: Record<string, string> = {
  pass: 'expectation met',
  fail: 'an expectation not met',
  error: "the rig's problem (build, broker, port, hung target)",
  skip: 'not run (e.g. hardware only)',
  flaky: 'passed on a retry',
  quarantined: 'a known failure; does not fail the run',
};
