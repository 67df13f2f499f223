// Which logical ports a broker spec listens on: what the board's port is checked against when a scenario
// loads, and what the broker maps to real ports when it starts.
import { placeholders } from '../format/index.ts';
import type { BrokerSpec } from './schema.ts';

/** Logical listener ports a spec asks for (listener lines, `port`, {{port.N}}; 1883 for a conf without any). */
export function logicalPorts(spec: BrokerSpec): number[] {
  if (spec.conf === undefined) return [...new Set((spec.listeners ?? []).map((l) => l.port))];
  const ports = new Set<number>();
  for (const name of placeholders(spec.conf)) {
    const m = /^port\.(\d+)$/.exec(name);
    if (m) ports.add(Number(m[1]));
  }
  for (const line of spec.conf.split('\n')) {
    const m = /^\s*(?:listener|port)\s+(\d+)\b/.exec(line);
    if (m) ports.add(Number(m[1]));
  }
  if (ports.size === 0) ports.add(1883);
  return [...ports];
}
