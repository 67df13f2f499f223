// What the API started and has not stopped yet (brokers, boards), so a test runner can stop all of it after a
// test or on Ctrl-C, and what a test saw (serial lines, broker log), so a failing test can show it. Boards and
// brokers register here when they start; stopping one removes it from the live set but keeps its logs until the
// runner takes them.

/** A titled block of log lines: a board's serial output or a broker's log. */
export interface LogSection {
  title: string;
  lines: string[];
}

export interface LiveResource {
  /** "broker local 127.0.0.1:38211", "twin esp32". */
  label: string;
  stop(): Promise<void>;
  logs(): LogSection;
}

// A resource started while a test runs belongs to that test; one started in a before() hook is shared by the
// suite and lives until the suite stops it or the run ends.
//
// The state lives on globalThis: mocha loads a root hook file with require() and the tests with import(), so under
// tsx this module can be loaded twice (once per module system) and both copies must see the same resources.
interface LiveState {
  live: Map<LiveResource, { perTest: boolean }>;
  seen: LiveResource[];
  inTest: boolean;
}
const KEY = Symbol.for('the-rig.api.live');
const state: LiveState =
  ((globalThis as Record<symbol, unknown>)[KEY] as LiveState | undefined) ??
  ((globalThis as Record<symbol, unknown>)[KEY] = { live: new Map(), seen: [], inTest: false } satisfies LiveState);
const live = state.live;

/** Registers a started resource; the returned function marks it stopped (its logs stay until taken). */
export function track(r: LiveResource): () => void {
  live.set(r, { perTest: state.inTest });
  state.seen.push(r);
  return () => {
    live.delete(r);
  };
}

/** A test starts (true) or ends (false): what starts in between is the test's own. */
export function testRunning(running: boolean): void {
  state.inTest = running;
}

/** The resources still running. */
export function liveResources(): LiveResource[] {
  return [...live.keys()];
}

/**
 * The logs of everything started since the last call (running or stopped) and of the shared resources still
 * running (a suite's broker), and forgets the former.
 */
export function takeLogs(): LogSection[] {
  const shared = [...live].filter(([r, x]) => !x.perTest && !state.seen.includes(r)).map(([r]) => r);
  const out = [...shared, ...state.seen].map((r) => r.logs());
  state.seen = [];
  return out;
}

/**
 * Stops what is still running (only the current test's own with `perTestOnly`), newest first, each bounded in
 * time; returns what could not be stopped.
 */
export async function stopAll(o: { perTestOnly?: boolean; timeoutMs?: number } = {}): Promise<string[]> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const failed: string[] = [];
  const which = [...live].filter(([, x]) => !o.perTestOnly || x.perTest).map(([r]) => r);
  for (const r of which.reverse()) {
    live.delete(r);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        r.stop(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (e) {
      failed.push(`${r.label}: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
  return failed;
}
