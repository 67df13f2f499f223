// The modelled modules end to end on twins (real mosquitto, the twin's mbedTLS): WiFiSSLClient on the MKR1000
// trusts only what was uploaded to the WINC1500, offers the suites of its firmware row (19.4.4: AES-128 only), and
// the NINA-W102 before 1.2.3 checks no name. Every cell says it is modelled. Four cells, builds cached by content.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../rig/project.ts';
import type { Cell } from '../../rig/results/schema.ts';
import { type RunOutcome } from '../../rig/runner/run.ts';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { runQuiet } from '../helpers/matrix.ts';

const paths = projectPaths();

describe('modelled modules on twins: WINC1500 (MKR1000) and NINA-W102 (MKR WiFi 1010)', function () {
  this.timeout(600_000);
  let tmp: string;
  let run: RunOutcome;
  const cell = (variant: string): Cell => {
    const c = run.results.cells.find((x) => x.variant === variant);
    assert.ok(c, variant);
    return c;
  };

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-modules-twin-'));
    const file = path.join(paths.root, 'test', 'fixtures', 'scenarios', 'modules.yaml');
    const text = [
      'version: 1',
      'id: modules-twin',
      'pki: { ca: { subject: { CN: Module CA } }, server: { subject: { CN: b.test }, san: ["DNS:b.test"] } }',
      // AES256-SHA256 only: WiFi101 0.16.1 enables it on firmware >= 19.5.0, firmware 19.4.4 has AES-128 suites only.
      'broker: { listeners: [{ port: 8883, tls: { version: tlsv1.2, ciphers: "AES256-SHA256" }, allowAnonymous: true }] }',
      'boards: [mkr1000, mkrwifi1010]',
      'client: { connect: b.test }',
      'variants:',
      '  factory-store: { sketch: sketches/forum-mkr1000-wifisslclient, module: {} }',
      '  winc-19-4-4: { sketch: sketches/forum-mkr1000-wifisslclient, module: { firmware: 19.4.4, roots: [ca] } }',
      '  winc-19-6-1: { sketch: sketches/forum-mkr1000-wifisslclient, module: { firmware: 19.6.1, roots: [ca] } }',
      '  nina-1-2-1-other-name: { sketch: sketches/forum-nina-wifisslclient, connect: other.test, module: { firmware: 1.2.1, roots: [ca] } }',
      'expect:',
      '  factory-store: { mkr1000: { serial: ["RIG: connect fail state=-2"] } }',
      '  winc-19-4-4: { mkr1000: { serial: ["RIG: connect fail state=-2"], brokerReason: "no shared cipher" } }',
      '  winc-19-6-1: { mkr1000: { kind: connected } }',
      '  nina-1-2-1-other-name: { mkrwifi1010: { kind: connected } }',
      '',
    ].join('\n');
    run = await runQuiet({
      scenarios: [{ file, scenario: parseScenarioText(text, file) }],
      retries: 1,
      outDir: path.join(tmp, 'run'),
      paths,
    });
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('WINC1500 factory store: no scenario root, connect() = 0 (PubSubClient -2), the cell says it is modelled', () => {
    const c = cell('factory-store');
    assert.equal(c.status, 'pass', JSON.stringify(c));
    assert.equal(c.modelled, 'modelled: WINC1500 19.6.1');
    assert.ok(c.outcome.facts?.includes('module-roots:factory'), String(c.outcome.facts));
  });

  it('WINC1500 19.4.4 shares no suite with an AES256-SHA256 listener; 19.6.1 (WiFi101 0.16.1) connects to it', () => {
    const old = cell('winc-19-4-4');
    assert.equal(old.status, 'pass', JSON.stringify(old));
    assert.equal(old.modelled, 'modelled: WINC1500 19.4.4');
    const now = cell('winc-19-6-1');
    assert.equal(now.status, 'pass', JSON.stringify(now));
    assert.ok(
      now.outcome.facts?.includes('tls-ciphersuite:TLS-RSA-WITH-AES-256-CBC-SHA256'),
      String(now.outcome.facts),
    );
  });

  it('NINA-W102 1.2.1 sets no host name: no SNI and no name check, so a certificate for b.test passes as other.test', () => {
    const c = cell('nina-1-2-1-other-name');
    assert.equal(c.status, 'pass', JSON.stringify(c));
    assert.equal(c.modelled, 'modelled: NINA-W102 1.2.1');
  });
});
