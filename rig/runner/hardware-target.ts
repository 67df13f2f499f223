// Runs cells on real boards from the lab inventory: build and flash with arduino-cli (cached by image hash),
// open the USB serial port before reset, then watch it exactly as a twin's pty is watched.
import { certForBoardKey } from '../hardware/ecc508.ts';
import { loadInventory, brokerAddress, wifiFromEnv, type LabBoard, type LabInventory } from '../hardware/inventory.ts';
import { runOnHardware, type HardwareCellOptions } from '../hardware/target.ts';
import type { Attempt, CellEnv } from './attempt.ts';
import { cellSecrets } from './cell-secrets.ts';
import { sketchFolder } from './twin-target.ts';
import { feed, newClassifier, watch, type TargetEnd } from './watch.ts';

export interface HardwareRunner {
  brokerIp: string;
  run: (env: CellEnv) => Promise<Attempt>;
}

/** What a lab (or a test standing in for one) provides: the inventory, the environment, the tools and ports. */
export interface HardwareRunnerOptions {
  inventory?: LabInventory;
  env?: NodeJS.ProcessEnv;
  tools?: Partial<Pick<HardwareCellOptions, 'binding' | 'list' | 'cli' | 'stateDir'>>;
}

export async function hardwareRunner(o: HardwareRunnerOptions = {}): Promise<HardwareRunner> {
  let inv: LabInventory;
  try {
    inv = o.inventory ?? (await loadInventory());
  } catch (e) {
    // Without a lab every hardware cell is reported as an error with this reason; twins still run.
    const reason = (e as Error).message;
    return {
      brokerIp: '127.0.0.1',
      run: async () => ({ outcome: { kind: 'none' }, serial: [], infraError: reason, timings: {} }),
    };
  }
  const brokerIp = brokerAddress(inv);
  return {
    brokerIp,
    run: async (env) => {
      // Every lab board with this profile: runOnHardware takes a free, attached one.
      const board = inv.boards.filter((b) => b.profile === env.plan.board.id);
      if (board.length === 0)
        return {
          outcome: { kind: 'none' },
          serial: [],
          infraError: `no board with profile ${env.plan.board.id} in the lab inventory`,
          timings: {},
        };
      const wifi = wifiFromEnv(o.env);
      const missing = hardwareGap(env);
      if (missing) return { outcome: { kind: 'build/unsupported', detail: missing }, serial: [], timings: {} };
      const sketchDir = await sketchFolder(env);
      if (!sketchDir) return { outcome: { kind: 'none' }, serial: [], infraError: 'no sketch', timings: {} };
      const base = {
        ssid: wifi.ssid,
        wifiPassword: wifi.pass,
        port: env.broker.ports[env.rv.client.port] ?? env.rv.client.port,
      };
      const secrets = await cellSecrets(env, base);
      // The rig's client id; one the sketch picks itself is learned from the broker log (attribution.ts).
      env.clients.add(secrets.clientId);
      let candidates = board;
      let header: string | ((b: LabBoard) => Promise<string>) = secrets.header;
      const template = env.rv.client.cert ? env.pki.certs[env.rv.client.cert] : undefined;
      if (secrets.eccSlotKey && template) {
        // The twin's emulated ECC508 holds the rig's key; a real one holds its own: issue the certificate for it.
        candidates = board.filter((b) => b.ecc508);
        if (candidates.length === 0) {
          return {
            outcome: { kind: 'none' },
            serial: [],
            timings: {},
            infraError:
              `no ${env.plan.board.id} in the lab inventory has ecc508.csr: ` +
              'its client certificate must be issued for the key inside the board\'s ECC508 (docs/hardware.md, "MKR1000 client certificates")',
          };
        }
        header = async (b) =>
          (
            await cellSecrets(env, {
              ...base,
              clientCertPem: (await certForBoardKey(template, env.pki, b.ecc508!.csr, b.name)).certPem,
            })
          ).header;
      }
      const build = env.rv.buildFor(env.plan.board.id);
      const cell = await runOnHardware({
        profile: env.plan.board,
        fqbnOptions: build.fqbnOptions,
        defines: build.defines,
        board: candidates,
        sketchDir,
        secretsHeader: header,
        runDir: env.cellDir,
        timeoutMs: env.timeoutMs,
        signal: env.signal,
        cellId: env.plan.id,
        onStep: (s) =>
          env.phase?.(
            ({ 'wait-board': 'waiting for board', build: 'compiling', flash: 'flashing' } as Record<string, string>)[
              s
            ] ?? s,
          ),
        ...o.tools,
      });
      const unregister = env.cleanup.add(`board ${cell.board.name}`, () => cell.close());
      try {
        const classifier = newClassifier(env);
        env.phase?.('running');
        feed(cell.capture, classifier);
        const ended: Promise<TargetEnd> = cell.ended.then((e) =>
          e ? { code: null, signal: null, reason: e.message } : new Promise<TargetEnd>(() => undefined),
        );
        return await watch(env, cell.capture, classifier, ended, {}, { ...cell.timings });
      } finally {
        await cell.close();
        unregister();
      }
    },
  };
}

/**
 * What a scenario asks that the hardware path cannot do yet: flash files (a file system image to upload with
 * mkspiffs/mklittlefs and esptool) and a library version other than the one the profile installs (arduino-cli
 * installs one version per sketchbook). The cell is skipped with the reason instead of running something else.
 */
function hardwareGap(env: CellEnv): string | undefined {
  if (Object.keys(env.rv.files).length)
    return "the scenario's flash files need a file system image upload, which the hardware target does not do yet";
  const installed = Object.fromEntries((env.plan.board.hardware?.libraries ?? []).map((l) => l.split('@')));
  for (const [name, version] of Object.entries(env.rv.libraries))
    if (installed[name] !== undefined && installed[name] !== version)
      return `the scenario pins ${name} ${version}; the ${env.plan.board.id} profile installs ${name}@${installed[name]}`;
  return undefined;
}
