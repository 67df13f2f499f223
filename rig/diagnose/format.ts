// Plain-text rendering of a diagnosis: per board, what it prints, the outcome, why, and the fix.
import type { DiagnoseReport } from './types.ts';

export function formatDiagnosis(r: DiagnoseReport): string {
  const out: string[] = [];
  out.push(`Diagnosis: the board connects to ${r.connect}${r.byIp ? ' by IPAddress' : ''}`);
  for (const c of r.certificates) {
    out.push(`  ${c.name.padEnd(7)} ${c.subject}${c.san.length ? `  SAN ${c.san.join(', ')}` : '  (no SAN)'}  ${c.key}, ${c.signature}, ${c.notBefore.slice(0, 10)} → ${c.notAfter.slice(0, 10)}`);
  }
  if (r.conf?.notes.length) {
    out.push(`  conf ${r.conf.file}:`);
    for (const n of r.conf.notes) out.push(`    ${n}`);
  }
  for (const b of r.boards) {
    out.push('');
    const ok = b.outcome.kind === 'connected';
    out.push(`${ok ? '✔' : b.status === 'skip' || b.status === 'error' ? '-' : '✘'} ${b.board} (${b.stack}, ${b.target}): ${b.outcome.kind}${b.outcome.code ? `  [${b.outcome.code}]` : ''}`);
    if (b.serial.length) {
      out.push('    serial:');
      for (const l of b.serial) out.push(`      ${l}`);
    }
    const e = b.explanation;
    if (e) {
      out.push(`    ${e.title}`);
      out.push(`    why: ${e.why}`);
      for (const ev of e.evidence) out.push(`      - ${ev}`);
      out.push(`    rule: ${e.stackRule}`);
      out.push(`    fix: ${e.fixes[0] ?? ''}`);
      for (const f of e.fixes.slice(1)) out.push(`         ${f}`);
    }
    if (b.note) out.push(`    note: ${b.note}`);
  }
  out.push('', `run folder: ${r.runDir}`);
  return `${out.join('\n')}\n`;
}
