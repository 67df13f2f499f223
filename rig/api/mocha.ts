// Mocha root hooks (`the-rig/mocha`, loaded with `--require` or .mocharc `require:`): after each test every broker,
// twin and board the test started is stopped; a failing test's error carries their serial lines and broker log;
// Ctrl-C (SIGINT, or the SIGTERM mocha's wrapper sends its child) stops all of it before the process exits 130.
import type { Context } from 'mocha';
import { onInterrupt } from '../process/index.ts';
import { foldRepeats } from './fold-repeats.ts';
import { stopAll, takeLogs, testRunning, type LogSection } from './live.ts';

/** Lines of each log kept in a failing test's output (the end, where the failure is). */
const TAIL_LINES = 60;

let interrupted = false;
let offInterrupt: (() => void) | undefined;

function watchInterrupts(): void {
  offInterrupt ??= onInterrupt((sig) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`\n${sig}: stopping the rig's brokers and boards…\n`);
    void stopAll().finally(() => process.exit(130));
  });
}

/** The logs as text under a failing test's message. */
export function formatLogs(sections: LogSection[], tail = TAIL_LINES): string {
  return sections
    .map((s) => {
      const lines = foldRepeats(s.lines);
      const cut = lines.length > tail ? `(last ${tail} of ${s.lines.length} lines)` : `(${s.lines.length} lines)`;
      const body = lines.slice(-tail).map((l) => `  | ${l}`);
      return [`--- ${s.title} ${cut} ---`, ...(body.length ? body : ['  | (nothing)'])].join('\n');
    })
    .join('\n');
}

/** Adds the logs to the error as mocha prints it: after its message, before its stack. */
export function attachLogs(err: Error, sections: LogSection[]): void {
  if (sections.length === 0) return;
  const text = `\n\n${formatLogs(sections)}`;
  const message = err.message;
  // Read before the message changes: V8 writes the stack text at its first read, with the message of that moment.
  const stack = err.stack;
  err.message = `${message}${text}`;
  if (typeof stack === 'string' && message && stack.includes(message)) err.stack = stack.replace(message, err.message);
}

export const mochaHooks = {
  beforeAll(): void {
    watchInterrupts();
  },
  beforeEach(): void {
    // What starts from here (beforeEach hooks, the test) is the test's own; before() hooks start shared things.
    testRunning(true);
  },
  async afterEach(this: Context): Promise<void> {
    testRunning(false);
    const test = this.currentTest;
    const sections = takeLogs();
    if (test?.state === 'failed' && test.err) attachLogs(test.err, sections);
    const failed = await stopAll({ perTestOnly: true });
    if (failed.length) process.stderr.write(`rig cleanup: ${failed.join('; ')}\n`);
  },
  async afterAll(): Promise<void> {
    await stopAll();
    offInterrupt?.();
    offInterrupt = undefined;
  },
};

/**
 * One `describe` per board, titled with the board id, so `mocha --grep esp8266` runs that board's tests only and
 * every test title names its board.
 */
export function describeBoards(boards: readonly string[], body: (board: string) => void): void {
  for (const board of boards) describe(board, () => body(board));
}
