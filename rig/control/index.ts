// Control clients: "it works on my PC" run by the rig. `control` = mqtt.js (Node's OpenSSL),
// `mosquitto-cli` = mosquitto_pub/mosquitto_sub (libmosquitto's OpenSSL use).
import type { Outcome } from '../results/schema.ts';
import { runMosquittoCli } from './cli.ts';
import { runMqttJs } from './mqttjs.ts';
import { ControlClient, type ControlKind, type ControlOptions } from './types.ts';

export { ControlClient, ControlKind, type ControlOptions } from './types.ts';
export { classifyNodeError, classifyCliOutput, classifyVerifyError } from './classify.ts';

/** One connect + subscribe + publish + receive attempt; never throws for a failed connection. */
export async function runControl(
  kind: ControlKind,
  client: ControlClient,
  opts: ControlOptions = {},
): Promise<Outcome> {
  const parsed = ControlClient.safeParse(client);
  if (!parsed.success) {
    throw new Error(
      `control client: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  }
  return kind === 'control' ? runMqttJs(parsed.data, opts) : runMosquittoCli(parsed.data, opts);
}
