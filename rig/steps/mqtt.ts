// The rig's own MQTT client for steps (publish, expectMessage): connected for the whole step run and reconnecting
// on its own, so it is there again after a broker restart; every message with its arrival time.
import { readFile } from 'node:fs/promises';
import mqtt, { type MqttClient } from 'mqtt';

export interface StepMqttOptions {
  host: string;
  port: number;
  tls: boolean;
  certFile?: string;
  keyFile?: string;
  username?: string;
  password?: string;
  /** Topic filters to subscribe to (QoS 1). */
  subscribe: string[];
}

export interface StepMessage {
  topic: string;
  payload: string;
  at: number;
}

export class StepMqtt {
  readonly messages: StepMessage[] = [];
  private constructor(private readonly client: MqttClient) {}

  /** Connects (waiting up to 5 s for the first CONNACK) and subscribes; the id starts "rig-steps-". */
  static async connect(o: StepMqttOptions): Promise<StepMqtt> {
    const [cert, key] = await Promise.all([
      o.certFile ? readFile(o.certFile) : undefined,
      o.keyFile ? readFile(o.keyFile) : undefined,
    ]);
    const client = mqtt.connect({
      host: o.host,
      port: o.port,
      protocol: o.tls ? 'mqtts' : 'mqtt',
      // Not under test: it trusts whatever the broker presents (a rotated certificate included).
      rejectUnauthorized: false,
      reconnectPeriod: 250,
      connectTimeout: 5000,
      clientId: `rig-steps-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      ...(cert && key ? { cert, key } : {}),
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
    });
    const m = new StepMqtt(client);
    client.on('message', (topic, payload) =>
      m.messages.push({ topic, payload: payload.toString('utf8'), at: Date.now() }),
    );
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no CONNACK within 5 s')), 5000);
        client.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (o.subscribe.length) await client.subscribeAsync(o.subscribe, { qos: 1 });
    } catch (e) {
      client.end(true);
      throw new Error(`the rig's step client could not connect: ${(e as Error).message}`, { cause: e });
    }
    return m;
  }

  async publish(topic: string, payload: string, qos: 0 | 1): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true).catch(() => undefined);
  }
}

export { topicMatches } from '../format/topic.ts';
