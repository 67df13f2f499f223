// esp-mqtt / esp-tls on the ESP32 twin: the IDF log lines and error codes an Arduino 2.0.x build prints.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SerialCapture } from '../../rig/serial/capture.ts';
import { buildTwin, bootTwin, type TwinProcess } from '../../rig/twin/index.ts';
import { cString } from '../../rig/target/secrets.ts';
import { makePki, readPem, startMosquitto, type TestBroker, type TestPki } from './helpers.ts';

const SKETCH = fileURLToPath(new URL('./fixtures/esp-mqtt-probe/', import.meta.url));

describe('twin: ESP32 esp-mqtt (mqtt_client.h)', function () {
  this.timeout(180_000);
  let tmp: string;
  let pki: TestPki;
  let good: TestBroker;
  let home: TestBroker;
  const running: { twin: TwinProcess; serial: SerialCapture }[] = [];

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-twin-espmqtt-'));
    chmodSync(tmp, 0o755);
    pki = makePki(path.join(tmp, 'pki'));
    good = await startMosquitto(pki.dir, pki, 'localhost');
    home = await startMosquitto(pki.dir, pki, 'home');
  });
  afterEach(async () => {
    for (const r of running.splice(0)) {
      await r.serial.close();
      await r.twin.kill();
    }
  });
  after(async () => {
    await Promise.all([good, home].map((b) => b?.stop()));
    rmSync(tmp, { recursive: true, force: true });
  });

  async function run(uri: string, broker: TestBroker, coreVersion = '2.0.17') {
    const header = `#define SECRET_URI ${cString(uri)}\n#define SECRET_TOPIC "rig/espmqtt"\n#define SECRET_CA_CERT ${cString(readPem(pki.caCrt))}\n`;
    const b = await buildTwin({
      sketchDir: SKETCH,
      core: 'esp32',
      secretsHeader: header,
      coreVersion,
      debugLevel: 1,
      cacheDir: path.join(tmp, 'cache'),
    });
    const { process: twin, serial } = await bootTwin({
      binary: b.binary,
      workDir: mkdtempSync(path.join(tmp, 'run-')),
      world: { hosts: { localhost: '127.0.0.1' }, ports: { '8883': broker.port }, coreVersion, debugLevel: 1 },
    });
    running.push({ twin, serial });
    return { twin, serial };
  }

  it('connects over mqtts:// by name, subscribes, publishes (QoS 1 acked)', async () => {
    const { serial } = await run('mqtts://localhost:8883', good);
    await serial.waitFor(/^EV: connected$/, 20_000);
    await serial.waitFor(/^EV: published 2$/, 10_000);
    await good.waitForLog(/Received PUBLISH from esp-mqtt-probe .*'rig\/espmqtt\/up'/, 10_000);
  });

  it('a name mismatch prints the esp-tls / transport / MQTT_CLIENT error chain and reports flags 0x4', async () => {
    const { twin, serial } = await run('mqtts://127.0.0.1:8883', home);
    await serial.waitFor(/^EV: disconnected$/, 20_000);
    const e = serial
      .lines()
      .filter((l) => /^[EIW] \(\d+\) /.test(l))
      .map((l) => l.replace(/\(\d+\)/, '(t)'));
    assert.deepEqual(e, [
      'E (t) esp-tls-mbedtls: mbedtls_ssl_handshake returned -0x2700',
      'E (t) esp-tls: Failed to open new connection',
      'E (t) TRANSPORT_BASE: Failed to open a new connection',
      'E (t) MQTT_CLIENT: Error transport connect',
    ]);
    assert.ok(serial.lines().includes('EV: error type=1 tls=-0x2700 flags=0x4 esp=0x8010'), serial.lines().join('\n'));
    assert.ok(twin.facts().includes('mbedtls-flags:0x4'));
  });

  it('on core 1.0.6 (IDF 3.3) the same chain has the tags from before IDF 4.3: esp-tls and TRANS_SSL', async () => {
    const { serial } = await run('mqtts://127.0.0.1:8883', home, '1.0.6');
    await serial.waitFor(/^EV: disconnected$/, 20_000);
    const e = serial
      .lines()
      .filter((l) => /^[EIW] \(\d+\) /.test(l))
      .map((l) => l.replace(/\(\d+\)/, '(t)'));
    assert.deepEqual(e, [
      'E (t) esp-tls: mbedtls_ssl_handshake returned -0x2700',
      'E (t) esp-tls: Failed to open new connection',
      'E (t) TRANS_SSL: Failed to open a new connection',
      'E (t) MQTT_CLIENT: Error transport connect',
    ]);
  });
});
