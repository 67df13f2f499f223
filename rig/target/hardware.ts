// The hardware driver: cells on real boards from the lab inventory (rig.lab.yaml). prepare() takes a free,
// attached board with the cell's profile and walks it to `flashed` (rig/hardware/session.ts); start() opens
// its USB serial port and resets it. Lines are watched exactly as a twin's pty is.
import { TargetError } from '../errors.ts';
import { certForBoardKey } from '../hardware/ecc508.ts';
import { brokerAddress, loadInventory, wifiFromEnv, type LabBoard, type LabInventory } from '../hardware/inventory.ts';
import { writeLabHealth } from '../hardware/lab-report.ts';
import { BoardSession, type HardwareCellOptions } from '../hardware/session.ts';
import { cellSecrets, type CellSecretsOptions } from './cell-secrets.ts';
import type { PreparedTarget, RunningTarget, TargetCell, TargetDriver, TargetEnd } from './driver.ts';
import { sketchFolder } from './sketch.ts';

/** What a lab (or a test standing in for one) provides: the inventory, the environment, the tools and ports. */
export interface LabOptions {
  inventory?: LabInventory;
  env?: NodeJS.ProcessEnv;
  tools?: Partial<
    Pick<HardwareCellOptions, 'binding' | 'list' | 'cli' | 'stateDir' | 'health' | 'recoverTimeoutMs'>
  > & {
    /** uhubctl binary for power-cycling (default $RIG_UHUBCTL, else on PATH). */
    uhubctl?: string;
  };
}

export async function hardwareDriver(o: LabOptions = {}): Promise<TargetDriver> {
  let inv: LabInventory;
  try {
    inv = o.inventory ?? (await loadInventory());
  } catch (e) {
    // Without a lab every hardware cell is reported as an error with this reason; twins still run.
    const reason = (e as Error).message;
    return {
      name: 'hardware',
      brokerIp: '127.0.0.1',
      reportsClientIds: false,
      prepare: async () => {
        throw e instanceof TargetError ? e : new TargetError('not-configured', reason, { cause: e });
      },
    };
  }
  return {
    name: 'hardware',
    brokerIp: brokerAddress(inv),
    reportsClientIds: false,
    prepare: (cell) => prepareBoard(cell, inv, o),
  };
}

/** The terminal's words for the board session's steps. */
const STEP_PHASES: Record<string, string> = {
  'wait-board': 'waiting for board',
  'power-cycle': 'power-cycling',
  build: 'compiling',
  flash: 'flashing',
};

function sessionTools(t: LabOptions['tools'] = {}): Partial<HardwareCellOptions> {
  const { uhubctl, ...rest } = t;
  return { ...rest, ...(uhubctl ? { power: { uhubctl } } : {}) };
}

async function prepareBoard(cell: TargetCell, inv: LabInventory, o: LabOptions): Promise<PreparedTarget> {
  // Every lab board with this profile: the session takes a free, attached one.
  const boards = inv.boards.filter((b) => b.profile === cell.board.id);
  if (boards.length === 0)
    throw new TargetError('not-configured', `no board with profile ${cell.board.id} in the lab inventory`);
  const gap = hardwareGap(cell);
  if (gap) throw new TargetError('unsupported', gap);
  const wifi = wifiFromEnv(o.env);
  const sketchDir = await sketchFolder(cell);
  const base: CellSecretsOptions = {
    ssid: wifi.ssid,
    wifiPassword: wifi.pass,
    port: cell.broker.ports[cell.rv.client.port] ?? cell.rv.client.port,
  };
  const secrets = await cellSecrets(cell, base);
  const { candidates, header } = await boardHeader(cell, boards, base, secrets);
  const build = cell.rv.buildFor(cell.board.id);
  const session = new BoardSession({
    profile: cell.board,
    // The scenario's board options, defines and library pins, as the twin gets them (a sketch.yaml profile
    // installs the pinned libraries).
    fqbnOptions: build.fqbnOptions,
    defines: build.defines,
    libraries: cell.rv.libraries,
    board: candidates,
    sketchDir,
    secretsHeader: header,
    runDir: cell.cellDir,
    timeoutMs: cell.timeoutMs,
    signal: cell.signal,
    cellId: cell.id,
    onStep: (step) => cell.phase?.(STEP_PHASES[step] ?? step),
    ...sessionTools(o.tools),
  });
  try {
    await session.to('flashed');
  } finally {
    // The night's board health next to the results: which board was power-cycled, which is out of service.
    if (cell.runDir) await writeLabHealth(cell.runDir, inv, session.health).catch(() => undefined);
  }
  return {
    timings: session.timings,
    // The rig's client id; one the sketch picks itself is learned from the broker log (runner/attribution.ts).
    clientIds: [secrets.clientId],
    notes: session.toolNotes(),
    start: async () => {
      await session.to('reset');
      cell.phase?.('running');
      return running(session);
    },
  };
}

/**
 * What a scenario asks that the hardware path cannot do yet: flash files (a file system image to upload with
 * mkspiffs/mklittlefs and esptool). The cell is skipped with the reason instead of running something else.
 */
function hardwareGap(cell: TargetCell): string | undefined {
  if (Object.keys(cell.rv.files).length)
    return "the scenario's flash files need a file system image upload, which the hardware target does not do yet";
  return undefined;
}

/**
 * The boards that can run the cell and the arduino_secrets.h each gets. The twin's emulated ECC508 holds the
 * rig's key; a real one holds its own, so a MKR1000's certificate is issued for the board that is picked.
 */
async function boardHeader(
  cell: TargetCell,
  boards: LabBoard[],
  base: CellSecretsOptions,
  secrets: { header: string; eccSlotKey?: string },
): Promise<{ candidates: LabBoard[]; header: HardwareCellOptions['secretsHeader'] }> {
  const template = cell.rv.client.cert ? cell.pki.certs[cell.rv.client.cert] : undefined;
  if (!secrets.eccSlotKey || !template) return { candidates: boards, header: secrets.header };
  const candidates = boards.filter((b) => b.ecc508);
  if (candidates.length === 0) {
    throw new TargetError(
      'not-configured',
      `no ${cell.board.id} in the lab inventory has ecc508.csr: ` +
        'its client certificate must be issued for the key inside the board\'s ECC508 (docs/hardware.md, "MKR1000 client certificates")',
    );
  }
  const header = async (b: LabBoard): Promise<string> => {
    const clientCertPem = (await certForBoardKey(template, cell.pki, b.ecc508!.csr, b.name)).certPem;
    return (await cellSecrets(cell, { ...base, clientCertPem })).header;
  };
  return { candidates, header };
}

function running(session: BoardSession): RunningTarget {
  const cell = session.cell();
  const ended: Promise<TargetEnd> = cell.ended.then((e) =>
    e ? { code: null, signal: null, reason: e.message } : new Promise<TargetEnd>(() => undefined),
  );
  return {
    label: `board ${cell.board.name}`,
    lines: cell.capture,
    ended,
    facts: () => [],
    clientIds: () => [],
    lastWords: () => '',
    write: (text) => cell.capture.write(text),
    stop: () => cell.close(),
  };
}
