// history.html: the nightly history as one self-contained page (no network, a CSP that forbids it). A row
// per cell, failing now first: a square per run, oldest left, then when it last changed, its flaky rate and,
// for a cell failing now, the first night of the streak with what changed that night. Rendered server-side
// (every string escaped); a few lines of script only hide rows for the filters.
import type { HistoryCell, HistoryFile, State } from './history.ts';
import { escapeHtml } from './html.ts';

const LETTER: Record<string, string> = { pass: '✔', fail: '✘', error: '!', skip: '-', flaky: '~', quarantined: 'q' };

const CSS = `
:root{--bg:#fff;--fg:#1f2328;--mut:#656d76;--bd:#d0d7de;--row:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--mut:#8d96a0;--bd:#30363d;--row:#161b22}}
*{box-sizing:border-box}body{margin:0;padding:12px 16px;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,sans-serif;overflow-wrap:anywhere}
h1{font-size:20px;margin:0 0 4px}.meta{color:var(--mut);margin:2px 0}.scroll{overflow-x:auto}
table{border-collapse:collapse}th,td{border:1px solid var(--bd);padding:3px 6px;text-align:left;vertical-align:top}th{background:var(--row)}
td.runs{white-space:nowrap;font-family:ui-monospace,monospace;font-size:12px}
.sq{display:inline-block;width:1.5em;height:1.5em;line-height:1.5em;text-align:center;margin-right:1px;border-radius:3px;color:#fff}
.s-pass{background:#1a7f37}.s-fail{background:#cf222e}.s-error{background:#8250df}.s-skip{background:#6e7781}.s-flaky{background:#9a6700}.s-quarantined{background:#0969da}.s-none{background:transparent;color:var(--mut);border:1px dashed var(--bd)}
tr.now-bad td:first-child{border-left:4px solid #cf222e}.mono{font-family:ui-monospace,monospace;font-size:12px}
ul{margin:0;padding-left:18px}.nw{white-space:nowrap}#filters{display:flex;flex-wrap:wrap;gap:6px 14px;margin:8px 0}
`;

const JS = `(function(){'use strict';
var rows=[].slice.call(document.querySelectorAll('#cells tbody tr')),only=document.getElementById('only'),q=document.getElementById('q'),shown=document.getElementById('shown');
if(!rows.some(function(r){return r.getAttribute('data-notable')==='1';}))only.checked=false;
function apply(){var t=q.value.trim().toLowerCase(),n=0;rows.forEach(function(r){var ok=(!only.checked||r.getAttribute('data-notable')==='1')&&(!t||r.textContent.toLowerCase().indexOf(t)>=0);r.hidden=!ok;if(ok)n++;});shown.textContent='showing '+n+' of '+rows.length;}
only.addEventListener('change',apply);q.addEventListener('input',apply);apply();})();`;

function square(s: State, run: string): string {
  const cls = s ?? 'none';
  return `<span class="sq s-${cls}" title="${escapeHtml(`${run}: ${s ?? 'not in this run'}`)}">${s ? LETTER[s] : '·'}</span>`;
}

function row(c: HistoryCell, h: HistoryFile): string {
  const runName = (i: number): string => h.runs[i]?.startedAt.slice(0, 16).replace('T', ' ') ?? '';
  const now = c.current === 'fail' || c.current === 'error';
  const notable = now || c.flakyRate > 0 || c.flips > 0;
  const change = c.lastChange
    ? `${escapeHtml(runName(c.lastChange.index))}: ${escapeHtml(c.lastChange.from ?? 'new')} → ${escapeHtml(c.lastChange.to ?? '—')}`
    : 'never';
  const flaky = c.ran
    ? `${Math.round(c.flakyRate * 100)}%${c.flips ? `, ${c.flips} flip${c.flips > 1 ? 's' : ''}` : ''}`
    : '—';
  const first = c.firstFailure
    ? `<b>${escapeHtml(runName(c.firstFailure.index))}</b> (${escapeHtml(c.firstFailure.run)})${
        c.firstFailure.changes.length
          ? `<ul>${c.firstFailure.changes.map((x) => `<li><b>${x.what}</b>: ${escapeHtml(x.detail)}</li>`).join('')}</ul>`
          : c.firstFailure.since
            ? '<br>nothing the rig records changed since the run before'
            : '<br>failing since the first run in this history'
      }`
    : '';
  return `<tr class="${now ? 'now-bad' : ''}" data-notable="${notable ? 1 : 0}"><td><span class="mono">${escapeHtml(c.id)}</span>${c.target === 'hardware' ? ' (hardware)' : ''}${c.title ? `<br><small>${escapeHtml(c.title)}</small>` : ''}</td><td class="runs">${c.states.map((s, i) => square(s, h.runs[i]?.id ?? '')).join('')}</td><td class="nw">${c.current ?? '—'}</td><td>${change}</td><td>${flaky}</td><td>${first}</td></tr>`;
}

export function buildHistoryHtml(h: HistoryFile): string {
  const failing = h.cells.filter((c) => c.current === 'fail' || c.current === 'error').length;
  const flaky = h.cells.filter((c) => c.flakyRate > 0 || c.flips > 0).length;
  const span = h.runs.length
    ? `${h.runs[0]!.startedAt.slice(0, 10)} to ${h.runs[h.runs.length - 1]!.startedAt.slice(0, 10)}`
    : 'no runs';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Rig history: ${failing} failing, ${flaky} flaky over ${h.runs.length} runs</title>
<style>${CSS}</style></head><body>
<h1>${failing ? '✘' : '✔'} ${failing} failing now, ${flaky} flaky or flipping — ${h.cells.length} cells over ${h.runs.length} runs</h1>
<p class="meta">${escapeHtml(span)} · oldest run left, newest right · ✔ pass ✘ fail ! error (the rig's) - skip ~ flaky q quarantined · generated ${escapeHtml(h.generatedAt)}</p>
<div id="filters"><label><input type="checkbox" id="only" checked> only failing now, flaky or flipping</label><label>text <input id="q" type="search"></label><span id="shown" class="meta"></span></div>
<div class="scroll"><table id="cells"><thead><tr><th>cell</th><th>runs</th><th>now</th><th>last changed</th><th>flaky</th><th>first failed, and what changed that run</th></tr></thead>
<tbody>${h.cells.map((c) => row(c, h)).join('\n')}</tbody></table></div>
<script>${JS}</script>
</body></html>
`;
}
