// The lab inventory (rig.lab.yaml): which physical boards exist, identified by USB serial number or
// USB location (never by tty name, which changes with plug order), and how attached ports map to it.
import { readFile, readdir, readlink } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { SerialPort } from 'serialport';
import { stringify } from 'yaml';
import { parseWithSchema } from '../format/index.ts';
import { z } from 'zod';
import type { BoardProfile } from '../boards/profile.ts';
import { cliJson, cliNotes, runCli } from './cli.ts';
import { TargetError } from '../errors.ts';
import { PowerControl } from './power.ts';

export const LabBoard = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, . _ -'),
    profile: z.string().describe('Board profile id (boards/<id>.yaml)'),
    serial: z.string().min(1).optional().describe('USB serial number (udev ID_SERIAL_SHORT)'),
    location: z
      .string()
      .min(1)
      .refine(
        (s) => !s.startsWith('/dev/tty'),
        'a USB location (udev ID_PATH / /dev/serial/by-path name), not a tty name',
      )
      .optional()
      .describe('USB location, for boards without a unique serial number'),
    fixtures: z.array(z.string()).default([]),
    ecc508: z
      .object({
        csr: z
          .string()
          .min(1)
          .describe(
            "PEM CSR the board's ECC508 made for its slot-0 key (ArduinoECCX08 example ECCX08CSR); relative to this file",
          ),
      })
      .strict()
      .optional()
      .describe('MKR1000: the crypto chip keeps its own key, so client certificates are issued for it'),
    power: PowerControl.optional().describe(
      'How to power-cycle it when it stops answering: { hub, port } for uhubctl, or { command } for a relay',
    ),
    notes: z.string().optional(),
  })
  .strict()
  .refine((b) => b.serial !== undefined || b.location !== undefined, {
    message: 'needs serial (USB serial number) or location (USB port path): a tty name alone changes with plug order',
  });
export type LabBoard = z.infer<typeof LabBoard>;

export const LabInventory = z
  .object({
    version: z.literal(1).default(1),
    boards: z.array(LabBoard).default([]),
    brokerAddress: z.string().optional().describe('LAN address of this host that the boards connect to'),
  })
  .strict()
  .superRefine((inv, ctx) => {
    const seen = new Set<string>();
    inv.boards.forEach((b, i) => {
      if (seen.has(b.name))
        ctx.addIssue({ code: 'custom', path: ['boards', i, 'name'], message: `duplicate board name ${b.name}` });
      seen.add(b.name);
    });
  });
export type LabInventory = z.infer<typeof LabInventory>;

export function inventoryPath(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return resolve(cwd, env.RIG_LAB ?? 'rig.lab.yaml');
}

export async function loadInventory(file = inventoryPath()): Promise<LabInventory> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new TargetError(
      'not-configured',
      `cannot read lab inventory ${file}: ${(e as Error).message} (set RIG_LAB or create rig.lab.yaml; see docs/hardware.md)`,
    );
  }
  const inv = parseWithSchema(LabInventory, text, file);
  // CSR paths are written relative to the inventory, which lives with the lab, not with the checkout.
  for (const b of inv.boards) if (b.ecc508) b.ecc508.csr = resolve(dirname(file), b.ecc508.csr);
  return inv;
}

/** The inventory's brokerAddress, else the first non-internal IPv4 address of this host. */
export function brokerAddress(inv: Pick<LabInventory, 'brokerAddress'>, nets = networkInterfaces()): string {
  if (inv.brokerAddress) return inv.brokerAddress;
  for (const list of Object.values(nets))
    for (const n of list ?? []) if (n.family === 'IPv4' && !n.internal) return n.address;
  throw new TargetError(
    'not-configured',
    'no non-internal IPv4 address on this host: set brokerAddress in rig.lab.yaml',
  );
}

/** WiFi credentials come from the environment only, so they never land in a committed file. */
export function wifiFromEnv(env: NodeJS.ProcessEnv = process.env): { ssid: string; pass: string } {
  const ssid = env.RIG_WIFI_SSID,
    pass = env.RIG_WIFI_PASS;
  if (!ssid)
    throw new TargetError(
      'not-configured',
      'RIG_WIFI_SSID is not set (hardware runs need the lab WiFi; see docs/hardware.md)',
    );
  return { ssid, pass: pass ?? '' };
}

// --- what is attached ------------------------------------------------------------------------
export interface AttachedPort {
  path: string;
  /** Four lower-case hex digits, no 0x (serialport's form). */
  vid?: string;
  pid?: string;
  serialNumber?: string;
  /** USB location: the /dev/serial/by-path link name (udev ID_PATH), or serialport's locationId. */
  location?: string;
  manufacturer?: string;
  /** Board names arduino-cli recognised (vid/pid of official boards only). */
  matchingBoards?: string[];
  sources: Array<'serialport' | 'arduino-cli'>;
}

export interface PortInfoLike {
  path: string;
  vendorId?: string;
  productId?: string;
  serialNumber?: string;
  locationId?: string;
  manufacturer?: string;
}

export interface ListOptions {
  /** Lister (default SerialPort.list; tests pass SerialPortMock.list or a stub). */
  list?: () => Promise<PortInfoLike[]>;
  /** Also ask `arduino-cli board list --json` (path or true for the default binary). Default true. */
  cli?: string | boolean;
  /** Where udev keeps location links (default /dev/serial/by-path). */
  byPathDir?: string;
  warn?: (msg: string) => void;
}

function normHex(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const h = v.trim().toLowerCase().replace(/^0x/, '');
  return /^[0-9a-f]{1,4}$/.test(h) ? h.padStart(4, '0') : undefined;
}

// `board list --json`: listResult {detected_ports} (internal/cli/board/list.go:122-124@v1.5.1), DetectedPort and
// Port (internal/cli/feedback/result/rpc.go:379-386,772-775): all omitempty. serial-discovery's properties
// (arduino/serial-discovery sync/sync.go:81-107): vid, pid ("0x" + hex) and serialNumber, which every USB port
// has and which is "" when the device has none; there is no "serial" key.
const BoardListJson = z
  .object({
    detected_ports: z
      .array(
        z
          .object({
            matching_boards: z
              .array(z.object({ name: z.string().optional(), fqbn: z.string().optional() }).passthrough())
              .nullish(),
            port: z
              .object({
                address: z.string(),
                protocol: z.string().optional(),
                properties: z.record(z.string(), z.string()).nullish(),
                hardware_id: z.string().optional(),
              })
              .passthrough(),
          })
          .passthrough(),
      )
      .nullish(),
    warnings: z.array(z.string()).optional(),
  })
  .passthrough();

export function parseBoardList(json: unknown): AttachedPort[] {
  return parseBoardListWithWarnings(json).ports;
}

/** The ports, and arduino-cli's top-level warnings (a discovery that did not start is only told there). */
export function parseBoardListWithWarnings(json: unknown): { ports: AttachedPort[]; warnings: string[] } {
  const parsed = BoardListJson.safeParse(json);
  if (!parsed.success)
    throw new TargetError(
      'tool-output',
      `arduino-cli board list --json: unexpected shape: ${parsed.error.issues[0]?.message}`,
    );
  const ports = (parsed.data.detected_ports ?? [])
    .filter((d) => (d.port.protocol ?? 'serial') === 'serial')
    .map((d) => {
      const p = d.port.properties ?? {};
      return {
        path: d.port.address,
        vid: normHex(p.vid),
        pid: normHex(p.pid),
        serialNumber: p.serialNumber || undefined, // "" when the device has none
        matchingBoards: (d.matching_boards ?? []).map((b) => b.fqbn ?? b.name ?? '').filter(Boolean),
        sources: ['arduino-cli' as const],
      };
    });
  return { ports, warnings: parsed.data.warnings ?? [] };
}

/** tty → USB location from udev's /dev/serial/by-path links (serialport leaves locationId empty on Linux). */
async function readByPath(dir = '/dev/serial/by-path'): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return map;
  }
  for (const n of names) {
    // udev writes relative links (../../ttyUSB0); resolve by text so a vanished target does not matter.
    try {
      map.set(resolve(dir, await readlink(join(dir, n))), n);
    } catch {
      /* not a link */
    }
  }
  return map;
}

export async function listAttached(o: ListOptions = {}): Promise<AttachedPort[]> {
  const warn = o.warn ?? ((m: string) => console.warn(`warning: ${m}`));
  const byPath = await readByPath(o.byPathDir);
  const ports = new Map<string, AttachedPort>();
  try {
    for (const p of await (o.list ?? (() => SerialPort.list()))()) {
      ports.set(p.path, {
        path: p.path,
        vid: normHex(p.vendorId),
        pid: normHex(p.productId),
        serialNumber: p.serialNumber || undefined,
        location: p.locationId || byPath.get(p.path),
        manufacturer: p.manufacturer,
        sources: ['serialport'],
      });
    }
  } catch (e) {
    // Containers often lack udevadm; serialport's list() then rejects with "spawn udevadm ENOENT".
    const msg = (e as Error).message;
    warn(
      /udevadm ENOENT/.test(msg)
        ? `cannot list serial ports: ${msg} (install udev, or run outside the container)`
        : `cannot list serial ports: ${msg}`,
    );
  }
  if (o.cli !== false) {
    try {
      const r = await runCli(['board', 'list', '--json'], {
        cli: typeof o.cli === 'string' ? o.cli : undefined,
        timeoutMs: 30_000,
      });
      const parsed = cliJson(r);
      const notes = cliNotes(parsed?.data);
      if (r.exitCode !== 0 || !parsed || parsed.stream === 'stderr')
        throw new Error(notes.error ?? (r.stderr.trim() || `exit ${r.exitCode}`));
      const list = parseBoardListWithWarnings(parsed.data);
      for (const w of list.warnings) warn(`arduino-cli board list: ${w}`);
      for (const a of list.ports) {
        const seen = ports.get(a.path);
        if (seen) {
          seen.vid ??= a.vid;
          seen.pid ??= a.pid;
          seen.serialNumber ??= a.serialNumber;
          seen.matchingBoards = a.matchingBoards;
          seen.sources.push('arduino-cli');
        } else ports.set(a.path, { ...a, location: byPath.get(a.path) });
      }
    } catch (e) {
      warn(`arduino-cli board list failed: ${(e as Error).message}`);
    }
  }
  return [...ports.values()].sort((a, b) => a.path.localeCompare(b.path));
}

// --- matching ----------------------------------------------------------------------------------
export interface BoardMatch {
  board: LabBoard;
  port: AttachedPort;
  by: 'serial' | 'location';
}
export interface UnknownPort {
  port: AttachedPort;
  candidates: string[];
  snippet: string;
}
export interface MatchReport {
  matched: BoardMatch[];
  /** Inventory boards with no attached port. */
  missing: LabBoard[];
  /** Attached USB ports not in the inventory, with the profiles their vid/pid fits and a YAML entry to paste. */
  unknown: UnknownPort[];
  /** Inventory boards that matched more than one port (e.g. clones sharing serial "0001"): not used. */
  ambiguous: Array<{ board: LabBoard; ports: AttachedPort[] }>;
}

function sameLocation(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const strip = (s: string): string => basename(s).replace(/-port\d+$/, '');
  return strip(a) === strip(b);
}

function profilesForUsb(port: AttachedPort, profiles: BoardProfile[]): string[] {
  if (!port.vid || !port.pid) return [];
  return profiles
    .filter((p) =>
      [...(p.hardware?.usb ?? []), ...(p.hardware?.bootloaderUsb ?? [])].some(
        (u) => u.vid === port.vid && u.pid === port.pid,
      ),
    )
    .map((p) => p.id);
}

export function portsMatching(
  board: LabBoard,
  attached: AttachedPort[],
): { ports: AttachedPort[]; by: 'serial' | 'location' } {
  if (board.serial) {
    const bySerial = attached.filter((p) => p.serialNumber === board.serial);
    // Clones often share a serial number: the location (if given) then decides.
    if (bySerial.length > 1 && board.location)
      return { ports: bySerial.filter((p) => sameLocation(p.location, board.location)), by: 'location' };
    if (bySerial.length || !board.location) return { ports: bySerial, by: 'serial' };
  }
  return { ports: attached.filter((p) => sameLocation(p.location, board.location)), by: 'location' };
}

export function matchBoards(
  attached: AttachedPort[],
  profiles: BoardProfile[],
  inventory: Pick<LabInventory, 'boards'>,
): MatchReport {
  const report: MatchReport = { matched: [], missing: [], unknown: [], ambiguous: [] };
  const claimed = new Set<string>();
  for (const board of inventory.boards) {
    const { ports, by } = portsMatching(board, attached);
    for (const p of ports) claimed.add(p.path);
    if (ports.length === 1) report.matched.push({ board, port: ports[0], by });
    else if (ports.length === 0) report.missing.push(board);
    else report.ambiguous.push({ board, ports });
  }
  const serialCounts = new Map<string, number>();
  for (const p of attached)
    if (p.serialNumber) serialCounts.set(p.serialNumber, (serialCounts.get(p.serialNumber) ?? 0) + 1);
  let n = inventory.boards.length;
  for (const port of attached) {
    if (claimed.has(port.path) || !port.vid) continue; // no vid: a built-in UART (ttyAMA0, ttyS0), not a board
    const candidates = profilesForUsb(port, profiles);
    const uniqueSerial = port.serialNumber !== undefined && serialCounts.get(port.serialNumber) === 1;
    report.unknown.push({ port, candidates, snippet: inventorySnippet(port, candidates, uniqueSerial, ++n) });
  }
  return report;
}

/** A rig.lab.yaml `boards:` entry for an unknown port, with comments saying what to check. */
function inventorySnippet(port: AttachedPort, candidates: string[], uniqueSerial: boolean, index: number): string {
  const profile = candidates[0] ?? 'FIXME';
  const entry: Record<string, string> = { name: `${profile === 'FIXME' ? 'board' : profile}-${index}`, profile };
  if (port.serialNumber && uniqueSerial) entry.serial = port.serialNumber;
  else if (port.location) entry.location = port.location;
  const notes: string[] = [`# ${port.path} ${port.vid}:${port.pid}${port.manufacturer ? ` ${port.manufacturer}` : ''}`];
  if (candidates.length > 1)
    notes.push(`# vid:pid fits ${candidates.join(', ')} (a USB-UART bridge, not the chip): check the board`);
  if (candidates.length === 0) notes.push('# no board profile lists this vid:pid');
  if (!entry.serial) {
    notes.push(
      port.serialNumber
        ? `# serial number ${port.serialNumber} is shared by several attached ports: identified by USB location (keep it in this USB port)`
        : '# no USB serial number: identified by USB location (keep it in this USB port)',
    );
    if (!entry.location)
      notes.push('# no USB location known either (/dev/serial/by-path missing): add location by hand');
  }
  const yaml = stringify([entry])
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  return `${notes.map((l) => `  ${l}`).join('\n')}\n${yaml}\n`;
}
