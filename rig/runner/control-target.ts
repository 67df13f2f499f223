// Runs one cell on a control client (a PC: mqtt.js or mosquitto_pub/sub) with the variant's settings.
import { isIPv4 } from 'node:net';
import { runControl, type ControlKind } from '../control/index.ts';
import type { Attempt, CellEnv } from './attempt.ts';


export async function runControlCell(env: CellEnv): Promise<Attempt> {
  const { plan, rv, pki, broker } = env;
  const kind: ControlKind = plan.board.stack === 'openssl-mosquitto' ? 'mosquitto-cli' : 'control';
  const c = rv.client;
  const listener = rv.broker.listeners?.find((l) => l.port === c.port);
  const cert = c.cert ? pki.certs[c.cert] : undefined;
  const t0 = Date.now();
  // The PC reaches the broker at its real address; the name it checks is the one the board would use.
  const outcome = await runControl(kind, {
    host: broker.host,
    port: broker.ports[c.port] ?? c.port,
    tls: listener ? listener.tls !== undefined : true,
    ...(c.ca ? { ca: pki.certs[c.ca]!.crt } : {}),
    ...(cert ? { cert: cert.crt, ...(cert.keyPlain ?? cert.key ? { key: cert.keyPlain ?? cert.key } : {}) } : {}),
    ...(c.insecure ? { insecure: true } : {}),
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    clientId: c.clientId ? `${c.clientId}-pc` : `rig-${kind}-${rv.variant}`.slice(0, 23),
    topic: c.topic,
    ...(c.tlsVersion ? { tlsVersion: c.tlsVersion } : {}),
    ...(c.connect !== broker.host || !isIPv4(c.connect) ? { servername: c.connect } : {}),
  }, { timeoutMs: Math.min(env.timeoutMs, 15_000) });
  const serial = [`${kind} → ${c.connect}:${c.port} (${broker.host}:${broker.ports[c.port] ?? c.port})`,
    `outcome: ${outcome.kind}${outcome.code ? ` ${outcome.code}` : ''}${outcome.detail ? ` — ${outcome.detail}` : ''}`];
  return { outcome, serial, timings: { run: Date.now() - t0 } };
}
