// `rig boards`: thin CLI wrapper over rig/hardware/lab-report.ts and, with --check, rig/hardware/check.ts.
import path from 'node:path';
import { command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { bool, list, str } from '../args.ts';
import { context } from './context.ts';
import { allHealthy, checkBoards, formatChecks } from '../../hardware/check.ts';
import { LabHealth } from '../../hardware/health.ts';
import { inventoryPath, loadInventory, type LabInventory } from '../../hardware/inventory.ts';
import { formatLabReport, labReport } from '../../hardware/lab-report.ts';
import { defaultStateDir } from '../../hardware/session.ts';
import { UsageError } from '../../errors.ts';

export const command_ = command(
  {
    name: 'boards',
    usage: 'rig boards [--check [--boards NAME,...] [--out DIR]] [--json] [--no-arduino-cli]',
    summary:
      "List attached USB serial boards, match them to rig.lab.yaml (by serial number or USB location), print entries for unknown ones and each board's health tonight; --check flashes a probe on each board and reads its banner (exit 3 when one is not healthy).",
    options: {
      json: { type: 'boolean', help: 'Machine-readable output' },
      'no-arduino-cli': { type: 'boolean', help: 'Only use serialport (udev) for listing' },
      check: {
        type: 'boolean',
        help: 'Flash the probe sketch on each board and read its banner; power-cycle one that does not answer',
      },
      boards: { type: 'string', help: 'With --check: only these inventory boards (comma-separated names)' },
      out: {
        type: 'string',
        help: "With --check: where each board's notes and rebuild.sh go (default reports/board-check)",
      },
    },
  },
  async (p) => {
    const { boards, paths } = await context();
    const file = inventoryPath();
    let inventory: LabInventory | undefined;
    let inventoryError: string | undefined;
    try {
      inventory = await loadInventory(file);
    } catch (e) {
      if (bool(p, 'check')) throw e; // nothing to check without the lab's inventory
      inventoryError = (e as Error).message;
    }
    if (bool(p, 'check')) {
      const only = list(p, 'boards');
      const unknown = only.filter((n) => !inventory!.boards.some((b) => b.name === n));
      if (unknown.length) throw new UsageError(`--boards: not in ${file}: ${unknown.join(', ')}`);
      const checks = await checkBoards({
        inventory: inventory!,
        profiles: boards,
        probeSketch: path.join(paths.sketches, 'rig-probe'),
        only,
        outDir: path.resolve(str(p, 'out') ?? path.join(paths.reports, 'board-check')),
        log: (l) => process.stderr.write(`${l}\n`),
      });
      process.stdout.write(bool(p, 'json') ? `${JSON.stringify(checks, null, 2)}\n` : formatChecks(checks));
      return allHealthy(checks) ? EXIT.ok : EXIT.infra;
    }
    const r = await labReport({
      profiles: [...boards.values()],
      inventory,
      inventoryFile: file,
      inventoryError,
      health: new LabHealth(path.join(defaultStateDir(), 'health')),
      cli: !bool(p, 'no-arduino-cli'),
    });
    process.stdout.write(bool(p, 'json') ? `${JSON.stringify(r, null, 2)}\n` : formatLabReport(r));
    return r.match.ambiguous.length ? EXIT.infra : EXIT.ok;
  },
);
export { command_ as command };
