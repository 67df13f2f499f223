// Broker entry: starts mosquitto for a scenario with the chosen provider.
import type { BrokerSpec } from '../scenario/schema.ts';
import { containerRuntimeStatus, DEFAULT_IMAGE, startContainerBroker } from './container.ts';
import { startFront } from './front/front.ts';
import { startLocalBroker } from './local.ts';
import { LOCAL_IMAGE } from '../setup/container-image.ts';
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
  const inner = await startMosquitto(spec, pki, opts);
  if (!spec.personality) return inner;
  try {
    return await startFront(inner, spec, pki);
  } catch (e) {
    await inner.stop().catch(() => undefined);
    throw e;
  }
}

async function startMosquitto(spec: BrokerSpec, pki: BrokerPki, opts: StartBrokerOptions): Promise<BrokerHandle> {
  if (opts.provider === 'local') return startLocalBroker(spec, pki, opts);
  const image = await pickImage(opts.image ?? spec.image);
  if (opts.provider === 'container') return startContainerBroker(spec, pki, { ...opts, image });
  const status = await containerRuntimeStatus(image);
  if (status.ok) {
    const h = await startContainerBroker(spec, pki, { ...opts, image });
    return { ...h, providerReason: `auto: container runtime answers and ${image} is present` };
  }
  const h = await startLocalBroker(spec, pki, opts);
  return { ...h, providerReason: `auto: local (${status.reason})` };
}

/**
 * An explicit image is used as given. Otherwise the labs' usual eclipse-mosquitto:2 when present, else the
 * image `rig setup --container` builds from Debian packages for machines without a registry.
 */
async function pickImage(explicit: string | undefined): Promise<string> {
  if (explicit) return explicit;
  for (const candidate of [DEFAULT_IMAGE, LOCAL_IMAGE]) {
    if ((await containerRuntimeStatus(candidate)).ok) return candidate;
  }
  return DEFAULT_IMAGE;
}
