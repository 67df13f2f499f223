// Exit codes, the same for every command: CI scripts branch on them. Library code throws typed errors
// (rig/errors.ts); only the CLI turns them into exit codes, here.
import { FormatError, InfraError, UsageError } from '../errors.ts';
import { PkiError } from '../pki/errors.ts';
import type { DiagnoseReport } from '../diagnose/types.ts';
import type { Results } from '../results/schema.ts';

export const EXIT = {
  ok: 0, // all expectations met
  failed: 1, // an expectation failed
  usage: 2, // usage or scenario error
  infra: 3, // infrastructure error: broker would not start, tool missing, board dead
  interrupted: 130,
} as const;

/** The exit code for an error a command threw. */
export function exitCodeOf(e: unknown): number {
  // A PKI spec or a forum post's openssl script that does not work is the scenario's problem.
  if (e instanceof UsageError || e instanceof FormatError || e instanceof PkiError) return EXIT.usage;
  if (e instanceof InfraError) return EXIT.infra;
  // A bug or an environment failure nobody classified counts as infrastructure.
  return EXIT.infra;
}

/** The exit code of a run: 130 when interrupted, 1 for a failed cell, 3 for an error cell (quarantined ones aside). */
export function exitCodeFor(r: Results): number {
  if (r.run.interrupted) return EXIT.interrupted;
  const counted = r.cells.filter((c) => !c.quarantine);
  if (counted.some((c) => c.status === 'fail')) return EXIT.failed;
  if (counted.some((c) => c.status === 'error')) return EXIT.infra;
  return EXIT.ok;
}

/**
 * Exit code of a diagnosis (README): 1 when a board does not connect for a reason found in the user's setup
 * (or their broker would not start), 3 when the rig itself could not run a board, 130 on Ctrl-C, else 0.
 */
export function diagnoseExitCode(r: DiagnoseReport): number {
  if (r.interrupted) return EXIT.interrupted;
  if (r.broker && !r.broker.starts) return EXIT.failed;
  const counted = r.boards.filter((b) => b.status !== 'skip');
  if (counted.some((b) => b.outcome.kind !== 'connected' && (b.status !== 'error' || b.explanation)))
    return EXIT.failed;
  if (counted.some((b) => b.status === 'error')) return EXIT.infra;
  return EXIT.ok;
}
