// The broker session of one group of cells (a scenario variant on one network): its resolved variant, its
// PKI, its Mosquitto, the ledger that attributes broker lines and messages to cells, and the observer that
// records what the boards publish. Opened before the group's cells run, closed after, whatever happened.
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startBroker, type BrokerHandle, type BrokerProvider } from '../broker/index.ts';
import { brokerWorkDir } from '../broker/workdir.ts';
import { buildPki, type PkiBundle } from '../pki/index.ts';
import type { ProjectPaths } from '../project.ts';
import { resolveVariant, type ResolvedVariant } from '../scenario/resolve.ts';
import { variantSteps } from '../scenario/step-check.ts';
import { BrokerLedger } from './attribution.ts';
import type { Cleanup } from './cleanup.ts';
import { Observer } from './observer.ts';
import type { Group } from './plan.ts';
import { brokerSecrets, type RunSecrets } from './secrets.ts';

export interface SessionContext {
  paths: ProjectPaths;
  provider: BrokerProvider;
  runDir: string;
  secrets: RunSecrets;
  cleanup: Cleanup;
}

export interface BrokerSession {
  rv: ResolvedVariant;
  pki: PkiBundle;
  broker: BrokerHandle;
  ledger: BrokerLedger;
  observer: Observer;
  /** brokers/<group>/ in the run folder: the conf and the broker log. */
  groupDir: string;
  setupMs: number;
  /** What setupMs went to: the PKI (cached by content), the broker to ready, the observer subscribed. */
  setupSteps: { pki: number; broker: number; observer: number };
  close(): Promise<void>;
}

/** Starts what the group's cells share; on failure, what was started is stopped again. */
export async function openSession(g: Group, brokerIp: string, ctx: SessionContext): Promise<BrokerSession> {
  const t0 = Date.now();
  const vars = { 'broker.ip': brokerIp };
  const groupDir = path.join(ctx.runDir, 'brokers', safeName(`${g.loaded.scenario.id}-${g.variant}-${g.network}`));
  const parts: SessionParts = { groupDir };
  const close = (): Promise<void> => closeSession(parts, ctx);
  try {
    const rv = resolveVariant(g.loaded.scenario, g.variant, vars);
    for (const v of brokerSecrets(rv)) ctx.secrets.add(v);
    // A step's new password is as secret as the broker's users.
    for (const st of variantSteps(g.loaded.scenario, g.variant))
      if (st.reconfigure?.password) ctx.secrets.add(st.reconfigure.password.password);
    const t1 = Date.now();
    const pki = await buildPki(rv.pki, { vars, cacheDir: path.join(ctx.paths.cache, 'pki') });
    for (const c of Object.values(pki.certs)) if (c.keyPassphrase) ctx.secrets.add(c.keyPassphrase);
    await mkdir(groupDir, { recursive: true });
    // The broker's own folder holds its key and password file: keep it out of the run folder (an artifact).
    parts.work = await brokerWorkDir('rig-broker-work-');
    const t2 = Date.now();
    const broker = await startBroker(rv.broker, pki, { provider: ctx.provider, workDir: parts.work, vars });
    parts.broker = broker;
    await copyFile(broker.confFile, path.join(groupDir, 'mosquitto.conf')).catch(() => undefined);
    parts.unregister = ctx.cleanup.add(`broker ${g.key}`, () => broker.stop());
    // Every line with its arrival time, so a cell's messages and log lines are told from its neighbours'.
    const ledger = new BrokerLedger();
    parts.untap = broker.onLine((line) => ledger.record(line));
    const t3 = Date.now();
    const observer = await Observer.start(observerOptions(rv, pki, broker));
    parts.observer = observer;
    ledger.watchObserver(observer);
    const setupSteps = { pki: t2 - t1, broker: t3 - t2, observer: Date.now() - t3 };
    return { rv, pki, broker, ledger, observer, groupDir, setupMs: Date.now() - t0, setupSteps, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** What has been started so far, stopped in reverse when the session closes. */
type SessionParts = Partial<BrokerSession> & { untap?: () => void; unregister?: () => void; work?: string };

async function closeSession(s: SessionParts, ctx: SessionContext): Promise<void> {
  s.untap?.();
  await s.observer?.stop();
  if (s.broker) {
    const log = ctx.secrets.redact(s.broker.logLines().join('\n') + '\n');
    await writeFile(path.join(s.groupDir!, 'broker.log'), log).catch(() => undefined);
    await s.broker.stop().catch(() => undefined);
    s.unregister?.();
  }
  if (s.work) await rm(s.work, { recursive: true, force: true }).catch(() => undefined);
}

export function observerOptions(
  rv: ResolvedVariant,
  pki: PkiBundle,
  broker: BrokerHandle,
): Parameters<typeof Observer.start>[0] {
  const c = rv.client;
  const listener = rv.broker.listeners?.find((l) => l.port === c.port);
  const cert = c.cert ? pki.certs[c.cert] : undefined;
  return {
    host: broker.host,
    // The rig's own observer talks to Mosquitto directly, never through a personality's front.
    port: (broker.directPorts ?? broker.ports)[c.port] ?? c.port,
    tls: listener ? !!listener.tls : true,
    ...(tls12Fits(rv, listener) ? { tls12: true } : {}),
    ...(cert
      ? { certFile: cert.crt, ...((cert.keyPlain ?? cert.key) ? { keyFile: cert.keyPlain ?? cert.key } : {}) }
      : {}),
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    topic: c.topic,
  };
}

/**
 * Whether the observer may cap its handshake at TLS 1.2 (Observer's tls12): the broker neither requires TLS 1.3
 * nor names its own ciphers (a listener's fields or the lines of a verbatim conf); else the client's defaults.
 */
function tls12Fits(
  rv: ResolvedVariant,
  listener: NonNullable<ResolvedVariant['broker']['listeners']>[number] | undefined,
): boolean {
  const t = listener?.tls;
  if (t && (t.version === 'tlsv1.3' || t.ciphers !== undefined || t.ciphersTls13 !== undefined)) return false;
  return !/^\s*(tls_version\s+tlsv1\.3|ciphers)\b/m.test(rv.broker.conf ?? '');
}

export function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._@-]+/g, '_');
}
