// Runs one cell on a control client (a PC: mqtt.js or mosquitto_pub/sub) with the variant's settings.
import { isIPv4 } from 'node:net';
import { runControl, type ControlKind } from '../control/index.ts';
import type { Attempt, CellEnv } from './attempt.ts';
import { settle } from './settle.ts';

export async function runControlCell(env: CellEnv): Promise<Attempt> {
  const { plan, rv, pki, broker } = env;
  const kind: ControlKind = plan.board.stack === 'openssl-mosquitto' ? 'mosquitto-cli' : 'control';
  const c = rv.client;
  const listener = rv.broker.listeners?.find((l) => l.port === c.port);
  const cert = c.cert ? pki.certs[c.cert] : undefined;
  const clientId = c.clientId ? `${c.clientId}-pc` : `rig-${kind}-${rv.variant}`.slice(0, 23);
  env.clients.add(clientId);
  // mosquitto_sub listens as <id>-sub while mosquitto_pub publishes as <id> (rig/control/cli.ts).
  if (kind === 'mosquitto-cli') env.clients.add(`${clientId}-sub`);
  if (c.password) env.secret(c.password);
  const t0 = Date.now();
  // The PC reaches the broker at its real address; the name it checks is the one the board would use.
  const outcome = await runControl(
    kind,
    {
      host: broker.host,
      port: broker.ports[c.port] ?? c.port,
      tls: listener ? listener.tls !== undefined : true,
      ...(c.ca ? { ca: pki.certs[c.ca]!.crt } : {}),
      ...(cert ? { cert: cert.crt, ...((cert.keyPlain ?? cert.key) ? { key: cert.keyPlain ?? cert.key } : {}) } : {}),
      ...(c.insecure ? { insecure: true } : {}),
      ...(c.username !== undefined ? { username: c.username } : {}),
      ...(c.password !== undefined ? { password: c.password } : {}),
      clientId,
      topic: c.topic,
      ...(c.tlsVersion ? { tlsVersion: c.tlsVersion } : {}),
      ...(c.connect !== broker.host || !isIPv4(c.connect) ? { servername: c.connect } : {}),
    },
    { timeoutMs: Math.min(env.timeoutMs, 15_000) },
  );
  const serial = [
    `${kind} → ${c.connect}:${c.port} (${broker.host}:${broker.ports[c.port] ?? c.port})`,
    `outcome: ${outcome.kind}${outcome.code ? ` ${outcome.code}` : ''}${outcome.detail ? ` — ${outcome.detail}` : ''}`,
  ];
  // The round trip ends before its PUBLISH is in the broker log the message is attributed by: wait for it.
  if (env.plan.expectation?.messages?.length) {
    await settle({
      decided: () => true,
      exited: new Promise(() => undefined),
      timeoutMs: env.timeoutMs,
      signal: env.signal,
      expectation: env.plan.expectation,
      serial: () => serial,
      messages: () => env.clients.messages().counted,
    });
  }
  return { outcome, serial, timings: { run: Date.now() - t0 } };
}
