// broker.client(): an mqtt.js client on the API's broker, to publish to a board and expect what it publishes.
// It is the test's observer, not the thing under test: it skips certificate checks unless asked to verify.
import { readFile } from 'node:fs/promises';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { matches } from './match.ts';
import { topicMatches } from '../format/topic.ts';

export interface ClientOptions {
  /** The logical listener port (default: the first TLS listener, else the first). */
  port?: number;
  /** The PKI name of a client certificate to present (mutual TLS). */
  cert?: string;
  username?: string;
  password?: string;
  clientId?: string;
  /** Check the broker's certificate against the PKI's `ca` with this server name (default: no check). */
  verify?: { servername: string };
  connectTimeoutMs?: number;
}

export interface ReceivedMessage {
  topic: string;
  payload: string;
  at: number;
}

export interface MqttObserver {
  /** The mqtt.js client itself, for anything beyond these helpers. */
  readonly mqtt: MqttClient;
  /** Every message received since connecting. */
  messages(): ReceivedMessage[];
  subscribe(topic: string): Promise<void>;
  publish(topic: string, payload: string | Buffer, opts?: { qos?: 0 | 1 | 2; retain?: boolean }): Promise<void>;
  /**
   * The next message (after the ones already expected) on a topic matching `topic` (an MQTT filter with + and #)
   * whose payload matches; subscribes to the filter first when not yet subscribed.
   */
  expectMessage(topic: string, o?: { payload?: RegExp | string; timeoutMs?: number }): Promise<ReceivedMessage>;
  end(): Promise<void>;
}

export interface ClientTarget {
  host: string;
  port: number;
  tls: boolean;
  ca?: string;
  cert?: { crt: string; key?: string };
}

export async function connectClient(t: ClientTarget, o: ClientOptions): Promise<MqttObserver> {
  const [cert, key, ca] = await Promise.all([
    t.cert ? readFile(t.cert.crt) : undefined,
    t.cert?.key ? readFile(t.cert.key) : undefined,
    o.verify && t.ca ? readFile(t.ca) : undefined,
  ]);
  const opts: IClientOptions = {
    host: t.host,
    port: t.port,
    protocol: t.tls ? 'mqtts' : 'mqtt',
    rejectUnauthorized: !!o.verify,
    ...(o.verify ? { servername: o.verify.servername, ...(ca ? { ca } : {}) } : {}),
    reconnectPeriod: 0,
    connectTimeout: o.connectTimeoutMs ?? 5000,
    clientId: o.clientId ?? `rig-api-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
    ...(cert && key ? { cert, key } : {}),
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
  };
  const client = await mqtt.connectAsync(opts);
  return observer(client);
}

function observer(client: MqttClient): MqttObserver {
  const received: ReceivedMessage[] = [];
  const subscribed = new Set<string>();
  const waiters = new Set<() => void>();
  let cursor = 0;
  client.on('message', (topic, payload) => {
    received.push({ topic, payload: payload.toString('utf8'), at: Date.now() });
    for (const w of [...waiters]) w();
  });
  const subscribe = async (topic: string): Promise<void> => {
    if (subscribed.has(topic)) return;
    await client.subscribeAsync(topic, { qos: 0 });
    subscribed.add(topic);
  };
  const find = (topic: string, payload: RegExp | string | undefined): ReceivedMessage | undefined => {
    for (let i = cursor; i < received.length; i++) {
      const m = received[i]!;
      if (topicMatches(topic, m.topic) && (payload === undefined || matches(payload, m.payload))) {
        cursor = i + 1;
        return m;
      }
    }
    return undefined;
  };
  return {
    mqtt: client,
    messages: () => [...received],
    subscribe,
    publish: async (topic, payload, opts = {}) => {
      await client.publishAsync(topic, payload, { qos: opts.qos ?? 0, retain: opts.retain ?? false });
    },
    expectMessage: async (topic, o = {}) => {
      await subscribe(topic);
      const timeoutMs = o.timeoutMs ?? 10_000;
      const hit = find(topic, o.payload);
      if (hit) return hit;
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = find(topic, o.payload);
          if (!m) return;
          done();
          resolve(m);
        };
        const timer = setTimeout(() => {
          done();
          const seen = received.slice(-5).map((m) => `${m.topic}: ${m.payload.slice(0, 80)}`);
          reject(
            new Error(
              `no message on ${topic}${o.payload ? ` matching ${String(o.payload)}` : ''} within ${timeoutMs} ms` +
                (seen.length ? `; last messages: ${seen.join(' | ')}` : '; no messages at all'),
            ),
          );
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
      });
    },
    end: async () => {
      for (const w of [...waiters]) waiters.delete(w);
      await client.endAsync(true).catch(() => undefined);
    },
  };
}

export { topicMatches };
