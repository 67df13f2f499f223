// Shared test plumbing: the fake arduino-cli, its argv log, board profiles, sketches, and a
// recording wrapper around serialport's MockBinding.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SerialPortMock } from 'serialport';
import type { SerialBinding } from '../../rig/serial/capture.ts';
import { loadBoards } from '../../rig/boards/load.ts';
import type { BoardProfile } from '../../rig/boards/profile.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const FAKE_CLI = join(ROOT, 'test/fixtures/arduino-cli/fake-arduino-cli.mjs');
export const UPLOAD_FAILURES = join(ROOT, 'test/fixtures/arduino-cli/1.5.1/upload-failures.json');

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `rig-hw-${prefix}-`));
}

/** Points the fake's env at a fresh log/state; returns a reader for the recorded argv lists. */
export function useFake(
  dir: string,
  env: Record<string, string> = {},
): { invocations: () => string[][]; restore: () => void } {
  const log = join(dir, 'fake-argv.log');
  const vars: Record<string, string> = {
    FAKE_ARDUINO_CLI_LOG: log,
    FAKE_ARDUINO_CLI_STATE: join(dir, 'fake-state.json'),
    ...env,
  };
  const saved = new Map(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return {
    invocations: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => (JSON.parse(l) as { argv: string[] }).argv)
        : [],
    restore: () => {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
}

/** The fake refuses to compile for a platform not in its state file, like arduino-cli: mark all installed. */
export function installAllCores(dir: string, profiles: BoardProfile[]): void {
  const cores: Record<string, { version: string }> = {};
  for (const p of profiles) if (p.hardware) cores[p.hardware.core.id] = { version: p.hardware.core.version };
  writeFileSync(join(dir, 'fake-state.json'), JSON.stringify({ cores, libs: {} }));
}

let cachedProfiles: Map<string, BoardProfile> | undefined;
export async function profiles(): Promise<Map<string, BoardProfile>> {
  cachedProfiles ??= await loadBoards(join(ROOT, 'boards'));
  return cachedProfiles;
}
export async function profile(id: string): Promise<BoardProfile> {
  const p = (await profiles()).get(id);
  if (!p) throw new Error(`no board profile ${id}`);
  return p;
}

export function makeSketch(parent: string, name: string, body: string, extra: Record<string, string> = {}): string {
  const dir = join(parent, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.ino`), body);
  for (const [f, t] of Object.entries(extra)) writeFileSync(join(dir, f), t);
  return dir;
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

// --- MockBinding wrapper that records set() calls and can make a port vanish -------------------
export interface SetCall {
  path: string;
  dtr?: boolean;
  rts?: boolean;
}
// @serialport/bindings-interface has no types under NodeNext resolution: derive them from the binding.
type BindingInterface = NonNullable<SerialBinding>;
type PortBinding = Awaited<ReturnType<BindingInterface['open']>>;
type OpenOptions = Parameters<BindingInterface['open']>[0];
type SetOptions = Parameters<PortBinding['set']>[0];

export interface RecordingBinding {
  binding: BindingInterface;
  sets: SetCall[];
  /** Make reads on the open port fail like an unplugged USB device (EIO), as the kernel does. */
  vanish(path: string): void;
  /** Make set() fail like a pty / adapter without modem lines. */
  noModemLines: boolean;
  port(path: string): { emitData(d: Buffer | string): void } | undefined;
}

export function recordingBinding(): RecordingBinding {
  const base = SerialPortMock.binding as unknown as BindingInterface;
  const open = new Map<string, { inner: PortBinding; vanish: () => void }>();
  const rec: RecordingBinding = {
    sets: [],
    noModemLines: false,
    vanish: (path) => open.get(path)?.vanish(),
    port: (path) => open.get(path)?.inner as unknown as { emitData(d: Buffer | string): void } | undefined,
    binding: {
      list: () => base.list(),
      async open(options: OpenOptions): Promise<PortBinding> {
        const inner = await base.open(options);
        let fail: ((e: Error) => void) | undefined;
        const gone = new Promise<never>((_, reject) => {
          fail = reject;
        });
        gone.catch(() => undefined);
        let vanished = false;
        const wrapped: PortBinding = {
          get isOpen() {
            return inner.isOpen;
          },
          get openOptions() {
            return inner.openOptions;
          },
          read: (buf: Buffer, off: number, len: number) =>
            vanished
              ? Promise.reject(new Error('Input/output error, cannot read'))
              : Promise.race([inner.read(buf, off, len), gone]),
          write: (b: Buffer) => inner.write(b),
          update: (u: Parameters<PortBinding['update']>[0]) => inner.update(u),
          async set(s: SetOptions) {
            rec.sets.push({ path: options.path, dtr: s.dtr, rts: s.rts });
            if (rec.noModemLines) throw new Error('Inappropriate ioctl for device, cannot set');
            return inner.set(s);
          },
          get: () => inner.get(),
          getBaudRate: () => inner.getBaudRate(),
          flush: () => inner.flush(),
          drain: () => inner.drain(),
          close: () => {
            open.delete(options.path);
            return inner.close();
          },
        };
        open.set(options.path, {
          inner,
          vanish: () => {
            vanished = true;
            fail?.(new Error('Input/output error, cannot read'));
          },
        });
        return wrapped;
      },
    },
  };
  return rec;
}

// --- a USB hub behind the fake uhubctl ----------------------------------------------------------------------
export const FAKE_UHUBCTL = join(ROOT, 'test/fixtures/uhubctl/fake-uhubctl.mjs');

export interface HubBoard {
  hub: string;
  port: number;
  /** USB serial number the board reports. */
  serial: string;
  vid: string;
  pid: string;
  /** Its tty before any power-cycle; each re-enumeration moves it up by one (the kernel's next free name). */
  tty: string;
  /** Plugged in when the night starts. */
  attached?: boolean;
  /** Does not come back after a power-cycle. */
  dead?: boolean;
}

interface HubState {
  hubs: Record<
    string,
    {
      description: string;
      noPermission?: boolean;
      ports: Record<string, { power: boolean; device?: string; dead?: boolean; enumerations?: number }>;
    }
  >;
}

/** Hubs the fake uhubctl switches, and the serial ports that are attached as a result (for BoardSession.list). */
export function fakeHubs(
  dir: string,
  boards: HubBoard[],
): {
  list: () => Promise<import('../../rig/hardware/inventory.ts').AttachedPort[]>;
  calls: () => string[][];
  restore: () => void;
  state: () => HubState;
} {
  const stateFile = join(dir, 'uhubctl-state.json');
  const log = join(dir, 'uhubctl.log');
  const state: HubState = { hubs: {} };
  for (const b of boards) {
    state.hubs[b.hub] ??= { description: '2109:2817 VIA Labs, Inc. USB2.0 Hub, USB 2.10, 4 ports, ppps', ports: {} };
    state.hubs[b.hub]!.ports[String(b.port)] = {
      power: true,
      device: `${b.vid}:${b.pid} Silicon Labs CP2102 USB to UART Bridge Controller ${b.serial}`,
      ...(b.attached === false ? { dead: true } : {}),
    };
  }
  writeFileSync(stateFile, JSON.stringify(state, null, 2));
  const saved = { s: process.env.FAKE_UHUBCTL_STATE, l: process.env.FAKE_UHUBCTL_LOG };
  process.env.FAKE_UHUBCTL_STATE = stateFile;
  process.env.FAKE_UHUBCTL_LOG = log;
  const read = (): HubState => JSON.parse(readFileSync(stateFile, 'utf8')) as HubState;
  return {
    state: read,
    list: async () => {
      const s = read();
      return boards.flatMap((b) => {
        const p = s.hubs[b.hub]!.ports[String(b.port)]!;
        // A board that was hung until a power-cycle comes back; a dead one never does.
        const up = p.power && (p.enumerations ? !b.dead : !p.dead);
        if (!up) return [];
        const n = Number(b.tty.match(/\d+$/)![0]) + (p.enumerations ?? 0);
        const path = b.tty.replace(/\d+$/, String(n));
        return [{ path, vid: b.vid, pid: b.pid, serialNumber: b.serial, sources: ['serialport' as const] }];
      });
    },
    calls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => (JSON.parse(l) as { argv: string[] }).argv)
        : [],
    restore: () => {
      if (saved.s === undefined) delete process.env.FAKE_UHUBCTL_STATE;
      else process.env.FAKE_UHUBCTL_STATE = saved.s;
      if (saved.l === undefined) delete process.env.FAKE_UHUBCTL_LOG;
      else process.env.FAKE_UHUBCTL_LOG = saved.l;
    },
  };
}
