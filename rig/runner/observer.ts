// An mqtt.js client on the scenario's broker that records what the boards publish, for `messages` expectations.
// It is not under test, so it skips certificate checks but uses the variant's client certificate and credentials.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext } from 'node:tls';
import mqtt, { type MqttClient } from 'mqtt';

/** bytes: the payload's length on the wire (the broker log gives it, not the payload). */
export interface ObservedMessage {
  topic: string;
  payload: string;
  bytes: number;
  at: number;
}

export interface ObserverOptions {
  host: string;
  port: number;
  tls: boolean;
  certFile?: string;
  keyFile?: string;
  username?: string;
  password?: string;
  topic: string;
  /**
   * Cap the handshake at TLS 1.2 (a listener with no TLS settings of its own): after a TLS 1.3 handshake the
   * broker's session tickets sit unacknowledged and Nagle holds its CONNACK for the client's delayed ACK (~40 ms
   * on Linux), every session; TLS 1.2 sends none.
   */
  tls12?: boolean;
}

export class Observer {
  readonly messages: ObservedMessage[] = [];
  error: string | undefined;
  /** Its MQTT client id: the broker log names it in every PUBLISH it forwards to the observer. */
  clientId: string | undefined;
  private client: MqttClient | undefined;

  static async start(o: ObserverOptions, timeoutMs = 5000): Promise<Observer> {
    const obs = new Observer();
    try {
      const [cert, key] = await Promise.all([
        o.certFile ? readFile(o.certFile) : undefined,
        o.keyFile ? readFile(o.keyFile) : undefined,
      ]);
      const clientId = `rig-observer-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
      obs.clientId = clientId;
      const secureContext = o.tls ? observerContext(cert && key ? { cert, key } : {}, o.tls12 ?? false) : undefined;
      const client = mqtt.connect({
        host: o.host,
        port: o.port,
        protocol: o.tls ? 'mqtts' : 'mqtt',
        rejectUnauthorized: false,
        reconnectPeriod: 0,
        connectTimeout: timeoutMs,
        clientId,
        ...(secureContext ? { secureContext } : {}),
        ...(o.username !== undefined ? { username: o.username } : {}),
        ...(o.password !== undefined ? { password: o.password } : {}),
      });
      obs.client = client;
      client.on('message', (topic, payload) =>
        obs.messages.push({ topic, payload: payload.toString('utf8'), bytes: payload.length, at: Date.now() }),
      );
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no CONNACK within timeout')), timeoutMs);
        client.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
        client.once('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
      await client.subscribeAsync(`${o.topic}/#`, { qos: 0 });
    } catch (e) {
      obs.error = `observer could not subscribe: ${(e as Error).message}`;
      obs.client?.end(true);
      obs.client = undefined;
    }
    return obs;
  }

  async stop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.endAsync(true).catch(() => undefined);
  }
}

// The observer's TLS contexts, by their key material: a context with a client key takes ~5 ms of the rig's thread
// to build (measured), and a run's sessions mostly share their client certificate. Bounded: a run has few.
const contexts = new Map<string, SecureContext>();

function observerContext(m: { cert?: Buffer; key?: Buffer }, tls12: boolean): SecureContext {
  const id = createHash('sha256')
    .update(`${tls12}\0`)
    .update(m.cert ?? '')
    .update('\0')
    .update(m.key ?? '')
    .digest('hex');
  let c = contexts.get(id);
  if (!c) {
    c = createSecureContext({ ...m, ...(tls12 ? { maxVersion: 'TLSv1.2' as const } : {}) });
    if (contexts.size >= 64) contexts.delete(contexts.keys().next().value!);
    contexts.set(id, c);
  }
  return c;
}
