// A board told to use the broker's LAN address (as in the forum posts) reaches the rig's broker, and its TLS
// stack still checks the address it was given: the user's own IP works in certificates and sketches.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { projectPaths } from '../../rig/project.ts';
import { runQuiet } from '../helpers/matrix.ts';

const TEXT = `version: 1
id: lan-address
pki:
  ca: { subject: { CN: MQTTCA } }
  server: { subject: { CN: raspberry }, san: ["IP:192.168.0.52", "DNS:raspberry"] }
  cn-ip: { issuer: ca, subject: { CN: 192.168.0.52 } }
broker:
  listeners: [{ port: 8883, tls: {}, allowAnonymous: true }]
boards: [esp32, esp8266, control]
variants:
  by-ip: { connect: 192.168.0.52 }
  by-ip-cn-only: { connect: 192.168.0.52, broker: { listeners: [{ port: 8883, tls: { cert: cn-ip }, allowAnonymous: true }] } }
  by-name: { connect: raspberry }
expect:
  by-ip: { esp32: { kind: tls/name-mismatch, code: "mbedtls:-9984" }, esp8266: { kind: tls/name-mismatch, code: "bearssl:56" }, control: { kind: connected } }
  by-ip-cn-only: { esp32: { kind: connected }, esp8266: { kind: connected }, control: { kind: tls/name-mismatch } }
  by-name: { esp32: { kind: connected }, esp8266: { kind: connected } }
`;

describe("twins on the user's LAN address", function () {
  this.timeout(240_000);
  it('connect 192.168.0.52 reaches the broker; boards and the PC check that address as each stack does', async () => {
    const paths = projectPaths();
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-lan-'));
    const scenario = parseScenarioText(TEXT, 'lan-address.yaml');
    const r = await runQuiet({
      scenarios: [{ file: path.join(paths.scenarios, 'lan-address.yaml'), scenario }],
      outDir: path.join(tmp, 'run'),
      sandbox: true,
      paths,
    });
    const got = Object.fromEntries(
      r.results.cells.map((c) => [c.id, `${c.status} ${c.outcome.kind} ${c.outcome.code ?? ''}`.trim()]),
    );
    assert.deepEqual(got, {
      'lan-address/by-ip/control': 'pass connected',
      'lan-address/by-ip-cn-only/control': 'pass tls/name-mismatch openssl:ERR_TLS_CERT_ALTNAME_INVALID',
      'lan-address/by-ip/esp32': 'pass tls/name-mismatch mbedtls:-9984',
      'lan-address/by-ip/esp8266': 'pass tls/name-mismatch bearssl:56',
      'lan-address/by-ip-cn-only/esp32': 'pass connected',
      'lan-address/by-ip-cn-only/esp8266': 'pass connected',
      'lan-address/by-name/esp32': 'pass connected',
      'lan-address/by-name/esp8266': 'pass connected',
    });
    rmSync(tmp, { recursive: true, force: true });
  });
});
