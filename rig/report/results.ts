// Reading and writing results.json (version 1) through its zod schema, with errors that name the
// file and the field so a bad shard or a hand-edited baseline is easy to find.
import { readFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { Cell, Results, RunMeta } from '../results/schema.ts';
import { writeFileNoFollowSync } from '../sandbox/index.ts';

export class ResultsFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid results file\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ResultsFileError';
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out === '' ? '(root)' : out;
}

function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

/** Validates an already-parsed value; `file` is only used to name the source in errors. */
export function parseResults(value: unknown, file: string): Results {
  const r = Results.safeParse(value);
  if (!r.success) throw new ResultsFileError(file, describeIssues(r.error));
  return r.data;
}

export function parseResultsText(text: string, file: string): Results {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ResultsFileError(file, [`not valid JSON: ${(e as Error).message}`]);
  }
  return parseResults(value, file);
}

export function readResults(file: string): Results {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ResultsFileError(file, [`cannot read: ${(e as Error).message}`]);
  }
  return parseResultsText(text, file);
}

/** Validates before writing so a bad object never lands on disk as a "valid" results.json. */
export function writeResults(file: string, results: Results): void {
  const checked = parseResults(results, file);
  mkdirSync(dirname(file), { recursive: true });
  writeFileNoFollowSync(file, JSON.stringify(checked, null, 2) + '\n');
}

/**
 * Writes results.json even when a part of the results would make it invalid: such a cell is replaced by an
 * error cell that says why (its id kept), a bad run record by a minimal one. What was repaired goes into
 * `problems`. Returns what was written.
 */
export function writeResultsRepaired(file: string, results: Results, problems: string[]): Results {
  if (Results.safeParse(results).success) {
    writeResults(file, results);
    return results;
  }
  const cells = results.cells.map((c, i) => {
    const r = Cell.safeParse(c);
    if (r.success) return r.data;
    const why = describeIssues(r.error).slice(0, 3).join('; ');
    problems.push(`cell ${i} (${String((c as { id?: unknown }).id)}) could not be recorded as it was: ${why}`);
    return brokenCell(c, why);
  });
  const run = RunMeta.safeParse(results.run);
  if (!run.success) problems.push(`the run record could not be written as it was: ${describeIssues(run.error)[0]}`);
  const repaired: Results = {
    version: 1,
    run: run.success
      ? run.data
      : { id: 'unknown', startedAt: new Date().toISOString(), rigVersion: 'unknown', target: [], versions: {} },
    cells,
  };
  writeResults(file, repaired);
  return repaired;
}

function brokenCell(c: unknown, why: string): Cell {
  const x = (c ?? {}) as Record<string, unknown>;
  const str = (k: string, d: string): string => (typeof x[k] === 'string' ? (x[k] as string) : d);
  const target = ['twin', 'hardware', 'host'].includes(str('target', ''))
    ? (str('target', '') as Cell['target'])
    : 'twin';
  const reason = `the rig could not record this cell: ${why}`;
  return {
    id: str('id', 'unknown'),
    scenario: str('scenario', 'unknown'),
    variant: str('variant', 'unknown'),
    board: str('board', 'unknown'),
    target,
    status: 'error',
    outcome: { kind: 'none' },
    reason,
    failures: [reason],
    durationMs: typeof x.durationMs === 'number' && Number.isFinite(x.durationMs) ? x.durationMs : 0,
    attempts: 1,
  };
}

/** The longest string a report keeps from the results (a 4 MB serial line must not make 16 MB reports). */
export const MAX_REPORT_STRING = 16 * 1024;

/** Cuts every string longer than `max` with a note of how much was cut. */
export function boundStrings<T>(value: T, max = MAX_REPORT_STRING): T {
  if (typeof value === 'string')
    return (value.length > max ? `${value.slice(0, max)} … [cut: ${value.length - max} more characters]` : value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => boundStrings(v, max)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = boundStrings(v, max);
    return out as T;
  }
  return value;
}
