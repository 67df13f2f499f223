// The smallest valid scenario text and the problems a rejected one reports: shared by the tests of the scenario
// format (steps, data model, loading), each adding only the fields it tests.
import assert from 'node:assert/strict';
import { FormatError } from '../../rig/format/index.ts';
import { parseScenarioText } from '../../rig/scenario/load.ts';

/** A scenario up to its boards: one CA, one server certificate, one TLS listener. */
export function scenarioBase(boards: string[] = ['esp32']): string {
  return `version: 1
id: demo
pki:
  ca: { subject: { CN: CA } }
  server: { subject: { CN: broker } }
broker:
  listeners: [{ port: 8883, tls: {} }]
boards: [${boards.join(', ')}]
`;
}

/** The problems of a scenario text the loader must reject (as file x.yaml). */
export function problemsOf(text: string): FormatError['problems'] {
  try {
    parseScenarioText(text, 'x.yaml');
  } catch (e) {
    if (e instanceof FormatError) return e.problems;
    throw e;
  }
  assert.fail('expected the scenario to be rejected');
}
