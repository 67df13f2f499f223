// Exit codes, the same for every command: CI scripts branch on them.
export const EXIT = {
  ok: 0,          // all expectations met
  failed: 1,      // an expectation failed
  usage: 2,       // usage or scenario error
  infra: 3,       // infrastructure error: broker would not start, tool missing, board dead
  interrupted: 130,
} as const;

/** An error the user can fix in the environment rather than in a scenario. */
export class InfraError extends Error {
  readonly exitCode = EXIT.infra;
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'InfraError';
  }
}
