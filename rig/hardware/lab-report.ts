// `rig boards`: what is plugged in, which inventory board each port is, a ready-to-paste rig.lab.yaml entry for
// anything unknown, and each board's health tonight (power-cycled, out of service). A run writes the same health
// as lab.json next to its results.
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BoardProfile } from '../boards/profile.ts';
import { outOfServiceMessage, type BoardHealth, type LabHealth } from './health.ts';
import {
  listAttached,
  matchBoards,
  type AttachedPort,
  type LabInventory,
  type ListOptions,
  type MatchReport,
} from './inventory.ts';

export interface LabReport {
  attached: AttachedPort[];
  match: MatchReport;
  /** Each inventory board's health tonight (when the lab keeps any). */
  health: BoardHealth[];
  warnings: string[];
  inventoryFile?: string;
  inventoryError?: string;
}

export async function labReport(
  o: {
    profiles: BoardProfile[];
    inventory?: LabInventory;
    inventoryFile?: string;
    inventoryError?: string;
    health?: LabHealth;
  } & Omit<ListOptions, 'warn'>,
): Promise<LabReport> {
  const warnings: string[] = [];
  const attached = await listAttached({ ...o, warn: (m) => warnings.push(m) });
  const match = matchBoards(attached, o.profiles, o.inventory ?? { boards: [] });
  const health = o.health && o.inventory ? await healthOf(o.inventory, o.health) : [];
  return { attached, match, health, warnings, inventoryFile: o.inventoryFile, inventoryError: o.inventoryError };
}

async function healthOf(inv: Pick<LabInventory, 'boards'>, health: LabHealth): Promise<BoardHealth[]> {
  return Promise.all(inv.boards.map((b) => health.get(b.name)));
}

/** lab.json in a run folder: every inventory board's health as the night goes. */
export async function writeLabHealth(
  runDir: string,
  inv: Pick<LabInventory, 'boards'>,
  health: LabHealth,
): Promise<void> {
  const file = join(runDir, 'lab.json');
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ version: 1, boards: await healthOf(inv, health) }, null, 2)}\n`);
  await rename(tmp, file);
}

/** One line per board that is not simply fine tonight. */
export function formatLabHealth(health: BoardHealth[]): string[] {
  const out: string[] = [];
  for (const h of health) {
    if (h.state === 'out-of-service') out.push(`  OUT OF SERVICE  ${outOfServiceMessage(h)}`);
    else if (h.state === 'suspect') out.push(`  suspect         ${h.board} since ${h.since}: ${h.reason ?? ''}`);
    else if (h.recoveredAt) out.push(`  recovered       ${h.board}: power-cycled at ${h.recoveredAt}`);
  }
  return out;
}

export function formatLabReport(r: LabReport): string {
  const out: string[] = [];
  for (const w of r.warnings) out.push(`warning: ${w}`);
  out.push(r.inventoryError ? `inventory: ${r.inventoryError}` : `inventory: ${r.inventoryFile ?? '(none)'}`);
  const id = (p: AttachedPort): string =>
    `${p.vid ?? '----'}:${p.pid ?? '----'} sn=${p.serialNumber ?? '-'}${p.location ? ` at ${p.location}` : ''}`;
  out.push('', `Inventory boards attached (${r.match.matched.length}):`);
  for (const m of r.match.matched)
    out.push(
      `  ${m.board.name.padEnd(16)} ${m.board.profile.padEnd(10)} ${m.port.path.padEnd(14)} by ${m.by}  ${id(m.port)}`,
    );
  if (r.match.missing.length) {
    out.push('', `Inventory boards NOT attached (${r.match.missing.length}):`);
    for (const b of r.match.missing)
      out.push(
        `  ${b.name.padEnd(16)} ${b.profile.padEnd(10)} ${b.serial ? `serial ${b.serial}` : `location ${b.location}`}`,
      );
  }
  for (const a of r.match.ambiguous) {
    out.push(
      '',
      `AMBIGUOUS: ${a.board.name} matches ${a.ports.map((p) => p.path).join(', ')} (same serial number): add location: to its entry`,
    );
  }
  if (r.match.unknown.length) {
    out.push(
      '',
      `Unknown USB serial ports (${r.match.unknown.length}); add to rig.lab.yaml under boards: if they are lab boards:`,
    );
    for (const u of r.match.unknown) out.push(u.snippet.trimEnd());
  }
  const health = formatLabHealth(r.health);
  if (health.length) out.push('', `Board health tonight (${health.length}):`, ...health);
  if (r.attached.length === 0)
    out.push('', 'No serial ports found. Check the cable (some are power-only), `dmesg | tail`, and docs/hardware.md.');
  return `${out.join('\n')}\n`;
}
