// Reading and writing results.json (version 1) through its zod schema, with errors that name the
// file and the field so a bad shard or a hand-edited baseline is easy to find.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { Results } from '../results/schema.ts';

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
  writeFileSync(file, JSON.stringify(checked, null, 2) + '\n');
}
