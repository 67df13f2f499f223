// report.html: one self-contained file (inline CSS and JS, a CSP that forbids any network access).
// All run data travels as JSON inside <script type="application/json"> with `<`, `>` and `&` escaped
// as \u003c… so serial output such as `</script><script>` cannot close the element; the page script
// only ever puts data into the DOM through textContent. matchedLines are 0-based indices into the
// serial lines (as rig/outcome/expect.ts produces them); the page shows 1-based line numbers. Logs are rendered when a cell is expanded,
// which keeps 5,000-cell runs fast to open.
import type { Results } from '../results/schema.ts';
import { columnKey, runDurationMs, totals } from './cells.ts';
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

const CSS = `
:root{--bg:#fff;--fg:#1f2328;--mut:#656d76;--bd:#d0d7de;--hl:#fff8c5;--bad:#ffebe9;--row:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--mut:#8d96a0;--bd:#30363d;--hl:#3b2e00;--bad:#3c1618;--row:#161b22}}
*{box-sizing:border-box}body{margin:0;padding:16px 24px;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:20px 0 8px}.meta{color:var(--mut);margin:2px 0}
table{border-collapse:collapse}th,td{border:1px solid var(--bd);padding:3px 6px;text-align:left;vertical-align:top}
th{background:var(--row);position:sticky;top:0}
#filters{display:flex;flex-wrap:wrap;gap:12px;align-items:center;padding:8px 0;position:sticky;top:0;background:var(--bg);z-index:2;border-bottom:1px solid var(--bd)}
#filters label{white-space:nowrap}#f-text{width:260px}
.grid td.g{cursor:pointer;white-space:nowrap}.grid td.g:hover{outline:2px solid #0969da}
.flag{color:#bf8700;font-weight:600}.mono,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
#cells tr.row{cursor:pointer}#cells tr.row:hover{background:var(--row)}#cells tr.s-fail,#cells tr.s-error{background:var(--bad)}
td.reason{max-width:640px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.detail{padding:8px;background:var(--bg)}.detail h3{font-size:13px;margin:10px 0 4px}
pre.log{margin:0;max-height:480px;overflow:auto;border:1px solid var(--bd);padding:4px 0;white-space:pre}
pre.log span{display:block;padding:0 8px}pre.log span.m{background:var(--hl);font-weight:600}
pre.log span i{display:inline-block;min-width:5ch;color:var(--mut);font-style:normal;user-select:none;margin-right:8px;text-align:right}
.gap{color:var(--mut);font-style:italic}.count{color:var(--mut)}
.st{display:inline-block;min-width:4.6em;padding:0 6px;border-radius:9px;font-size:12px;font-weight:600;text-align:center;color:#fff}
.st-pass{background:#1a7f37}.st-fail{background:#cf222e}.st-error{background:#8250df}.st-skip{background:#6e7781}.st-flaky{background:#9a6700}.st-quarantined{background:#0969da}
`;

// Plain ES2017, no dependencies. Every piece of run data reaches the DOM through textContent.
const JS = `
(function(){'use strict';
var data=JSON.parse(document.getElementById('rig-data').textContent);
function el(t,c,x){var e=document.createElement(t);if(c)e.className=c;if(x!==undefined&&x!==null)e.textContent=String(x);return e;}
function badge(s){return el('span','st st-'+s,s);}
function st(c){return c.quarantine?'quarantined':c.status;}
function col(c){var id=c.id,h=id.lastIndexOf('#');if(h>id.lastIndexOf('/'))id=id.slice(0,h);return id.slice(id.lastIndexOf('/')+1)||c.board;}
function code(c){if(c.outcome.code)return c.outcome.code.replace(/^mbedtls:/,'');return (c.status==='pass'||c.status==='flaky'||c.status==='skip'||c.outcome.kind==='none')?'':c.outcome.kind;}
var cells=data.cells,n=cells.length,i;
for(i=0;i<n;i++){var c=cells[i];c._s=st(c);c._col=col(c);c._q=(c.id+' '+(c.reason||'')+' '+(c.outcome.code||'')+' '+c.outcome.kind).toLowerCase();}
// ---- filters
var boardSel=document.getElementById('f-board'),text=document.getElementById('f-text'),shown=document.getElementById('shown');
var cols=[];cells.forEach(function(c){if(cols.indexOf(c._col)<0)cols.push(c._col);});
cols.forEach(function(b){var o=el('option',null,b);o.value=b;boardSel.appendChild(o);});
var statusBoxes=document.querySelectorAll('#filters input[type=checkbox]');
// ---- cell list
var body=document.getElementById('cells-body'),rows=new Array(n),frag=document.createDocumentFragment();
for(i=0;i<n;i++){(function(c,i){
  var tr=el('tr','row s-'+c._s);
  var b0=el('td');b0.appendChild(badge(c._s));tr.appendChild(b0);tr.appendChild(el('td','mono',c.id));tr.appendChild(el('td',null,c.target));
  tr.appendChild(el('td','mono',code(c)));var r=el('td','reason',c.reason||'');r.title=c.reason||'';tr.appendChild(r);
  tr.appendChild(el('td',null,(c.durationMs/1000).toFixed(1)+' s'+(c.attempts>1?' ×'+c.attempts:'')));
  tr.addEventListener('click',function(){toggle(tr,c);});rows[i]=tr;frag.appendChild(tr);})(cells[i],i);}
body.appendChild(frag);
function apply(){
  var want={};for(var k=0;k<statusBoxes.length;k++)want[statusBoxes[k].value]=statusBoxes[k].checked;
  var b=boardSel.value,q=text.value.trim().toLowerCase(),count=0;
  for(var j=0;j<n;j++){var c=cells[j],ok=want[c._s]&&(!b||c._col===b)&&(!q||c._q.indexOf(q)>=0);
    rows[j].hidden=!ok;if(rows[j]._detail)rows[j]._detail.hidden=!ok;if(ok)count++;}
  shown.textContent='showing '+count+' of '+n;
}
var timer=0;text.addEventListener('input',function(){clearTimeout(timer);timer=setTimeout(apply,120);});
boardSel.addEventListener('change',apply);for(i=0;i<statusBoxes.length;i++)statusBoxes[i].addEventListener('change',apply);
// ---- details (rendered on first expand)
function kv(tbl,k,v){var tr=el('tr');tr.appendChild(el('th',null,k));tr.appendChild(el('td','mono',v));tbl.appendChild(tr);}
function logView(path,matched){
  var log=data.logs[path];var box=document.createDocumentFragment();
  if(!log){box.appendChild(el('div','gap','log file missing: '+path));return box;}
  var m={};(matched||[]).forEach(function(x){m[x+1]=1;});
  var pre=el('pre','log');
  function line(num,t){var s=el('span',m[num]?'m':null);s.appendChild(el('i',null,num));s.appendChild(document.createTextNode(t));pre.appendChild(s);}
  var k;for(k=0;k<log.head.length;k++)line(k+1,log.head[k]);
  if(log.tail.length){var omitted=log.tailStart-1-log.head.length;if(omitted>0)pre.appendChild(el('span','gap','… '+omitted+' lines omitted (full log: '+path+' in the run artifact) …'));
    for(k=0;k<log.tail.length;k++)line(log.tailStart+k,log.tail[k]);}
  box.appendChild(el('div','count',path+' — '+log.totalLines+' lines'+(matched&&matched.length?', '+matched.length+' matched expectations (highlighted)':'')));
  box.appendChild(pre);return box;
}
function detail(c){
  var d=el('div','detail');
  var t=el('table');kv(t,'id',c.id);kv(t,'status',c._s+(c.attempts>1?' after '+c.attempts+' attempts':''));
  if(c.expected)kv(t,'expected',JSON.stringify(c.expected));
  kv(t,'got',[c.outcome.kind,c.outcome.code,c.outcome.detail].filter(Boolean).join(' · '));
  if(c.outcome.facts&&c.outcome.facts.length)kv(t,'facts',c.outcome.facts.join('\\n'));
  if(c.reason)kv(t,'reason',c.reason);
  if(c.quarantine){var tr=el('tr');tr.appendChild(el('th',null,'quarantined'));var td=el('td');
    if(/^https?:\\/\\//.test(c.quarantine)){var a=el('a',null,c.quarantine);a.setAttribute('href',c.quarantine);a.setAttribute('rel','noreferrer');td.appendChild(a);}else td.textContent=c.quarantine;
    tr.appendChild(td);t.appendChild(tr);}
  d.appendChild(t);
  if(c.failures&&c.failures.length){d.appendChild(el('h3',null,'Failures'));var ul=el('ul');c.failures.forEach(function(f){ul.appendChild(el('li','mono',f));});d.appendChild(ul);}
  var tm=el('table');kv(tm,'total',c.durationMs+' ms');if(c.timings)Object.keys(c.timings).forEach(function(k){kv(tm,k,c.timings[k]+' ms');});
  d.appendChild(el('h3',null,'Timings'));d.appendChild(tm);
  if(c.certificates&&c.certificates.length){d.appendChild(el('h3',null,'Certificates'));var ct=el('table'),h=el('tr');
    ['name','subject','issuer','SAN','valid','key','signature','CA'].forEach(function(x){h.appendChild(el('th',null,x));});ct.appendChild(h);
    c.certificates.forEach(function(x){var r=el('tr');[x.name,x.subject,x.issuer,(x.san||[]).join(', '),x.notBefore+' → '+x.notAfter,x.key,x.signature,x.isCA?'yes':'no'].forEach(function(v){r.appendChild(el('td','mono',v));});ct.appendChild(r);});
    d.appendChild(ct);}
  if(c.serialLog){d.appendChild(el('h3',null,'Serial log'));d.appendChild(logView(c.serialLog,c.matchedLines));}
  if(c.brokerLog){d.appendChild(el('h3',null,'Broker log'));d.appendChild(logView(c.brokerLog,null));}
  return d;
}
function toggle(tr,c){
  if(tr._detail){tr._detail.remove();tr._detail=null;return;}
  var dr=el('tr'),td=el('td');td.colSpan=6;td.appendChild(detail(c));dr.appendChild(td);tr.after(dr);tr._detail=dr;
}
// ---- grid: rows scenario/variant, columns board
var gridRows=[],gmap={};cells.forEach(function(c,j){var r=c.scenario+'/'+c.variant;if(!gmap[r]){gmap[r]={};gridRows.push(r);}(gmap[r][c._col]=gmap[r][c._col]||[]).push(j);});
gridRows.sort();
var gt=document.getElementById('grid'),hr=el('tr');hr.appendChild(el('th',null,'scenario / variant'));cols.forEach(function(b){hr.appendChild(el('th',null,b));});gt.appendChild(hr);
var gf=document.createDocumentFragment();
gridRows.forEach(function(r){var tr=el('tr');tr.appendChild(el('td','mono',r));
  cols.forEach(function(b){var ids=gmap[r][b]||[],td=el('td','g');
    ids.forEach(function(j,k){var c=cells[j],x=code(c);if(k>0)td.appendChild(document.createTextNode(' · '));
      if(ids.length>1)td.appendChild(document.createTextNode((c.target==='hardware'?'hw':c.target)+' '));
      td.appendChild(badge(c._s));if(x)td.appendChild(document.createTextNode(' '+x));});
    var tw=null,hw=null;ids.forEach(function(j){if(cells[j].target==='twin')tw=cells[j];if(cells[j].target==='hardware')hw=cells[j];});
    if(tw&&hw&&tw._s!=='skip'&&hw._s!=='skip'&&tw._s!=='quarantined'&&hw._s!=='quarantined'){
      var g1=tw.status==='pass'||tw.status==='flaky',g2=hw.status==='pass'||hw.status==='flaky';
      if(g1!==g2||tw.outcome.kind!==hw.outcome.kind)td.appendChild(el('span','flag',' ⚠ twin≠hardware'));}
    if(ids.length)td.addEventListener('click',function(){text.value=r+'/'+b.split('@')[0];apply();document.getElementById('cells').scrollIntoView();});
    tr.appendChild(td);});
  gf.appendChild(tr);});
gt.appendChild(gf);
apply();
})();
`;

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
  const statusBox = (s: string, count: number): string =>
    `<label><input type="checkbox" value="${s}" checked> <span class="st st-${s}">${s}</span> (${count})</label>`;
  const data = { run: results.run, cells: results.cells, logs };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Rig report ${escapeHtml(r.id)}</title>
<style>${CSS}</style></head>
<body>
<h1>Rig report: ${t.total} cells — ${t.pass} passed · ${t.fail} failed · ${t.error} errors · ${t.skip} skipped · ${t.flaky} flaky · ${t.quarantined} quarantined</h1>
<p class="meta">${escapeHtml(meta)}</p>
${versions ? `<p class="meta">Versions: ${escapeHtml(versions)}</p>` : ''}
${r.interrupted ? '<p class="flag">The run was interrupted; cells not reached are missing.</p>' : ''}
<div id="filters">
${statusBox('pass', t.pass)}${statusBox('fail', t.fail)}${statusBox('error', t.error)}${statusBox('skip', t.skip)}${statusBox('flaky', t.flaky)}${statusBox('quarantined', t.quarantined)}
<label>board <select id="f-board"><option value="">all (${boards.size})</option></select></label>
<label>text <input id="f-text" type="search" placeholder="id, reason, code…"></label>
<span id="shown" class="count"></span>
</div>
<h2>Grid</h2>
<table id="grid" class="grid"></table>
<h2 id="cells">Cells</h2>
<table><thead><tr><th></th><th>id</th><th>target</th><th>code</th><th>reason</th><th>time</th></tr></thead><tbody id="cells-body"></tbody></table>
<noscript><p>The grid and cell list need JavaScript; results.json and junit.xml hold the same data.</p></noscript>
<script type="application/json" id="rig-data">${scriptJson(data)}</script>
<script>${JS}</script>
</body></html>
`;
}
