// Control `control`: mqtt.js over Node's TLS (OpenSSL). Connect, subscribe, publish, receive the message.
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions } from 'mqtt';
import type { Outcome } from '../results/schema.ts';
import { classifyNodeError } from './classify.ts';
import { defaultTopic, usesTls, type ControlClient, type ControlOptions } from './types.ts';

export async function runMqttJs(c: ControlClient, opts: ControlOptions = {}): Promise<Outcome> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const tls = usesTls(c);
  const topic = defaultTopic(c);
  const message = opts.message ?? `rig-control-${randomBytes(4).toString('hex')}`;
  const options: IClientOptions = {
    protocol: tls ? 'mqtts' : 'mqtt',
    host: c.host,
    port: c.port,
    clientId: c.clientId ?? `rig-control-${randomBytes(3).toString('hex')}`,
    username: c.username,
    password: c.password,
    protocolVersion: 4,
    reconnectPeriod: 0, // one attempt; the default retries every second forever
    connectTimeout: timeoutMs,
    clean: true,
  };
  if (tls) {
    Object.assign(options, {
      ca: c.ca ? readFileSync(c.ca) : undefined,
      cert: c.cert ? readFileSync(c.cert) : undefined,
      key: c.key ? readFileSync(c.key) : undefined,
      passphrase: c.keyPassphrase,
      rejectUnauthorized: c.insecure !== true,
      // mqtt.js overwrites servername with host when host is a DNS name (src/lib/connect/tls.ts). An IP is no
      // SNI (RFC 6066), so a PC told to use a LAN address checks that address through checkServerIdentity.
      ...(c.servername && isIP(c.servername)
        ? {
            checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(c.servername!, cert),
          }
        : { servername: c.servername }),
      maxVersion: c.tlsVersion === 'tlsv1.2' ? 'TLSv1.2' : undefined,
    });
  }

  const facts: string[] = [];
  const seen = new Set<string>();
  return new Promise<Outcome>((resolve) => {
    const client = mqtt.connect(options);
    let done = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      client.end(true);
      resolve({ ...o, facts });
    };
    const timer = setTimeout(() => finish({ kind: 'timeout', detail: `no result within ${timeoutMs} ms` }), timeoutMs);

    client.on('error', (err: Error & { code?: string | number }) => {
      // A verification failure is emitted twice (tls.ts and the stream error handler): keep one.
      const key = `${String(err.code)}|${err.message}`;
      if (seen.has(key)) return;
      seen.add(key);
      facts.push(`error ${String(err.code ?? '')}: ${err.message}`.replace(/ +/g, ' '));
      const cls = classifyNodeError({ code: err.code, message: err.message }, { clientCert: c.cert !== undefined });
      finish({ kind: cls.kind, code: cls.code, detail: err.message });
    });
    client.on('connect', (connack) => {
      facts.push(`connack ${connack.returnCode ?? 0}`);
      client.subscribe(topic, { qos: 1 }, (err, granted) => {
        if (err) return finish({ kind: 'unknown', detail: `subscribe failed: ${err.message}` });
        const g = granted?.[0];
        facts.push(`suback ${g?.qos ?? 'none'}`);
        if (g && g.qos === 128)
          return finish({ kind: 'mqtt/not-authorized', code: 'suback:128', detail: `subscribe to ${topic} refused` });
        client.publish(topic, message, { qos: 1 }, (perr) => {
          if (perr) finish({ kind: 'unknown', detail: `publish failed: ${perr.message}` });
          else facts.push('puback');
        });
      });
    });
    client.on('message', (t, payload) => {
      if (t === topic && payload.toString() === message) {
        facts.push(`message ${t}`);
        finish({ kind: 'connected', detail: `round trip on ${t}` });
      }
    });
    client.on('close', () => {
      // Closed with no error: e.g. rejectUnauthorized:false hides TLS errors and just ends the socket.
      if (!client.connected)
        setTimeout(() => finish({ kind: 'mqtt/connection-lost', detail: 'closed before CONNACK' }), 50);
      else
        setTimeout(
          () => finish({ kind: 'mqtt/connection-lost', detail: 'closed after CONNACK before the round trip' }),
          50,
        );
    });
  });
}
