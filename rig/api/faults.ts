// Broker faults and certificate rotation, as the scenario steps do them. They live in the broker layer (issue 18:
// plain functions in rig/broker); this is the one place the API exposes them. Until they are wired here each
// method says so instead of imitating a fault (a restart with new ports would not be the same broker to a twin).

export interface BrokerFaults {
  /** Stops the broker and starts it again on the same ports (a board sees its connection drop, then reconnects). */
  restart(o?: { downMs?: number }): Promise<void>;
  /** Replaces the listener's server certificate with another of the PKI, as a certificate rotation does. */
  rotateCertificate(o: { cert: string }): Promise<void>;
}

export class NotYetAvailableError extends Error {
  override readonly name = 'NotYetAvailableError';
}

export function faultsNotYetAvailable(): BrokerFaults {
  const later = (what: string) => () =>
    Promise.reject(
      new NotYetAvailableError(
        `${what} arrives with the broker fault steps (issue 18); see docs/api.md "Broker faults"`,
      ),
    );
  return { restart: later('broker.restart()'), rotateCertificate: later('broker.rotateCertificate()') };
}
