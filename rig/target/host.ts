// The host-control driver: the PC side of "it works on my PC" (mqtt.js on Node's OpenSSL, or mosquitto_pub/sub)
// with the variant's CA, client certificate, credentials and --insecure. It classifies its own outcome.
import { isIPv4 } from 'node:net';
import { runControl, type ControlClient, type ControlKind } from '../control/index.ts';
import type { Outcome } from '../results/schema.ts';
import type { PreparedTarget, RunningTarget, TargetCell, TargetDriver } from './driver.ts';

export function hostDriver(): TargetDriver {
  return { name: 'host', brokerIp: '127.0.0.1', reportsClientIds: true, prepare: prepareHost };
}

async function prepareHost(cell: TargetCell): Promise<PreparedTarget> {
  const { rv, broker } = cell;
  const kind: ControlKind = cell.board.stack === 'openssl-mosquitto' ? 'mosquitto-cli' : 'control';
  const c = rv.client;
  const clientId = c.clientId ? `${c.clientId}-pc` : `rig-${kind}-${rv.variant}`.slice(0, 23);
  // mosquitto_sub listens as <id>-sub while mosquitto_pub publishes as <id> (rig/control/cli.ts).
  const clientIds = kind === 'mosquitto-cli' ? [clientId, `${clientId}-sub`] : [clientId];
  if (c.password) cell.secret(c.password);
  const client = controlClient(cell, clientId);
  const header = `${kind} → ${c.connect}:${c.port} (${broker.host}:${broker.ports[c.port] ?? c.port})`;
  return {
    timings: {},
    clientIds,
    start: async () => startControl(kind, client, Math.min(cell.timeoutMs, 15_000), header),
  };
}

/** The PC reaches the broker at its real address; the name it checks is the one the board would use. */
function controlClient(cell: TargetCell, clientId: string): ControlClient {
  const { rv, pki, broker } = cell;
  const c = rv.client;
  const listener = rv.broker.listeners?.find((l) => l.port === c.port);
  const cert = c.cert ? pki.certs[c.cert] : undefined;
  return {
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
  };
}

function startControl(kind: ControlKind, client: ControlClient, timeoutMs: number, header: string): RunningTarget {
  const lines: string[] = [];
  const outcome = runControl(kind, client, { timeoutMs }).then((o: Outcome) => {
    lines.push(header, `outcome: ${o.kind}${o.code ? ` ${o.code}` : ''}${o.detail ? ` — ${o.detail}` : ''}`);
    return o;
  });
  return {
    label: `${kind} ${client.clientId}`,
    lines: { lines: () => [...lines], onLine: () => () => undefined },
    ended: new Promise(() => undefined),
    facts: () => [],
    clientIds: () => [],
    lastWords: () => '',
    outcome,
    // The client ends by itself within its timeout; nothing to stop.
    stop: async () => undefined,
  };
}
