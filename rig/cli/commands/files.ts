// Files named on the command line: a missing or invalid one is the user's mistake (exit 2, one line), not a crash.
import { ResultsFileError, readResults } from '../../report/results.ts';
import type { Results } from '../../results/schema.ts';
import { UsageError } from '../../errors.ts';

/** A results.json named by an option (`--baseline FILE`), relative to the current folder like any path typed. */
export function readBaseline(option: string, file: string): Results {
  try {
    return readResults(file);
  } catch (e) {
    throw usageFromResults(e, `${option} ${file}`);
  }
}

/** A results file problem, in the words of what named the file; anything else passes through unchanged. */
export function usageFromResults(e: unknown, what: string): unknown {
  if (!(e instanceof ResultsFileError)) return e;
  const unreadable = e.problems.length === 1 && e.problems[0]!.startsWith('cannot read');
  if (unreadable) return new UsageError(`${what}: ${e.problems[0]}`);
  const more = e.problems.length > 3 ? ` (and ${e.problems.length - 3} more)` : '';
  return new UsageError(`${what}: not a valid results.json: ${e.problems.slice(0, 3).join('; ')}${more}`);
}
