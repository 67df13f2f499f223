// Every broker this process started and has not stopped, so stopAllBrokers() can stop them together.
// Killing them when the rig exits is the process module's job (rig/process): each broker registers its
// synchronous last step there.

export interface Registered {
  stop(): Promise<void>;
}

const live = new Set<Registered>();

export function register(b: Registered): () => void {
  live.add(b);
  return () => {
    live.delete(b);
  };
}

/** Stops every broker this process started. */
export async function stopAllBrokers(): Promise<void> {
  const all = [...live];
  await Promise.allSettled(all.map((b) => b.stop()));
}
