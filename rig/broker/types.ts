// Types shared by the broker providers. The PKI shape is structural so a rig/pki PkiBundle fits it.

import { InfraError } from '../errors.ts';
import type { BrokerSpec } from '../scenario/schema.ts';

export type BrokerProvider = 'local' | 'container' | 'auto';

export interface BrokerEvent {
  at: number; // ms since the broker was started
  type:
    | 'connected'
    | 'connect-attempt'
    | 'disconnected'
    | 'tls-error'
    | 'not-authorised'
    | 'protocol-error'
    | 'publish'
    | 'subscribe'
    | 'error'
    | 'started';
  clientId?: string;
  username?: string;
  address?: string;
  text: string;
}

/**
 * The provider's levers on a running broker, for faults (rig/broker/faults.ts): the process stopped and started
 * again on the same ports (optionally with another spec: a rotated certificate), frozen and thawed.
 */
export interface BrokerControl {
  /** The spec the broker runs with now. */
  spec(): BrokerSpec;
  /** Stops the broker process; its ports stay reserved for start(). */
  down(): Promise<void>;
  /** Starts it again on the same ports, with `spec` when given (its files restaged). */
  up(spec?: BrokerSpec): Promise<void>;
  /** SIGSTOP / SIGCONT (docker pause / unpause): open connections stay, nothing answers. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** The running broker's process id (local) or container id (container): a restart changes it. */
  id(): string;
}

export interface BrokerHandle {
  /** Faults need it; absent on handles made by hand (tests). */
  control?: BrokerControl;
  provider: 'local' | 'container';
  host: string;
  ports: Record<number, number>;
  /** Mosquitto's own ports when a front (broker.personality) stands before it: the rig's observer uses these. */
  directPorts?: Record<number, number>;
  version: string;
  logLines(): string[];
  events(): BrokerEvent[];
  waitForLog(re: RegExp, timeoutMs: number): Promise<string>;
  onLine(cb: (line: string) => void): () => void;
  logFile: string;
  confFile: string;
  stop(): Promise<void>;
  /** Whether the broker still runs: a broker that died mid-run makes its cells infrastructure errors. */
  alive(): Promise<boolean>;
  /** What the rig changed in a verbatim conf (and why), in order. */
  confNotes: string[];
  /** Spawn (or container start) until the "running" log line, in ms. */
  readyMs: number;
  /** Image used by the container provider. */
  image?: string;
  /** Process id of a local broker (the setpriv wrapper execs mosquitto, so it is mosquitto's pid). */
  pid?: number;
  /** Container id of a container broker. */
  containerId?: string;
  /** Why `auto` chose this provider. */
  providerReason?: string;
}

/** The part of rig/pki's PkiCert the broker needs. keyPlain: a decrypted copy of an encrypted key. */
export interface BrokerPkiCert {
  name: string;
  crt: string;
  key?: string;
  keyPassphrase?: string;
  keyPlain?: string;
  keyEncrypted?: boolean;
  /** Certificate followed by its intermediates. */ chain?: string;
}
export interface BrokerPki {
  dir: string;
  certs: Record<string, BrokerPkiCert>;
}

/** The broker exited (or never said "running"); `logTail` holds its last lines, e.g. the key-file error. */
export class BrokerStartError extends InfraError {
  override name = 'BrokerStartError';
  constructor(
    message: string,
    readonly logTail: string[],
    readonly exitCode: number | null,
    readonly confFile: string,
  ) {
    super(`${message}${logTail.length ? `\n  broker log tail:\n    ${logTail.join('\n    ')}` : ''}`);
  }
}
