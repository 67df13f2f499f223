// rig.broker(): a Mosquitto for a test, started by rig/broker from a spec (the scenario file's `broker:` section,
// as an object) with certificates from rig.pki(), stopped with `await using`, stop(), or the mocha hooks.
import { rm } from 'node:fs/promises';
import { z } from 'zod';
import { startBroker, type BrokerHandle, type BrokerProvider } from '../broker/index.ts';
import { brokerWorkDir } from '../broker/workdir.ts';
import { BrokerSpec, type PkiSpec } from '../scenario/schema.ts';
import { targetDrivers, type LabOptions } from '../target/index.ts';
import { connectClient, type ClientOptions, type MqttObserver } from './client.ts';
import { brokerFaults, type BrokerFaults } from './faults.ts';
import { track } from './live.ts';
import { matches } from './match.ts';
import { isPki, issuePki, type Pki } from './pki.ts';

export type BrokerSpecInput = z.input<typeof BrokerSpec>;

export interface BrokerOptions extends Omit<BrokerSpecInput, 'image'> {
  /** Certificates: a rig.pki() result, or a spec to issue (named certificates or a verbatim openssl script). */
  pki?: Pki | PkiSpec;
  /** `local` Mosquitto process (default), `container`, or `auto` (a container when its image is present). */
  provider?: BrokerProvider;
  /** The container image (provider container or auto). */
  image?: string;
  /** Who connects: twins reach the broker on 127.0.0.1, lab boards on the lab's LAN address (default twin). */
  target?: 'twin' | 'hardware';
  /** The lab for hardware boards (default rig.lab.yaml or RIG_LAB). */
  lab?: LabOptions;
}

export interface Broker extends AsyncDisposable, BrokerFaults {
  readonly spec: BrokerSpec;
  readonly pki: Pki;
  readonly provider: 'local' | 'container';
  /** The address clients on this machine use. */
  readonly host: string;
  /** The broker handle of rig/broker (its events, conf file, pid), for what this API does not cover. */
  readonly handle: BrokerHandle;
  /** The real port a logical listener port is mapped to. */
  port(logical?: number): number;
  /** The broker's log so far. */
  log(): string[];
  /** The first log line (from now on, or already logged) matching the pattern. */
  expectLog(pattern: RegExp | string, o?: { timeoutMs?: number }): Promise<string>;
  /** An mqtt.js client on this broker (stopped with the broker). */
  client(o?: ClientOptions): Promise<MqttObserver>;
  stop(): Promise<void>;
}

export async function startApiBroker(o: BrokerOptions): Promise<Broker> {
  const { pki: pkiIn, provider = 'local', image, target = 'twin', lab, ...specIn } = o;
  const parsed = BrokerSpec.safeParse({ ...specIn, ...(image ? { image } : {}) });
  if (!parsed.success) throw new TypeError(`rig.broker: ${z.prettifyError(parsed.error)}`);
  const spec = parsed.data;
  const brokerIp = (await targetDrivers([target], lab ?? {})).get(target)!.brokerIp;
  const pki =
    pkiIn === undefined ? await issuePki({}, { brokerIp }) : isPki(pkiIn) ? pkiIn : await issuePki(pkiIn, { brokerIp });
  const workDir = await brokerWorkDir('rig-api-broker-');
  let handle: BrokerHandle;
  try {
    handle = await startBroker(spec, pki.bundle, { provider, workDir, vars: { 'broker.ip': brokerIp } });
  } catch (e) {
    await rm(workDir, { recursive: true, force: true });
    throw e;
  }
  return apiBroker(spec, pki, handle, workDir);
}

function apiBroker(spec: BrokerSpec, pki: Pki, handle: BrokerHandle, workDir: string): Broker {
  const clients: MqttObserver[] = [];
  let stopping: Promise<void> | undefined;
  const label = `broker ${handle.provider} ${handle.host}:${Object.values(handle.ports).join(',')}`;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await Promise.all(clients.map((c) => c.end()));
      await handle.stop();
      await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
      untrack();
    })());
  const untrack = track({ label, stop, logs: () => ({ title: label, lines: handle.logLines() }) });
  const port = (logical?: number): number => {
    const l = logical ?? defaultListener(spec)?.port;
    const real = l === undefined ? undefined : handle.ports[l];
    if (real === undefined)
      throw new Error(`the broker has no listener on port ${l} (has ${Object.keys(handle.ports).join(', ')})`);
    return real;
  };
  return {
    spec,
    pki,
    provider: handle.provider,
    host: handle.host,
    handle,
    port,
    log: () => handle.logLines(),
    expectLog: async (pattern, o = {}) => {
      const have = handle.logLines().find((l) => matches(pattern, l));
      if (have !== undefined) return have;
      const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
      return handle.waitForLog(re, o.timeoutMs ?? 10_000);
    },
    client: async (o = {}) => {
      const logical = o.port ?? defaultListener(spec)?.port;
      const listener = spec.listeners?.find((l) => l.port === logical);
      const cert = o.cert ? pki.certs[o.cert] : undefined;
      if (o.cert && !cert) throw new Error(`client: no certificate named "${o.cert}" in the PKI`);
      const c = await connectClient(
        {
          host: handle.host,
          port: port(logical),
          tls: listener ? !!listener.tls : true,
          ...(pki.certs.ca ? { ca: pki.certs.ca.crt } : {}),
          ...(cert
            ? { cert: { crt: cert.crt, ...((cert.keyPlain ?? cert.key) ? { key: cert.keyPlain ?? cert.key } : {}) } }
            : {}),
        },
        o,
      );
      clients.push(c);
      return c;
    },
    ...brokerFaults(handle),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** The listener a board connects to by default: the first TLS one, else the first (as a scenario resolves it). */
function defaultListener(spec: BrokerSpec): { port: number } | undefined {
  return spec.listeners?.find((l) => l.tls) ?? spec.listeners?.[0];
}
