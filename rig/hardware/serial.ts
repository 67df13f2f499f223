// Serial on real boards: open before reset (opening flushes, so anything earlier is lost), reset
// ESPs with the DTR/RTS "hard reset" esptool uses, and find native-USB boards again after upload.
import { setTimeout as sleep } from 'node:timers/promises';
import type { HardwareProfile } from '../boards/profile.ts';
import { SerialCapture, type SerialBinding } from '../serial/capture.ts';
import { TargetError } from '../errors.ts';
import { portsMatching, type AttachedPort, type LabBoard } from './inventory.ts';

export async function openBoardSerial(o: {
  path: string;
  hardware: HardwareProfile;
  binding?: SerialBinding;
}): Promise<SerialCapture> {
  try {
    return await SerialCapture.open({ path: o.path, baudRate: o.hardware.baud, binding: o.binding });
  } catch (e) {
    const msg = (e as Error).message;
    const kind = /Permission denied|EACCES/i.test(msg)
      ? 'permission-denied'
      : /lock|busy|temporarily unavailable/i.test(msg)
        ? 'port-busy'
        : /No such file|does not exist|ENOENT/i.test(msg)
          ? 'no-board'
          : 'serial';
    throw new TargetError(kind, `cannot open ${o.path}: ${msg}`, { toolMessage: msg, cause: e });
  }
}

export type ResetOutcome = 'reset' | 'unsupported' | 'not-needed';

/**
 * Restarts the sketch so its whole boot output is captured. ESP: esptool's HardReset
 * (espressif/esptool esptool/reset.py): RTS drives EN, DTR drives GPIO0; both are always passed
 * because serialport merges a partial set() with {dtr:true, rts:true} (docs/tool-facts.md §1).
 * ENOTTY (a pty, some adapters) means "no modem lines": reported, not fatal, as esptool does.
 * MKR1000 (touch-1200): nothing to do; the upload just restarted it and its sketch waits for
 * the port to be opened.
 */
export async function resetBoard(
  capture: SerialCapture,
  hw: HardwareProfile,
  o: { pulseMs?: number } = {},
): Promise<ResetOutcome> {
  if (hw.reset !== 'dtr-rts') return 'not-needed';
  capture.clear(); // everything from here on is this boot
  if (!(await capture.setSignals({ dtr: false, rts: true }))) return 'unsupported';
  await sleep(o.pulseMs ?? 100);
  await capture.setSignals({ dtr: false, rts: false });
  return 'reset';
}

export interface WaitForPortOptions {
  list: () => Promise<AttachedPort[]>;
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** USB ids the port must carry when it comes back (the app's, not the bootloader's). */
  usb?: Array<{ vid: string; pid: string }>;
}

/**
 * Polls the port list until the inventory board shows up again by USB identity (labgrid-style
 * matching), bounded by timeoutMs: after upload a MKR1000 leaves the bootloader (2341:004e) and
 * comes back as 2341:804e, possibly under another tty name.
 */
export async function waitForBoardPort(board: LabBoard, o: WaitForPortOptions): Promise<AttachedPort> {
  const deadline = Date.now() + o.timeoutMs;
  let last: AttachedPort[];
  for (;;) {
    o.signal?.throwIfAborted();
    last = await o.list();
    const candidates = portsMatching(board, last).ports.filter(
      (p) => !o.usb?.length || o.usb.some((u) => u.vid === p.vid && u.pid === p.pid),
    );
    if (candidates.length === 1) return candidates[0];
    if (Date.now() >= deadline) {
      const seen =
        last.map((p) => `${p.path} ${p.vid ?? '?'}:${p.pid ?? '?'} sn=${p.serialNumber ?? '-'}`).join(', ') ||
        'no ports';
      throw new TargetError(
        'no-board',
        `board ${board.name} (${board.serial ? `serial ${board.serial}` : `location ${board.location}`}) did not come back within ${o.timeoutMs} ms${candidates.length > 1 ? ' (several ports match)' : ''}; attached: ${seen}`,
      );
    }
    await sleep(o.intervalMs ?? 250, undefined, { signal: o.signal });
  }
}
