// Runs cells on real boards from the lab inventory: build and flash with arduino-cli (cached by image hash),
// open the USB serial port before reset, then watch it exactly as a twin's pty is watched.
import { loadInventory, brokerAddress, wifiFromEnv, type LabInventory } from '../hardware/inventory.ts';
import { runOnHardware, type HardwareCellOptions } from '../hardware/target.ts';
import type { Attempt, CellEnv } from './attempt.ts';
import { cellSecrets } from './cell-secrets.ts';
import { sketchFolder } from './twin-target.ts';
import { feed, newClassifier, watch, type TargetEnd } from './watch.ts';

export interface HardwareRunner { brokerIp: string; run: (env: CellEnv) => Promise<Attempt> }

/** What a lab (or a test standing in for one) provides: the inventory, the environment, the tools and ports. */
export interface HardwareRunnerOptions {
  inventory?: LabInventory;
  env?: NodeJS.ProcessEnv;
  tools?: Partial<Pick<HardwareCellOptions, 'binding' | 'list' | 'cli' | 'stateDir'>>;
}

export async function hardwareRunner(o: HardwareRunnerOptions = {}): Promise<HardwareRunner> {
  let inv: LabInventory;
  try { inv = o.inventory ?? await loadInventory(); } catch (e) {
    // Without a lab every hardware cell is reported as an error with this reason; twins still run.
    const reason = (e as Error).message;
    return { brokerIp: '127.0.0.1', run: async () => ({ outcome: { kind: 'none' }, serial: [], infraError: reason, timings: {} }) };
  }
  const brokerIp = brokerAddress(inv);
  return {
    brokerIp,
    run: async (env) => {
      // Every lab board with this profile: runOnHardware takes a free, attached one.
      const board = inv.boards.filter((b) => b.profile === env.plan.board.id);
      if (board.length === 0) return { outcome: { kind: 'none' }, serial: [], infraError: `no board with profile ${env.plan.board.id} in the lab inventory`, timings: {} };
      const wifi = wifiFromEnv(o.env);
      const sketchDir = await sketchFolder(env);
      if (!sketchDir) return { outcome: { kind: 'none' }, serial: [], infraError: 'no sketch', timings: {} };
      const secrets = await cellSecrets(env, { ssid: wifi.ssid, wifiPassword: wifi.pass, port: env.broker.ports[env.rv.client.port] ?? env.rv.client.port });
      // The rig's client id; one the sketch picks itself is learned from the broker log (attribution.ts).
      env.clients.add(secrets.clientId);
      const cell = await runOnHardware({ profile: env.plan.board, board, sketchDir, secretsHeader: secrets.header,
        runDir: env.cellDir, timeoutMs: env.timeoutMs, signal: env.signal, cellId: env.plan.id, ...o.tools });
      const unregister = env.cleanup.add(`board ${cell.board.name}`, () => cell.close());
      try {
        const classifier = newClassifier(env);
        feed(cell.capture, classifier);
        const ended: Promise<TargetEnd> = cell.ended.then((e) => (e ? { code: null, signal: null, reason: e.message } : new Promise<TargetEnd>(() => undefined)));
        return await watch(env, cell.capture, classifier, ended, {}, { ...cell.timings });
      } finally {
        await cell.close();
        unregister();
      }
    },
  };
}
