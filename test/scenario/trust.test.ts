// Which inputs of a run a stranger may have written: a scenario's libraries folder is code compiled into the twin,
// so one outside the checkout makes the run untrusted, as a sketch outside it does.
import assert from 'node:assert/strict';
import path from 'node:path';
import { projectPaths } from '../../rig/project.ts';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { untrustedInputs } from '../../rig/scenario/trust.ts';

const root = projectPaths().root;
const text = (librariesDir: string): string =>
  [
    'version: 1',
    'id: libs',
    'pki: { ca: {}, server: { san: ["DNS:localhost"] } }',
    'broker: { listeners: [{ port: 8883, tls: {}, allowAnonymous: true }] }',
    'boards: [esp32]',
    `librariesDir: ${librariesDir}`,
    'expect: { default: { esp32: { kind: connected } } }',
    '',
  ].join('\n');

describe('scenario trust: a libraries folder', () => {
  const file = path.join(root, 'test', 'fixtures', 'scenarios', 'libs.yaml');
  it('inside the checkout is the project’s own', () => {
    const l = { file, scenario: parseScenarioText(text('../user-libraries'), file) };
    assert.deepEqual(untrustedInputs([l], root), []);
  });
  it('outside the checkout is a stranger’s, named', () => {
    const l = { file, scenario: parseScenarioText(text('/opt/arduino/libraries'), file) };
    assert.deepEqual(untrustedInputs([l], root), [
      'libs: the libraries folder /opt/arduino/libraries is outside this checkout',
    ]);
  });
});
