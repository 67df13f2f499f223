// Plain-text rendering of a diagnosis: per board, what it prints, the outcome, why, and the fix.
import type { DiagnoseReport, Explanation } from './types.ts';

function explanationLines(e: Explanation, indent: string): string[] {
  const out = [`${indent}${e.title}`, `${indent}why: ${e.why}`];
  for (const ev of e.evidence) out.push(`${indent}  - ${ev}`);
  out.push(`${indent}rule: ${e.stackRule}`, `${indent}fix: ${e.fixes[0] ?? ''}`);
  for (const f of e.fixes.slice(1)) out.push(`${indent}     ${f}`);
  return out;
}

export function formatDiagnosis(r: DiagnoseReport): string {
  const out: string[] = [];
  out.push(
    `Diagnosis: the board connects to ${r.connect}${r.byIp ? ` by IPAddress${r.name ? ` (what ${r.name} resolves to)` : ''}` : ''}`,
  );
  const width = Math.max(7, ...r.certificates.map((c) => c.name.length));
  for (const c of r.certificates) {
    out.push(
      `  ${c.name.padEnd(width)} ${c.subject}${c.san.length ? `  SAN ${c.san.join(', ')}` : '  (no SAN)'}  ${c.key}, ${c.signature}, ${c.notBefore.slice(0, 10)} → ${c.notAfter.slice(0, 10)}`,
    );
  }
  if (r.conf?.notes.length) {
    out.push(`  conf ${r.conf.file}:`);
    for (const n of r.conf.notes) out.push(`    ${n}`);
  }
  if (r.broker && !r.broker.starts) {
    out.push('', '✘ broker (your mosquitto with these files)');
    if (r.broker.explanation) out.push(...explanationLines(r.broker.explanation, '    '));
    if (r.broker.observedWith)
      out.push(`    note: the boards below ran against a broker with ${r.broker.observedWith}: not a fix`);
  }
  for (const b of r.boards) {
    out.push('');
    const ok = b.outcome.kind === 'connected';
    out.push(
      `${ok ? '✔' : b.status === 'skip' || (b.status === 'error' && !b.explanation) ? '-' : '✘'} ${b.board} (${b.stack}, ${b.target}): ${b.outcome.kind}${b.outcome.code ? `  [${b.outcome.code}]` : ''}`,
    );
    if (b.serial.length) {
      out.push('    serial:');
      for (const l of b.serial) out.push(`      ${l}`);
    }
    if (b.explanation) out.push(...explanationLines(b.explanation, '    '));
    if (b.note) out.push(`    note: ${b.note}`);
  }
  if (r.interrupted) out.push('', 'interrupted: boards that had not finished are missing');
  out.push('', `run folder: ${r.runDir}`);
  return `${out.join('\n')}\n`;
}
