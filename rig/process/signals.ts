// The one owner of the process's signal and exit handlers. What must not outlive the rig (child processes,
// containers, staged copies of keys) registers a synchronous last step; what wants to stop gracefully on Ctrl-C
// (a run, `rig broker`) subscribes to interrupts. Without a subscriber a signal does what it always does
// (terminate), after the last steps ran. A rig killed with SIGKILL runs nothing: children die through
// PR_SET_PDEATHSIG (setpriv, bwrap --die-with-parent) instead.

/** Signals a subscriber may handle; SIGHUP (the terminal went away) always terminates. */
const INTERRUPTS = ['SIGINT', 'SIGTERM'] as const;
const ALL = [...INTERRUPTS, 'SIGHUP'] as const;

const lastSteps = new Set<() => void>();
const subscribers = new Set<(sig: NodeJS.Signals) => void>();
let installed = false;

function runLastSteps(): void {
  const steps = [...lastSteps].reverse();
  lastSteps.clear();
  for (const step of steps) {
    try {
      step();
    } catch {
      /* already gone */
    }
  }
}

function onSignal(sig: NodeJS.Signals): void {
  if (subscribers.size > 0 && (INTERRUPTS as readonly string[]).includes(sig)) {
    for (const s of [...subscribers]) s(sig);
    return;
  }
  runLastSteps();
  // Someone outside the rig handles this signal (a test runner): leave the decision to them.
  if (process.listenerCount(sig) > 1) return;
  // Nobody does: restore the default action (terminate) and re-raise.
  process.removeListener(sig, onSignal);
  process.kill(process.pid, sig);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runLastSteps);
  for (const sig of ALL) process.on(sig, onSignal);
}

/** A synchronous step run when the process exits or a signal ends it: kill a child, remove a secret. */
export function onExit(step: () => void): () => void {
  install();
  lastSteps.add(step);
  return () => {
    lastSteps.delete(step);
  };
}

/** Subscribes to SIGINT and SIGTERM: while subscribed, they call `handler` instead of terminating. */
export function onInterrupt(handler: (sig: NodeJS.Signals) => void): () => void {
  install();
  subscribers.add(handler);
  return () => {
    subscribers.delete(handler);
  };
}

/** Resolves at the next SIGINT or SIGTERM (a foreground command waiting for Ctrl-C). */
export function nextInterrupt(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const off = onInterrupt((sig) => {
      off();
      resolve(sig);
    });
  });
}
