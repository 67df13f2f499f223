// What one attempt at one cell produces, whatever the target: the evidence the expectation is checked on.
import type { BrokerHandle } from '../broker/index.ts';
import type { PkiBundle } from '../pki/index.ts';
import type { Outcome } from '../results/schema.ts';
import type { ResolvedVariant } from '../scenario/resolve.ts';
import type { ProjectPaths } from '../project.ts';
import type { Cleanup } from './cleanup.ts';
import type { CellPlan } from './matrix.ts';
import type { CellClients } from './attribution.ts';

export interface CellEnv {
  plan: CellPlan;
  rv: ResolvedVariant;
  pki: PkiBundle;
  broker: BrokerHandle;
  /** The cell's MQTT clients on the shared broker, and the observer's messages they published. */
  clients: CellClients;
  cellDir: string;
  paths: ProjectPaths;
  cleanup: Cleanup;
  signal: AbortSignal;
  timeoutMs: number;
  sandbox: boolean;
  /** Registers a value no report may show: a password or key the cell's sketch receives. */
  secret(value: string): void;
  /** Address the target uses for the broker (127.0.0.1 for twins, the LAN address for boards). */
  brokerIp: string;
  /** Tells the terminal what the cell is doing now (building host core, compiling, flashing, running). */
  phase?: (phase: string) => void;
  /** arduino-cli libraries folders with the user's own libraries (rig run --libraries), for twin builds. */
  librariesDirs?: string[];
}

export interface Attempt {
  outcome: Outcome;
  serial: string[];
  /** Set when the rig, not the board, failed: build, broker, port, a dead or hung target. */
  infraError?: string;
  /** False when retrying cannot help (a compile error, missing permissions): the cell is not retried. */
  retryable?: boolean;
  timings: Record<string, number>;
}

export class AttemptAborted extends Error {
  override readonly name = 'AttemptAborted';
}
