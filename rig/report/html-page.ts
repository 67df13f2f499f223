// The stylesheet and script of report.html, kept apart from the data assembly in html.ts. Plain ES2017, no
// dependencies; every piece of run data reaches the DOM through textContent, never as markup.

export const CSS = `
:root{--bg:#fff;--fg:#1f2328;--mut:#656d76;--bd:#d0d7de;--hl:#fff8c5;--bad:#ffebe9;--badbd:#ff8182;--ok:#dafbe1;--row:#f6f8fa;--link:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--mut:#8d96a0;--bd:#30363d;--hl:#3b2e00;--bad:#3c1618;--badbd:#8e1519;--ok:#0f2d1a;--row:#161b22;--link:#4493f8}}
*{box-sizing:border-box}html{-webkit-text-size-adjust:100%}
body{margin:0;padding:12px 16px;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;overflow-wrap:anywhere}
a{color:var(--link)}h1{font-size:20px;margin:0}h2{font-size:16px;margin:16px 0 8px}
.verdict{padding:8px 12px;border-radius:6px;border:1px solid var(--bd);margin-bottom:8px}
.verdict.bad{background:var(--bad);border-color:var(--badbd)}.verdict.good{background:var(--ok)}
.meta{color:var(--mut);margin:2px 0;font-size:13px}.legend{color:var(--mut);font-size:12px;margin:4px 0 0}
table{border-collapse:collapse}th,td{border:1px solid var(--bd);padding:3px 6px;text-align:left;vertical-align:top}
th{background:var(--row)}
.scroll{overflow-x:auto;max-width:100%}
#filters{display:flex;flex-wrap:wrap;gap:6px 12px;align-items:center;padding:6px 0;background:var(--bg);z-index:2;border-bottom:1px solid var(--bd)}
@media (min-width:700px){#filters{position:sticky;top:0}}
#filters label{white-space:nowrap}#f-text{width:14em;max-width:100%}
.grid td.g{cursor:pointer;white-space:nowrap}.grid td.g:hover{outline:2px solid var(--link)}
.grid tr.bad td:first-child{border-left:4px solid #cf222e}
.flag{color:#bf8700;font-weight:600}.mono,pre,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
#cells-body tr.row{cursor:pointer}#cells-body tr.row:hover{background:var(--row)}
#cells-body tr.s-fail,#cells-body tr.s-error{background:var(--bad)}
td.reason{max-width:640px}
.detail{padding:8px;background:var(--bg)}.detail h3{font-size:13px;margin:10px 0 4px}
pre.log{margin:0;max-height:480px;overflow:auto;border:1px solid var(--bd);padding:4px 0;white-space:pre}
pre.log span{display:block;padding:0 8px}pre.log span.m{background:var(--hl);font-weight:600}
pre.log span i{display:inline-block;min-width:4ch;color:var(--mut);font-style:normal;user-select:none;margin-right:8px;text-align:right}
.gap{color:var(--mut);font-style:italic}.count{color:var(--mut)}
.st{display:inline-block;min-width:4.6em;padding:0 6px;border-radius:9px;font-size:12px;font-weight:600;text-align:center;color:#fff}
.st-pass{background:#1a7f37}.st-fail{background:#cf222e}.st-error{background:#8250df}.st-skip{background:#6e7781}.st-flaky{background:#9a6700}.st-quarantined{background:#0969da}
.card{border:1px solid var(--badbd);border-left:6px solid #cf222e;border-radius:6px;padding:8px 10px;margin:0 0 10px;background:var(--bg)}
.card.s-error{border-left-color:#8250df}.card.s-quarantined{border-left-color:#0969da;border-color:var(--bd)}
.card .ch{font-weight:600}.card .ti{color:var(--mut);margin:2px 0}
.card dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;margin:6px 0}.card dt{color:var(--mut)}.card dd{margin:0}
.card ul{margin:4px 0;padding-left:20px}.card .where{font-size:13px;margin:4px 0}
.rerun{display:flex;gap:6px;align-items:flex-start;margin:6px 0}.rerun code{flex:1;min-width:0;background:var(--row);padding:4px 6px;border-radius:4px;white-space:pre-wrap;word-break:break-all}
.card details{margin-top:6px}.card summary{cursor:pointer;color:var(--link)}
#none{color:var(--mut)}
@media (max-width:699px){body{padding:8px}th.opt,td.opt{display:none}}
`;

export const JS = `
(function(){'use strict';
var data=JSON.parse(document.getElementById('rig-data').textContent);
var run=data.run,cells=data.cells,n=cells.length,i;
function el(t,c,x){var e=document.createElement(t);if(c)e.className=c;if(x!==undefined&&x!==null)e.textContent=String(x);return e;}
function badge(s){return el('span','st st-'+s,s);}
function st(c){return c.quarantine?'quarantined':c.status;}
function col(c){var id=c.id,h=id.lastIndexOf('#');if(h>id.lastIndexOf('/'))id=id.slice(0,h);return id.slice(id.lastIndexOf('/')+1)||c.board;}
function code(c){if(c.outcome.code)return c.outcome.code.replace(/^mbedtls:/,'');return (c.status==='pass'||c.status==='flaky'||c.status==='skip'||c.outcome.kind==='none')?'':c.outcome.kind;}
function got(c){var o=c.outcome,b=o.brokerReason?'broker: '+o.brokerReason+(o.refinedKind?' → '+o.refinedKind:''):'';return [o.kind,o.code,o.detail,b].filter(function(x){return x&&x!=='none';}).join(' · ')||'nothing';}
function expected(c){if(!c.expected)return '';return Object.keys(c.expected).map(function(k){var v=c.expected[k];return k+': '+(typeof v==='string'?v:JSON.stringify(v));}).join(', ');}
function bad(c){return !c.quarantine&&(c.status==='fail'||c.status==='error');}
function link(href,text){var a=el('a',null,text);if(/^https?:\\/\\//.test(href)){a.setAttribute('href',href);a.setAttribute('rel','noreferrer noopener');a.setAttribute('target','_blank');}return a;}
for(i=0;i<n;i++){var c0=cells[i];c0._s=st(c0);c0._col=col(c0);c0._i=i;c0._q=(c0.id+' '+(c0.reason||'')+' '+(c0.outcome.code||'')+' '+c0.outcome.kind+' '+(c0.title||'')).toLowerCase();}
// ---- filters, kept in the URL (#status=fail,error&board=esp32&q=text)
var boardSel=document.getElementById('f-board'),text=document.getElementById('f-text'),shown=document.getElementById('shown');
var boxes=document.querySelectorAll('#filters input[type=checkbox]');
var cols=[];cells.forEach(function(c){if(cols.indexOf(c._col)<0)cols.push(c._col);});
cols.forEach(function(b){var o=el('option',null,b);o.value=b;boardSel.appendChild(o);});
function readHash(){var h={};location.hash.replace(/^#/,'').split('&').forEach(function(p){var k=p.indexOf('=');if(k>0)h[decodeURIComponent(p.slice(0,k))]=decodeURIComponent(p.slice(k+1));});
  if(h.status!==undefined){var want=h.status.split(',');for(var k=0;k<boxes.length;k++)boxes[k].checked=want.indexOf(boxes[k].value)>=0;}
  else for(var k2=0;k2<boxes.length;k2++)boxes[k2].checked=true;
  boardSel.value=h.board&&cols.indexOf(h.board)>=0?h.board:'';text.value=h.q||'';return h;}
function writeHash(){var parts=[],on=[],all=true;for(var k=0;k<boxes.length;k++){if(boxes[k].checked)on.push(boxes[k].value);else all=false;}
  if(!all)parts.push('status='+on.join(','));if(boardSel.value)parts.push('board='+encodeURIComponent(boardSel.value));
  if(text.value.trim())parts.push('q='+encodeURIComponent(text.value.trim()));
  var want=parts.length?'#'+parts.join('&'):'';if(want!==location.hash)history.replaceState(null,'',want||location.pathname+location.search);}
function matcher(){var want={};for(var k=0;k<boxes.length;k++)want[boxes[k].value]=boxes[k].checked;var b=boardSel.value,q=text.value.trim().toLowerCase();
  return function(c){return want[c._s]&&(!b||c._col===b)&&(!q||c._q.indexOf(q)>=0);};}
// ---- failures first: one card per failing, erroring or quarantined-bad cell
var failBox=document.getElementById('fail-list'),cards=[];
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
function deciding(c){var log=data.logs[c.serialLog];if(!log||!log.totalLines)return null;
  function at(x){return x<=log.head.length?log.head[x-1]:(x>=log.tailStart?log.tail[x-log.tailStart]:undefined);}
  var hits={},want=[],k;(c.matchedLines||[]).forEach(function(x){hits[x+1]=1;for(k=x;k<=x+2;k++)if(want.indexOf(k)<0)want.push(k);});
  want=want.filter(function(x){return x>=1&&x<=log.totalLines&&at(x)!==undefined;}).sort(function(a,b){return a-b;});
  if(!want.length){var last=log.tail.length?log.tailStart+log.tail.length-1:log.head.length;for(k=Math.max(1,last-7);k<=last;k++)want.push(k);}
  var pre=el('pre','log');want.slice(0,14).forEach(function(x){var s=el('span',hits[x]?'m':null);s.appendChild(el('i',null,x));s.appendChild(document.createTextNode(at(x)||''));pre.appendChild(s);});return pre;}
function lazy(summary,build){var d=el('details');d.appendChild(el('summary',null,summary));var done=false;
  d.addEventListener('toggle',function(){if(d.open&&!done){done=true;d.appendChild(build());}});return d;}
function extras(c){var d=document.createDocumentFragment(),t=el('table');kv(t,'id',c.id);kv(t,'attempts',c.attempts);kv(t,'time',c.durationMs+' ms');
  if(c.timings)Object.keys(c.timings).forEach(function(k){kv(t,k,c.timings[k]+' ms');});
  if(c.outcome.facts&&c.outcome.facts.length)kv(t,'facts',c.outcome.facts.join('\\n'));d.appendChild(t);
  if(c.certificates&&c.certificates.length){d.appendChild(el('h3',null,'Certificates'));var ct=el('table'),h=el('tr');
    ['name','subject','issuer','SAN','valid','key','signature','CA'].forEach(function(x){h.appendChild(el('th',null,x));});ct.appendChild(h);
    c.certificates.forEach(function(x){var r=el('tr');[x.name,x.subject,x.issuer,(x.san||[]).join(', '),x.notBefore+' → '+x.notAfter,x.key,x.signature,x.isCA?'yes':'no'].forEach(function(v){r.appendChild(el('td','mono',v));});ct.appendChild(r);});
    var sc=el('div','scroll');sc.appendChild(ct);d.appendChild(sc);}
  if(c.brokerLog){d.appendChild(el('h3',null,'Broker log'));d.appendChild(logView(c.brokerLog,null));}
  var w=el('div');w.appendChild(d);return w;}
function card(c){
  var a=el('article','card s-'+c._s);a.id='cell-'+c._i;
  var h=el('div','ch');h.appendChild(badge(c._s));h.appendChild(document.createTextNode(' '));h.appendChild(el('span','mono',c.scenario+'/'+c.variant));
  h.appendChild(document.createTextNode(' on '+c._col+' ('+c.target+')'));a.appendChild(h);
  if(c.title)a.appendChild(el('div','ti',c.title));
  var dl=el('dl');dl.appendChild(el('dt',null,'expected'));dl.appendChild(el('dd','mono',expected(c)||'(not recorded)'));
  dl.appendChild(el('dt',null,'got'));dl.appendChild(el('dd','mono',c.status==='error'&&c.reason?c.reason:got(c)));
  if(c.quarantine){dl.appendChild(el('dt',null,'quarantined'));var qd=el('dd');qd.appendChild(link(c.quarantine,c.quarantine));dl.appendChild(qd);}
  a.appendChild(dl);
  var fl=(c.failures||[]).filter(function(f){return f!==c.reason||c.status!=='error';});
  if(fl.length){var ul=el('ul');fl.slice(0,10).forEach(function(f){ul.appendChild(el('li','mono',f));});a.appendChild(ul);}
  var dec=deciding(c);if(dec){a.appendChild(el('div','count',(c.matchedLines&&c.matchedLines.length?'serial lines that decided (highlighted: matched an expectation)':'last serial lines')));a.appendChild(dec);}
  var where=el('div','where');
  if(c.location){var loc=c.location.file+':'+c.location.line;if(run.repoUrl&&run.commit&&c.location.file.charAt(0)!=='/')where.appendChild(link(run.repoUrl+'/blob/'+run.commit+'/'+encodeURI(c.location.file)+'#L'+c.location.line,loc));else where.appendChild(el('span','mono',loc));where.appendChild(document.createTextNode(' ('+c.location.field+')'));}
  (c.links||[]).forEach(function(l){where.appendChild(document.createTextNode(' · '));where.appendChild(link(l,l));});
  if(where.childNodes.length)a.appendChild(where);
  if(c.rerun){var rr=el('div','rerun'),cd=el('code',null,c.rerun),bt=el('button',null,'copy');bt.type='button';
    bt.addEventListener('click',function(){if(navigator.clipboard)navigator.clipboard.writeText(c.rerun).then(function(){bt.textContent='copied';},function(){bt.textContent='select it';});});
    rr.appendChild(cd);rr.appendChild(bt);a.appendChild(rr);}
  if(c.reproduce){var rp=el('div','rerun');rp.appendChild(el('code',null,c.reproduce));rp.title='rebuild and reflash it by hand';a.appendChild(rp);}
  if(c._timeline){a.appendChild(el('div','count','steps (board time; ✔ held ✘ failed ○ skipped · not run)'));a.appendChild(el('pre','log',c._timeline));}
  if(c.serialLog){var lg=data.logs[c.serialLog];a.appendChild(lazy('serial log'+(lg?' ('+lg.totalLines+' lines)':''),function(){var w=el('div');w.appendChild(logView(c.serialLog,c.matchedLines));return w;}));}
  a.appendChild(lazy('broker log, certificates, timings',function(){return extras(c);}));
  return a;
}
var badList=cells.filter(function(c){return bad(c)&&c.status==='fail';}).concat(cells.filter(function(c){return bad(c)&&c.status==='error';}),cells.filter(function(c){return c.quarantine&&c.status!=='pass'&&c.status!=='skip';}));
badList.forEach(function(c){var a=card(c);cards.push({c:c,el:a});failBox.appendChild(a);});
var none=document.getElementById('none');
// ---- cell list
var body=document.getElementById('cells-body'),rows=new Array(n),frag=document.createDocumentFragment();
function toggle(tr,c){
  if(tr._detail){tr._detail.remove();tr._detail=null;return;}
  var dr=el('tr'),td=el('td');td.colSpan=6;var d=el('div','detail');
  if(bad(c)||c._s==='quarantined'){d.appendChild(el('div','count','see the card under Failures'));}
  var t=el('table');kv(t,'status',c._s+(c.attempts>1?' after '+c.attempts+' attempts':''));if(c.expected)kv(t,'expected',expected(c));kv(t,'got',got(c));if(c.reason)kv(t,'reason',c.reason);if(c.modelled)kv(t,'modelled',c.modelled);if(c.rerun)kv(t,'rerun',c.rerun);if(c.reproduce)kv(t,'reproduce',c.reproduce);if(c.notes&&c.notes.length)kv(t,'notes',c.notes.join('\\n'));d.appendChild(t);
  if(c.serialLog){d.appendChild(el('h3',null,'Serial log'));d.appendChild(logView(c.serialLog,c.matchedLines));}
  d.appendChild(extras(c));td.appendChild(d);dr.appendChild(td);tr.after(dr);tr._detail=dr;
}
for(i=0;i<n;i++){(function(c){
  var tr=el('tr','row s-'+c._s);
  var b0=el('td');b0.appendChild(badge(c._s));tr.appendChild(b0);tr.appendChild(el('td','mono',c.scenario+'/'+c.variant+' on '+c._col));tr.appendChild(el('td','opt',c.target));
  tr.appendChild(el('td','mono opt',code(c)));tr.appendChild(el('td','reason',c.reason||''));
  tr.appendChild(el('td','opt',(c.durationMs/1000).toFixed(1)+' s'+(c.attempts>1?' ×'+c.attempts:'')));
  tr.addEventListener('click',function(){toggle(tr,c);});rows[c._i]=tr;frag.appendChild(tr);})(cells[i]);}
body.appendChild(frag);
// ---- grid: rows scenario/variant, columns board
var gridRows=[],gmap={};cells.forEach(function(c){var r=c.scenario+'/'+c.variant;if(!gmap[r]){gmap[r]={};gridRows.push(r);}(gmap[r][c._col]=gmap[r][c._col]||[]).push(c._i);});
gridRows.sort();
var gt=document.getElementById('grid'),hr=el('tr');hr.appendChild(el('th',null,'scenario / variant'));cols.forEach(function(b){hr.appendChild(el('th',null,b));});gt.appendChild(hr);
var gridTrs=[],gf=document.createDocumentFragment();
gridRows.forEach(function(r){var tr=el('tr');tr.appendChild(el('td','mono',r));var slots=[];
  cols.forEach(function(b){var ids=gmap[r][b]||[],td=el('td','g'),parts=[];
    ids.forEach(function(j,k){var c=cells[j],x=code(c),sp=el('span');if(k>0)sp.appendChild(document.createTextNode(' · '));
      if(ids.length>1)sp.appendChild(document.createTextNode((c.target==='hardware'?'hw':c.target)+' '));
      sp.appendChild(badge(c._s));if(x)sp.appendChild(document.createTextNode(' '+x));td.appendChild(sp);parts.push({c:c,el:sp});});
    var tw=null,hw=null;ids.forEach(function(j){if(cells[j].target==='twin')tw=cells[j];if(cells[j].target==='hardware')hw=cells[j];});
    if(tw&&hw&&tw._s!=='skip'&&hw._s!=='skip'&&tw.status!=='error'&&hw.status!=='error'&&tw._s!=='quarantined'&&hw._s!=='quarantined'){
      var g1=tw.status==='pass'||tw.status==='flaky',g2=hw.status==='pass'||hw.status==='flaky';
      if(g1!==g2||tw.outcome.kind!==hw.outcome.kind)td.appendChild(el('span','flag',' ⚠ twin≠hardware'));}
    if(ids.length)td.addEventListener('click',function(){var c=cells[ids[0]];var cardFor=cards.filter(function(x){return x.c.scenario+'/'+x.c.variant===r&&x.c._col===b;})[0];
      if(cardFor){cardFor.el.scrollIntoView();return;}text.value=r;apply();document.getElementById('cells').open=true;rows[c._i].scrollIntoView();});
    slots.push(parts);tr.appendChild(td);});
  if(slots.some(function(p){return p.some(function(x){return bad(x.c);});}))tr.className='bad';
  gridTrs.push({tr:tr,slots:slots});gf.appendChild(tr);});
gt.appendChild(gf);
// ---- apply the filters to every view
function apply(){
  var ok=matcher(),count=0,k,j;
  for(j=0;j<n;j++){var on=ok(cells[j]);rows[j].hidden=!on;if(rows[j]._detail)rows[j]._detail.hidden=!on;if(on)count++;}
  var cardsOn=0;cards.forEach(function(x){var on=ok(x.c);x.el.hidden=!on;if(on)cardsOn++;});
  none.hidden=cardsOn>0;none.textContent=cards.length?'No failing cell matches the filters.':'No cell failed.';
  var rowsOn=0;gridTrs.forEach(function(g){var any=false;g.slots.forEach(function(parts){for(k=0;k<parts.length;k++){var on=ok(parts[k].c);parts[k].el.hidden=!on;if(on)any=true;}});g.tr.hidden=!any;if(any)rowsOn++;});
  document.getElementById('grid-count').textContent=rowsOn+' of '+gridTrs.length+' rows';
  shown.textContent='showing '+count+' of '+n;writeHash();
}
var timer=0;text.addEventListener('input',function(){clearTimeout(timer);timer=setTimeout(apply,120);});
boardSel.addEventListener('change',apply);for(i=0;i<boxes.length;i++)boxes[i].addEventListener('change',apply);
window.addEventListener('hashchange',function(){readHash();apply();});
readHash();apply();
})();
`;
