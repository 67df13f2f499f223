// Infrastructure failures (tooling, USB, ports) are kept apart from test failures: the runner may
// retry them, and reports must show the tool's own words, not a paraphrase.

import { InfraError as RigInfraError } from '../errors.ts';

export type InfraErrorKind =
  | 'tool-missing' // arduino-cli not installed / wrong path
  | 'tool-output' // arduino-cli printed something we could not parse
  | 'compile-failed' // the sketch did not build (diagnostics attached)
  | 'setup-failed' // core/library installation failed
  | 'port-busy' // another process holds the port (EBUSY / lock)
  | 'permission-denied' // udev rules / dialout group missing (EACCES)
  | 'no-board' // port or board not there (ENOENT, bossac "No device found")
  | 'timeout' // the tool or the board did not answer in time
  | 'serial' // the serial port failed or vanished while reading
  | 'generic';

/** Kinds a runner may retry after an interval; the rest need a human. */
const RETRYABLE: ReadonlySet<InfraErrorKind> = new Set(['port-busy', 'no-board', 'timeout', 'serial', 'generic']);

/** The hardware path's InfraError: the shared one plus which kind of failure and the tool's own words. */
export class InfraError extends RigInfraError {
  readonly kind: InfraErrorKind;
  /** The tool's own output (trimmed), kept verbatim for the report. */
  readonly toolMessage: string;
  readonly command?: string[];
  readonly retryable: boolean;

  constructor(
    kind: InfraErrorKind,
    message: string,
    o: { toolMessage?: string; command?: string[]; cause?: unknown } = {},
  ) {
    super(message, { cause: o.cause });
    this.kind = kind;
    this.toolMessage = (o.toolMessage ?? '').trim();
    this.command = o.command;
    this.retryable = RETRYABLE.has(kind);
  }
}

export function isInfraError(e: unknown): e is InfraError {
  return e instanceof InfraError;
}
