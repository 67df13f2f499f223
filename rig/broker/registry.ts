// The one piece of process-wide state in the broker module, on purpose: brokers must die with the rig
// even when a caller forgets stop() or the rig is interrupted. The registry holds a synchronous
// "kill now" for each live broker and runs them on process exit and on SIGINT/SIGTERM/SIGHUP.

export interface Registered {
  stop(): Promise<void>;
  killSync(): void;
}

const live = new Set<Registered>();
let hooked = false;

function killAllSync(): void {
  for (const b of [...live]) {
    try {
      b.killSync();
    } catch {
      /* already gone */
    }
  }
  live.clear();
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      // An application that handles the signal itself (the runner) stops its brokers gracefully and
      // can call stopAllBrokers(); the 'exit' hook still kills whatever is left.
      if (process.listenerCount(sig) > 1) return;
      // Nobody else handles it: kill the brokers and restore the default action (terminate) by re-raising.
      killAllSync();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

export function register(b: Registered): () => void {
  hook();
  live.add(b);
  return () => {
    live.delete(b);
  };
}

/** Stops every broker this process started (the runner calls it on abort). */
export async function stopAllBrokers(): Promise<void> {
  const all = [...live];
  await Promise.allSettled(all.map((b) => b.stop()));
}

export function liveBrokerCount(): number {
  return live.size;
}
