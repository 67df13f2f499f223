// The target layer: one driver per kind of target (twin, hardware board, host control) behind one contract
// (driver.ts). The runner asks for the drivers a run needs; the hardware one reads the lab inventory.
import { hardwareDriver, type LabOptions } from './hardware.ts';
import { hostDriver } from './host.ts';
import { twinDriver } from './twin.ts';
import type { TargetDriver, TargetName } from './driver.ts';

export type {
  BurstEnds,
  ClockMove,
  LineSource,
  PreparedTarget,
  RunningTarget,
  TargetCell,
  TargetDriver,
  TargetEnd,
  TargetLevers,
  TargetName,
} from './driver.ts';
export type { LabOptions } from './hardware.ts';
export { hardwareDriver, hostDriver, twinDriver };

/** The drivers for these targets; `lab` describes the boards (default: rig.lab.yaml, RIG_LAB). */
export async function targetDrivers(
  targets: Iterable<TargetName>,
  lab: LabOptions = {},
): Promise<Map<TargetName, TargetDriver>> {
  const out = new Map<TargetName, TargetDriver>();
  for (const t of new Set(targets))
    out.set(t, t === 'twin' ? twinDriver() : t === 'host' ? hostDriver() : await hardwareDriver(lab));
  return out;
}
