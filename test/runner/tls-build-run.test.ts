// The firmware's TLS build and a broker personality, end to end on the ESP32 twin with a local Mosquitto: a record
// larger than CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN (with CONFIG_MBEDTLS_DYNAMIC_BUFFER) fails with the board's -0x7200; the
// aws-iot front refuses a ClientHello without ALPN on 443 (the board sees the alert, the broker log says why) and
// relays one with it. Three cells of the repository's own scenarios.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../rig/project.ts';
import { Results } from '../../rig/results/schema.ts';

describe('runner: tls build and broker personality scenarios', function () {
  this.timeout(600_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rig-tls-build-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('broken and fixed variants pass on the twin', () => {
    const root = projectPaths().root;
    const out = path.join(dir, 'out');
    const r = spawnSync(
      process.execPath,
      [
        path.join(root, 'bin', 'rig.mjs'),
        'run',
        'scenarios/tlsbuild/esp32-large-chain-small-in-buffer.yaml',
        'scenarios/brokers/esp32-aws-iot-443-needs-alpn.yaml',
        '--filter',
        '^(esp32-large-chain-small-in-buffer/broken-dynamic|esp32-aws-iot-443-needs-alpn/(broken|fixed))/esp32$',
        '--broker',
        'local',
        '--out',
        out,
      ],
      { encoding: 'utf8', cwd: root, timeout: 540_000 },
    );
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const results = Results.parse(JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')));
    const byId = Object.fromEntries(results.cells.map((c) => [c.id, c]));
    const small = byId['esp32-large-chain-small-in-buffer/broken-dynamic/esp32'];
    assert.equal(small?.outcome?.kind, 'tls/record-too-large');
    assert.ok([small?.outcome?.code, ...(small?.outcome?.facts ?? [])].includes('mbedtls:-29184'));
    const noAlpn = byId['esp32-aws-iot-443-needs-alpn/broken/esp32'];
    assert.equal(noAlpn?.outcome?.refinedKind, 'tls/alpn-required');
    assert.equal(byId['esp32-aws-iot-443-needs-alpn/fixed/esp32']?.outcome?.kind, 'connected');
    assert.equal(results.cells.length, 3, results.cells.map((c) => c.id).join(', '));
  });

  it('Tasmota fingerprint pinning and an Azure IoT Hub CONNECT refusal pass on the twins', () => {
    const root = projectPaths().root;
    const out = path.join(dir, 'out-cloud');
    const r = spawnSync(
      process.execPath,
      [
        path.join(root, 'bin', 'rig.mjs'),
        'run',
        'scenarios/tlsbuild/tasmota-fingerprint-rotated.yaml',
        'scenarios/brokers/esp32-azure-iot-hub-sas.yaml',
        '--filter',
        '^(tasmota-fingerprint-rotated/(rotated|learn)/esp8266|esp32-azure-iot-hub-sas/broken-username/esp32)$',
        '--broker',
        'local',
        '--out',
        out,
      ],
      { encoding: 'utf8', cwd: root, timeout: 540_000 },
    );
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const results = Results.parse(JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')));
    const byId = Object.fromEntries(results.cells.map((c) => [c.id, c]));
    const rotated = byId['tasmota-fingerprint-rotated/rotated/esp8266'];
    assert.equal(rotated?.outcome?.kind, 'tls/untrusted');
    assert.equal(rotated?.outcome?.code, 'bearssl:1');
    assert.equal(byId['tasmota-fingerprint-rotated/learn/esp8266']?.outcome?.kind, 'connected');
    const azure = byId['esp32-azure-iot-hub-sas/broken-username/esp32'];
    assert.equal(azure?.outcome?.kind, 'mqtt/not-authorized');
    // The SAS token is the cell's password: nowhere in what the run wrote.
    assert.ok(!readFileSync(path.join(out, 'results.json'), 'utf8').includes('sig=Vh3q8XrL0pZk'));
    assert.equal(results.cells.length, 3, results.cells.map((c) => c.id).join(', '));
  });
});
