// `rig boards`: what is plugged in, which inventory board each port is, and a ready-to-paste
// rig.lab.yaml entry for anything unknown.
import type { BoardProfile } from '../boards/profile.ts';
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
  warnings: string[];
  inventoryFile?: string;
  inventoryError?: string;
}

export async function labReport(
  o: { profiles: BoardProfile[]; inventory?: LabInventory; inventoryFile?: string; inventoryError?: string } & Omit<
    ListOptions,
    'warn'
  >,
): Promise<LabReport> {
  const warnings: string[] = [];
  const attached = await listAttached({ ...o, warn: (m) => warnings.push(m) });
  const match = matchBoards(attached, o.profiles, o.inventory ?? { boards: [] });
  return { attached, match, warnings, inventoryFile: o.inventoryFile, inventoryError: o.inventoryError };
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
  if (r.attached.length === 0)
    out.push('', 'No serial ports found. Check the cable (some are power-only), `dmesg | tail`, and docs/hardware.md.');
  return `${out.join('\n')}\n`;
}
