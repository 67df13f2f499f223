// The rig's error types, one per party that must act. The CLI (rig/cli/main.ts) maps them to exit codes:
//   UsageError   a flag or argument is wrong                           → 2
//   FormatError  a file the rig reads is wrong, at file:line:column    → 2
//   InfraError   the rig's environment failed (a broker, a tool, a port) → 3
//   TargetError  an InfraError from a target (twin, board, host control) with its kind, whether a retry can
//                help and the tool's own words; the runner turns it into an `error` cell, the rest of the
//                matrix runs. Kind `unsupported` is no failure at all: the cell's outcome is build/unsupported.
// A board that behaves wrongly is no error: it is a `fail` cell (exit 1).

export class UsageError extends Error {
  override name = 'UsageError';
}

/** One problem in a file, at the place it is written. */
export interface Problem {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the field (`broker.listeners[0].port`); empty for the document itself. */
  field: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.field || '(top level)'}: ${p.message}`;
}

/** Every problem found in one or more files (scenario, board profile, quarantine, lab inventory, twin world). */
export class FormatError extends Error {
  override name = 'FormatError';
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.problems = problems;
  }
}

export class InfraError extends Error {
  override name = 'InfraError';
  /** What the user can do about it, when the rig knows. */
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
  }
}

export type TargetErrorKind =
  | 'unsupported' // the target cannot run this sketch faithfully (a twin and WINC1500 TLS offload)
  | 'missing-api' // the sketch calls what the imitated release lacks: it fails to build there on a board too
  | 'not-configured' // no twin, no sketch, no lab board for the profile, no lab inventory
  | 'build' // a twin did not build
  | 'start' // a twin did not start or its port did not open
  | 'tool-missing' // arduino-cli not installed / wrong path
  | 'tool-output' // arduino-cli printed something we could not parse
  | 'compile-failed' // the sketch did not build for the board (diagnostics attached)
  | 'setup-failed' // core/library installation failed
  | 'port-busy' // another process holds the port (EBUSY / lock)
  | 'permission-denied' // udev rules / dialout group missing (EACCES)
  | 'no-board' // port or board not there (ENOENT, bossac "No device found")
  | 'timeout' // the tool or the board did not answer in time
  | 'serial' // the serial port failed or vanished while reading
  | 'generic';

/** Kinds that need a human: retrying the cell cannot help. */
const FINAL: ReadonlySet<TargetErrorKind> = new Set([
  'unsupported',
  'missing-api',
  'tool-missing',
  'tool-output',
  'compile-failed',
  'setup-failed',
  'permission-denied',
]);

export class TargetError extends InfraError {
  override name = 'TargetError';
  readonly kind: TargetErrorKind;
  /** The tool's own output (trimmed), kept verbatim for the report. */
  readonly toolMessage: string;
  readonly command?: string[];
  readonly retryable: boolean;

  constructor(
    kind: TargetErrorKind,
    message: string,
    o: { toolMessage?: string; command?: string[]; cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, { cause: o.cause });
    this.kind = kind;
    this.toolMessage = (o.toolMessage ?? '').trim();
    this.command = o.command;
    // A board out of service for the night is a no-board that a retry cannot help.
    this.retryable = o.retryable ?? !FINAL.has(kind);
  }
}
