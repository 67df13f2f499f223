// Everything a run starts (brokers, twins, containers) registers its stop here, so Ctrl-C, SIGTERM or an
// uncaught error stops all of it before the rig exits.
import { onInterrupt } from '../process/index.ts';

type Stopper = () => Promise<void> | void;

export class Cleanup {
  private readonly stoppers = new Map<number, { name: string; stop: Stopper }>();
  private next = 0;
  private readonly abort = new AbortController();
  private cause: NodeJS.Signals | 'watchdog' | undefined;

  get signal(): AbortSignal {
    return this.abort.signal;
  }
  get interrupted(): boolean {
    return this.abort.signal.aborted;
  }
  /** What stopped the run: a signal (the user) or the watchdog (the run took too long: the rig's failure). */
  get stoppedBy(): NodeJS.Signals | 'watchdog' | undefined {
    return this.cause;
  }

  /** The --watchdog expired: stops the run like a first signal, but says so. */
  expire(): void {
    if (this.interrupted) return;
    this.cause = 'watchdog';
    this.abort.abort(new Error('watchdog expired'));
  }

  add(name: string, stop: Stopper): () => void {
    const id = this.next++;
    this.stoppers.set(id, { name, stop });
    return () => {
      this.stoppers.delete(id);
    };
  }

  /** Stops everything registered, newest first, each bounded in time so cleanup itself cannot hang. */
  async stopAll(timeoutMs = 10_000): Promise<string[]> {
    const failed: string[] = [];
    const entries = [...this.stoppers.entries()].reverse();
    this.stoppers.clear();
    await Promise.all(
      entries.map(async ([, { name, stop }]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            Promise.resolve().then(stop),
            new Promise((_, rej) => {
              timer = setTimeout(() => rej(new Error('timeout')), timeoutMs);
            }),
          ]);
        } catch (e) {
          failed.push(`${name}: ${(e as Error).message}`);
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    return failed;
  }

  /** Subscribes to SIGINT/SIGTERM (rig/process): the first signal aborts the run; a second one exits at once. */
  trapSignals(onSignal: (sig: NodeJS.Signals) => void): () => void {
    let count = 0;
    return onInterrupt((sig) => {
      count++;
      if (count === 1) {
        this.cause ??= sig;
        this.abort.abort(new Error(`interrupted by ${sig}`));
        onSignal(sig);
      } else {
        void this.stopAll(2000).finally(() => process.exit(130));
      }
    });
  }
}
