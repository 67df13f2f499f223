// The one error class every layer uses for "the rig's environment failed" (a broker that would not start, a tool
// missing, a dead board or port), as opposed to a scenario mistake or a board that behaved wrongly.
// The CLI maps it to exit code 3; the runner reports it as an `error` cell.

export class InfraError extends Error {
  override name = 'InfraError';
  /** What the user can do about it, when the rig knows. */
  readonly hint: string | undefined;

  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.hint = options.hint;
  }
}
