// A cell's steps as a timeline, in plain text lines, for every report (summary.md, junit.xml, report.html, the
// terminal): when each step began in board time, what it was and did, and the serial and broker lines around it.
import type { Cell, StepResult } from '../results/schema.ts';

const MARK: Record<StepResult['status'], string> = { pass: '✔', fail: '✘', skip: '○', 'not-run': '·' };

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1).padStart(6)} s`;
}

/** One line per step; with `around`, the serial (S) and broker (B) lines that arrived while it ran. */
export function timelineLines(steps: StepResult[], around = true, maxAround = 6): string[] {
  const out: string[] = [];
  for (const s of steps) {
    const at = s.line !== undefined ? ` (line ${s.line})` : '';
    const detail = s.detail ? ` — ${s.detail}` : '';
    const took = s.status === 'not-run' ? '' : ` [${s.tookMs} ms]`;
    out.push(`${seconds(s.atMs)} ${MARK[s.status]} ${s.name}${at}: ${s.what}${took}${detail}`);
    if (!around || s.status === 'not-run') continue;
    for (const l of s.serial.slice(-maxAround)) out.push(`           S ${l}`);
    for (const l of s.broker.slice(-maxAround)) out.push(`           B ${l}`);
  }
  return out;
}

/** The timeline of a cell that has steps, else nothing. */
export function cellTimeline(c: Cell, around = true): string[] {
  return c.steps?.length ? timelineLines(c.steps, around) : [];
}
