// Broker faults and certificate rotation, as the scenario steps do them. They live in the broker layer (issue 18:
// plain functions in rig/broker/faults.ts on the broker handle's control); this is the one place the API exposes
// them. Until that lands here each method says so instead of imitating a fault (a broker started again on new
// ports would not be the same broker to a twin that was told the old ones). Wiring, once rig/broker/faults.ts is
// merged:
//
//   export function brokerFaults(h: BrokerHandle): BrokerFaults {
//     return {
//       restart: async (o = {}) => void (o.downMs ? await stopBrokerFor(h, o.downMs) : await restartBroker(h)),
//       pause: async (o) => void (await pauseBrokerFor(h, o.ms)),
//       rotateCertificate: async (r) => void (await rotateServerCert(h, r)),
//     };
//   }
//
// and broker.ts spreads brokerFaults(handle) where it spreads faultsNotYetAvailable() now.

export interface BrokerFaults {
  /** Stops the broker and starts it again on the same ports (down for `downMs`, refusing connections). */
  restart(o?: { downMs?: number }): Promise<void>;
  /** Freezes the broker for `ms`: connections stay open and nothing answers (a dead peer), then thaws it. */
  pause(o: { ms: number }): Promise<void>;
  /** Serves another certificate of the PKI on every TLS listener (and `ca` as cafile), broker restarted. */
  rotateCertificate(o: { cert: string; ca?: string }): Promise<void>;
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
  return {
    restart: later('broker.restart()'),
    pause: later('broker.pause()'),
    rotateCertificate: later('broker.rotateCertificate()'),
  };
}
