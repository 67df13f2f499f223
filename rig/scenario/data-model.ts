// The C data model of a cell's twin: the host's LP64 by default, ILP32 (g++ -m32, a 32-bit long as on ESP32, ESP8266
// and SAMD) where the scenario says so or where its steps set millis() (a wrap only happens on a 32-bit long).
import type { Scenario } from './schema.ts';
import { stepsSetMillis } from './steps.ts';

export type DataModel = 'lp64' | 'ilp32';

/** build.<board>.dataModel ("*" then the board's, scenario then variant: the last that sets it), else by the steps. */
export function dataModelFor(s: Scenario, variant: string, board: string): DataModel {
  const v = s.variants[variant];
  const layers = [s.build?.['*'], s.build?.[board], v?.build?.['*'], v?.build?.[board]];
  const set = layers.map((l) => l?.dataModel).filter((m): m is DataModel => m !== undefined);
  if (set.length > 0) return set[set.length - 1]!;
  return stepsSetMillis(v?.steps ?? s.steps) ? 'ilp32' : 'lp64';
}
