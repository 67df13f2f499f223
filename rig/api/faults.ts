// Broker faults and certificate rotation for API users: the same functions the scenario steps use
// (rig/broker/faults.ts), on the broker this API started. The broker stays on its ports, so a board that was told
// them reconnects to the same broker.
import {
  pauseBrokerFor,
  reconfigureBroker,
  restartBroker,
  revokeClientCert,
  rotateServerCert,
  stopBrokerFor,
  type TlsPolicy,
} from '../broker/faults.ts';
import type { BrokerHandle } from '../broker/types.ts';

export interface BrokerFaults {
  /** Stops the broker and starts it again on the same ports (down for `downMs`, refusing connections). */
  restart(o?: { downMs?: number }): Promise<void>;
  /** Freezes the broker for `ms`: connections stay open and nothing answers (a dead peer), then thaws it. */
  pause(o: { ms: number }): Promise<void>;
  /** Serves another certificate of the PKI on every TLS listener (and `ca` as cafile), broker restarted. */
  rotateCertificate(o: { cert: string; ca?: string }): Promise<void>;
  /** Revokes a client certificate of the PKI: a CRL on every TLS listener, broker restarted. */
  revokeCertificate(o: { cert: string }): Promise<void>;
  /** Another TLS policy on every TLS listener (oldest version, cipher lists), broker restarted. */
  reconfigureTls(o: TlsPolicy): Promise<void>;
  /** A user's new password in the broker's password file, broker restarted. */
  changePassword(o: { user: string; password: string }): Promise<void>;
}

export function brokerFaults(h: BrokerHandle): BrokerFaults {
  return {
    restart: async (o = {}) => void (o.downMs ? await stopBrokerFor(h, o.downMs) : await restartBroker(h)),
    pause: async (o) => void (await pauseBrokerFor(h, o.ms)),
    rotateCertificate: async (r) => void (await rotateServerCert(h, { cert: r.cert, ...(r.ca ? { ca: r.ca } : {}) })),
    revokeCertificate: async (r) => void (await revokeClientCert(h, r.cert)),
    reconfigureTls: async (p) => void (await reconfigureBroker(h, p)),
    changePassword: async (p) => void (await reconfigureBroker(h, { password: p })),
  };
}
