import assert from 'node:assert/strict';
import path from 'node:path';
import { loadScenario } from '../../rig/scenario/load.ts';
import { resolveVariant } from '../../rig/scenario/resolve.ts';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { ROOT } from './helpers.ts';

describe('variant pki.verbatim (schema + resolve addition)', () => {
  it("a variant replaces the scenario's verbatim script; other variants keep it", async () => {
    const { scenario } = await loadScenario(
      path.join(ROOT, 'scenarios', 'seeds', 'seed-000-esp32-mdns-ip-cn-home.yaml'),
    );
    const vars = { 'broker.ip': '127.0.0.1' };
    const broken = resolveVariant(scenario, 'broken', vars).pki.verbatim;
    const fixed = resolveVariant(scenario, 'fixed', vars).pki.verbatim;
    const ouOnly = resolveVariant(scenario, 'ou-only', vars).pki.verbatim;
    assert.match(broken?.script ?? '', /OU=PSS\/CN=home/);
    assert.match(fixed?.script ?? '', /OU=Server\/CN=\$IP/);
    assert.match(ouOnly?.script ?? '', /OU=Server\/CN=home/);
    assert.equal(resolveVariant(scenario, 'fixed-by-name', vars).pki.verbatim?.script, broken?.script);
  });

  it('declarative patches still merge, and an unknown key in a variant verbatim block is rejected', () => {
    const base = `version: 1
id: v
pki:
  ca: { subject: { CN: A } }
  server: { subject: { CN: s } }
broker: { listeners: [{ port: 8883, tls: {} }] }
boards: [esp32]
variants:
  a: { pki: { server: { san: ["DNS:x"] } } }
expect: { a: { esp32: { kind: connected } } }
`;
    const s = parseScenarioText(base, 'v.yaml');
    const pki = resolveVariant(s, 'a', {}).pki;
    assert.deepEqual(pki.server, { subject: { CN: 's' }, san: ['DNS:x'] });
    assert.throws(
      () =>
        parseScenarioText(
          base.replace(
            'a: { pki: { server: { san: ["DNS:x"] } } }',
            'a: { pki: { verbatim: { script: "x", files: {}, extra: 1 } } }',
          ),
          'v.yaml',
        ),
      /extra/,
    );
  });
});
