// Broker entry: starts mosquitto for a scenario with the chosen provider.
import type { BrokerSpec } from '../scenario/schema.ts';
import { containerRuntimeStatus, DEFAULT_IMAGE, startContainerBroker } from './container.ts';
import { startLocalBroker } from './local.ts';
import type { BrokerHandle, BrokerPki, BrokerProvider } from './types.ts';

export type { BrokerEvent, BrokerHandle, BrokerPki, BrokerPkiCert, BrokerProvider } from './types.ts';
export { BrokerStartError } from './types.ts';
export { stopAllBrokers } from './registry.ts';
export { parseLogLine } from './log.ts';
export { DEFAULT_IMAGE } from './container.ts';

export interface StartBrokerOptions {
  provider: BrokerProvider;
  workDir: string;
  image?: string;
  vars?: Record<string, string>;
  readyTimeoutMs?: number;
}

/**
 * `auto` uses a container when a runtime answers AND the image is present locally (nothing is pulled),
 * else the local process; `providerReason` on the handle says why.
 */
export async function startBroker(spec: BrokerSpec, pki: BrokerPki, opts: StartBrokerOptions): Promise<BrokerHandle> {
  const image = opts.image ?? spec.image ?? DEFAULT_IMAGE;
  if (opts.provider === 'local') return startLocalBroker(spec, pki, opts);
  if (opts.provider === 'container') return startContainerBroker(spec, pki, { ...opts, image });
  const status = await containerRuntimeStatus(image);
  if (status.ok) {
    const h = await startContainerBroker(spec, pki, { ...opts, image });
    return { ...h, providerReason: `auto: container runtime answers and ${image} is present` };
  }
  const h = await startLocalBroker(spec, pki, opts);
  return { ...h, providerReason: `auto: local (${status.reason})` };
}
