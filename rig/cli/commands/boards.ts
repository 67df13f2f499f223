// `rig boards`: thin CLI wrapper over rig/hardware/lab-report.ts (written by the hardware helper).
import { command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { bool } from '../args.ts';
import { context } from './context.ts';
import { inventoryPath, loadInventory, type LabInventory } from '../../hardware/inventory.ts';
import { formatLabReport, labReport } from '../../hardware/lab-report.ts';

export const command_ = command(
  {
    name: 'boards',
    usage: 'rig boards [--json] [--no-arduino-cli]',
    summary:
      'List attached USB serial boards, match them to rig.lab.yaml (by serial number or USB location) and print entries for unknown ones.',
    options: {
      json: { type: 'boolean', help: 'Machine-readable output' },
      'no-arduino-cli': { type: 'boolean', help: 'Only use serialport (udev) for listing' },
    },
  },
  async (p) => {
    const { boards } = await context();
    const file = inventoryPath();
    let inventory: LabInventory | undefined;
    let inventoryError: string | undefined;
    try {
      inventory = await loadInventory(file);
    } catch (e) {
      inventoryError = (e as Error).message;
    }
    const r = await labReport({
      profiles: [...boards.values()],
      inventory,
      inventoryFile: file,
      inventoryError,
      cli: !bool(p, 'no-arduino-cli'),
    });
    process.stdout.write(bool(p, 'json') ? `${JSON.stringify(r, null, 2)}\n` : formatLabReport(r));
    return r.match.ambiguous.length ? EXIT.infra : EXIT.ok;
  },
);
export { command_ as command };
