// A TLS front in the rig before the scenario's Mosquitto (local process or container alike), imposing a cloud
// broker's or proxy's policy (personalities.ts): it reads the ClientHello first and refuses what the provider
// refuses (no SNI, no ALPN on 443) with a fatal alert, then terminates TLS itself (its versions, ciphers, chain and
// client certificate rule) and relays the bytes to Mosquitto's own listener. Its lines join the broker log, in
// Mosquitto's "<epoch>: " form, so a cell's evidence shows who refused.
import { appendFileSync, readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { BrokerSpec } from '../../scenario/schema.ts';
import type { BrokerHandle, BrokerPki } from '../types.ts';
import { helloBytesMissing, parseClientHello } from './client-hello.ts';
import { connectRefusal, shown, type ConnectPolicy } from './connect-policy.ts';
import { connack, readConnect } from './mqtt-connect.ts';
import { helloRefusal, PERSONALITIES, type Personality } from './personalities.ts';

// TLS 1.2 fatal handshake_failure alert (RFC 5246 §7.2): what the front answers a ClientHello it refuses. Which alert
// each provider really sends is not documented; handshake_failure is what a TLS server without a matching context
// (SNI) or protocol (ALPN, RFC 7301 §3.2 says no_application_protocol, 120) sends in the common stacks.
const ALERT_HANDSHAKE_FAILURE = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
const ALERT_NO_APPLICATION_PROTOCOL = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x78]);
const HELLO_TIMEOUT_MS = 10000;

interface Listening {
  logical: number;
  server: net.Server;
  port: number;
}

/** Starts the front on every TLS listener of `spec` and returns the handle the targets use. */
export async function startFront(inner: BrokerHandle, spec: BrokerSpec, pki: BrokerPki): Promise<BrokerHandle> {
  const personality = PERSONALITIES[spec.personality!];
  const log = new FrontLog(inner, personality.name);
  const listening: Listening[] = [];
  try {
    for (const l of spec.listeners ?? []) {
      if (!l.tls) continue;
      const context = secureContext(personality, spec, l.tls, pki);
      const upstream = { host: inner.host, port: inner.ports[l.port] ?? l.port };
      // MQTT over WebSockets starts with an HTTP upgrade, not a CONNECT: the CONNECT rules apply to plain MQTT only.
      const mqtt = l.protocol !== 'websockets';
      // noDelay on both legs, as the rig's Mosquitto has (set_tcp_nodelay): no record waits behind a delayed ACK.
      const server = net.createServer({ noDelay: true }, (sock) =>
        accept(sock, { personality, logical: l.port, context, upstream, log, mqtt }),
      );
      server.on('error', (e) => log.line(`listener ${l.port} error: ${e.message}`));
      const port = await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, inner.host, () => resolve((server.address() as net.AddressInfo).port));
      });
      listening.push({ logical: l.port, server, port });
      log.line(`front on port ${l.port} (rig port ${port}) before mosquitto ${upstream.host}:${upstream.port}`);
    }
  } catch (e) {
    for (const x of listening) x.server.close();
    throw e;
  }
  const ports = { ...inner.ports };
  for (const x of listening) ports[x.logical] = x.port;
  return {
    ...inner,
    ports,
    directPorts: inner.ports,
    logLines: () => log.lines(),
    onLine: (cb) => log.onLine(cb),
    waitForLog: (re, timeoutMs) => log.waitFor(re, timeoutMs),
    stop: async () => {
      for (const x of listening) x.server.close();
      log.close();
      await inner.stop();
    },
  };
}

function secureContext(
  p: Personality,
  spec: BrokerSpec,
  l: NonNullable<NonNullable<BrokerSpec['listeners']>[number]['tls']>,
  pki: BrokerPki,
): tls.SecureContext {
  const certName = (p.ownCertificate ? spec.front?.cert : undefined) ?? l.cert;
  const cert = pki.certs[certName];
  if (!cert?.key) throw new Error(`broker front: no PKI certificate "${certName}" with a key`);
  const ca = pki.certs[l.ca ?? 'ca'];
  return tls.createSecureContext({
    cert: readFileSync(cert.chain ?? cert.crt),
    key: readFileSync(cert.keyPlain ?? cert.key),
    minVersion: p.minVersion,
    ...(p.ciphers ? { ciphers: p.ciphers } : {}),
    ...(p.clientCert && ca ? { ca: readFileSync(ca.crt) } : {}),
  });
}

interface Accepting {
  personality: Personality;
  logical: number;
  context: tls.SecureContext;
  upstream: { host: string; port: number };
  log: FrontLog;
  /** The listener speaks plain MQTT (not WebSockets): the personality's CONNECT rules apply. */
  mqtt: boolean;
}

function accept(sock: net.Socket, a: Accepting): void {
  const peer = `${sock.remoteAddress}:${sock.remotePort}`;
  let buf = Buffer.alloc(0);
  const timer = setTimeout(() => sock.destroy(), HELLO_TIMEOUT_MS);
  sock.on('error', () => undefined);
  const onData = (chunk: Buffer): void => {
    buf = Buffer.concat([buf, chunk]);
    const missing = helloBytesMissing(buf);
    if (missing > 0) return;
    sock.off('data', onData);
    clearTimeout(timer);
    sock.pause();
    const hello = missing < 0 ? undefined : parseClientHello(buf);
    const why = hello
      ? helloRefusal(a.personality, a.logical, hello)
      : 'no TLS ClientHello (plain MQTT on a TLS port?)';
    if (why) {
      a.log.line(`front refused ${peer}: ${why}`);
      sock.end(why.startsWith('no ALPN') ? ALERT_NO_APPLICATION_PROTOCOL : ALERT_HANDSHAKE_FAILURE);
      return;
    }
    sock.unshift(buf);
    terminate(sock, peer, a, hello!.sni);
  };
  sock.on('data', onData);
}

function terminate(sock: net.Socket, peer: string, a: Accepting, sni: string | undefined): void {
  const p = a.personality;
  const t = new tls.TLSSocket(sock, {
    isServer: true,
    secureContext: a.context,
    requestCert: p.clientCert,
    rejectUnauthorized: p.clientCert,
    ...(p.alpn ? { ALPNProtocols: p.alpn.protocols } : {}),
  });
  t.on('error', (e: Error) => {
    a.log.line(`front TLS error from ${peer}: ${e.message}`);
    t.destroy();
  });
  t.once('secure', () => {
    a.log.line(
      `front accepted ${peer}${sni ? ` for ${shown(sni)}` : ''}${t.alpnProtocol ? ` with ALPN ${shown(t.alpnProtocol)}` : ''}`,
    );
    if (p.connect && a.mqtt) checkConnect(t, peer, a, p.connect, sni);
    else relay(t, peer, a, Buffer.alloc(0));
  });
}

/**
 * Holds the client's bytes until its CONNECT is whole, then refuses it (CONNACK with the provider's code, or a close
 * for one over the size limit) or relays it and everything after to Mosquitto. Buffers at most the policy's limit.
 */
function checkConnect(t: tls.TLSSocket, peer: string, a: Accepting, policy: ConnectPolicy, sni?: string): void {
  let buf = Buffer.alloc(0);
  const timer = setTimeout(() => t.destroy(), HELLO_TIMEOUT_MS);
  const refuse = (why: string, answer?: Buffer): void => {
    a.log.line(`front refused CONNECT from ${peer}: ${why}`);
    if (answer) t.end(answer);
    else t.destroy();
  };
  const onData = (chunk: Buffer): void => {
    buf = Buffer.concat([buf, chunk]);
    const r = readConnect(buf, policy.maxConnectBytes);
    if (r.state === 'more') return;
    t.off('data', onData);
    clearTimeout(timer);
    if (r.state === 'too-large')
      return refuse(`CONNECT of ${r.size} bytes over the ${policy.maxConnectBytes}-byte limit`);
    if (r.state === 'malformed') return refuse(`malformed CONNECT (${r.why})`);
    const no = connectRefusal(policy, r.connect, sni);
    if (no) return refuse(`${no.why} (CONNACK ${no.rc})`, connack(r.connect.level, no.rc));
    a.log.line(`front passed CONNECT from ${peer}: ${r.connect.size} bytes, client id ${shown(r.connect.clientId)}`);
    t.pause();
    relay(t, peer, a, buf);
  };
  t.on('data', onData);
}

/** Pipes the client to Mosquitto's own TLS listener, `first` (bytes already read from the client) before the rest. */
function relay(t: tls.TLSSocket, peer: string, a: Accepting, first: Buffer): void {
  const up = tls.connect({ host: a.upstream.host, port: a.upstream.port, rejectUnauthorized: false });
  up.setNoDelay(true);
  up.on('error', (e) => {
    a.log.line(`front lost mosquitto for ${peer}: ${e.message}`);
    t.destroy();
  });
  if (first.length) up.write(first);
  t.pipe(up).pipe(t);
  t.on('close', () => up.destroy());
  up.on('close', () => t.destroy());
}

/** The broker's lines and the front's, in arrival order; the front's also go to the broker's log file. */
class FrontLog {
  private readonly all: string[];
  private readonly listeners = new Set<(line: string) => void>();
  private readonly untap: () => void;

  constructor(
    private readonly inner: BrokerHandle,
    private readonly name: string,
  ) {
    this.all = [...inner.logLines()];
    this.untap = inner.onLine((line) => this.add(line));
  }

  line(text: string): void {
    const line = `${Math.floor(Date.now() / 1000)}: ${this.name} ${text}`;
    try {
      appendFileSync(this.inner.logFile, `${line}\n`);
    } catch {
      // the broker's folder may be gone at shutdown
    }
    this.add(line);
  }

  private add(line: string): void {
    this.all.push(line);
    for (const cb of this.listeners) cb(line);
  }

  lines(): string[] {
    return [...this.all];
  }

  onLine(cb: (line: string) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  waitFor(re: RegExp, timeoutMs: number): Promise<string> {
    const seen = this.all.find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`broker log never showed ${re}`));
      }, timeoutMs);
      const off = this.onLine((l) => {
        if (!re.test(l)) return;
        clearTimeout(timer);
        off();
        resolve(l);
      });
    });
  }

  close(): void {
    this.untap();
  }
}
