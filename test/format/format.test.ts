// The one template grammar and the one positioned reader, on every kind of input the rig reads.
import assert from 'node:assert/strict';
import { z } from 'zod';
import { FormatError } from '../../rig/errors.ts';
import { checkValue, fillTemplate, fillVars, parseWithSchema, placeholders } from '../../rig/format/index.ts';
import { parseTwinWorld } from '../../rig/twin/world.ts';
import { LabInventory } from '../../rig/hardware/inventory.ts';

function problemsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof FormatError, String(e));
    return e.message.split('\n');
  }
  assert.fail('no FormatError');
}

describe('format: {{name}} templates', () => {
  it('one grammar: letters, digits, _ . - and spaces inside the braces', () => {
    assert.deepEqual(placeholders('{{broker.ip}} {{ pki.my-ca.crt }} {{port.8883}} {{passwd}} {{not a name}} {x}'), [
      'broker.ip',
      'pki.my-ca.crt',
      'port.8883',
      'passwd',
    ]);
  });

  it('a stage fills what it knows and keeps the rest, or names what it does not know', () => {
    assert.equal(fillVars('IP:{{broker.ip}} {{port.1883}}', { 'broker.ip': '10.0.0.2' }), 'IP:10.0.0.2 {{port.1883}}');
    assert.equal(fillVars('{{constructor}}', {}), '{{constructor}}', 'only own values');
    assert.throws(
      () =>
        fillTemplate(
          '{{nope}}',
          () => undefined,
          (name) => {
            throw new Error(`unknown placeholder {{${name}}}`);
          },
        ),
      /unknown placeholder \{\{nope\}\}/,
    );
  });
});

describe('format: file:line:column: field: message for every format', () => {
  const Schema = z.object({ name: z.string(), port: z.number().int() }).strict();

  it('YAML: every problem at its place, an unknown key named', () => {
    const lines = problemsOf(() => parseWithSchema(Schema, 'name: x\nport: "8883"\nprot: 1\n', 'a.yaml'));
    assert.deepEqual(lines, [
      'a.yaml:2:7: port: expected number, got string "8883"',
      'a.yaml:3:1: prot: unknown key "prot"',
    ]);
  });

  it('the lab inventory (rig.lab.yaml) reports like a scenario', () => {
    const lines = problemsOf(() =>
      parseWithSchema(
        LabInventory,
        'boards:\n  - { name: a, profile: esp32, location: /dev/ttyUSB0 }\n',
        'rig.lab.yaml',
      ),
    );
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /^rig\.lab\.yaml:2:\d+: boards\[0\]\.location: a USB location/);
  });

  it("the twin's world is checked as the file it is written to, at its line", () => {
    const lines = problemsOf(() => parseTwinWorld({ coreVersion: '2.0.17', debugLevel: 9 }, '/run/x/world.json'));
    assert.deepEqual(lines.length, 1);
    assert.match(lines[0]!, /^\/run\/x\/world\.json:3:\d+: debugLevel: /);
    assert.deepEqual(checkValue(Schema, { name: 'n', port: 1 }, 'v.json'), { name: 'n', port: 1 });
  });
});
