// MQTT library buffers per version against a real Mosquitto: PubSubClient 2.6 (no CONNECT check, writes past its
// 128 bytes), 2.7 (refuses it, state -1), 2.8 (256 bytes, setBufferSize), a build define vs the default; ArduinoMqttClient
// 0.1.5 (payload cut to 256) vs 0.1.8 (setTxPayloadSize). The twin's side channel names the packet that did not fit,
// and the board profile's codes make it mqtt/packet-too-large, ahead of the "connected" line.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadBoard } from '../../rig/boards/load.ts';
import { OutcomeClassifier } from '../../rig/outcome/classify.ts';
import { projectPaths } from '../../rig/project.ts';
import { SerialCapture } from '../../rig/serial/capture.ts';
import { buildTwin, startTwin } from '../../rig/twin/index.ts';
import { freePort } from './helpers.ts';
import { sharedTwinCache } from '../helpers/twin-cache.ts';

const PUBSUB = `#include <WiFi.h>
#include <PubSubClient.h>
#include "arduino_secrets.h"
WiFiClient net;
PubSubClient mqtt(net);
char big[301];
void setup() {
  Serial.begin(115200);
  WiFi.begin("s", "p");
  memset(big, 'x', 300);
  mqtt.setServer("127.0.0.1", SECRET_PORT);
  Serial.printf("T: max %d\\n", MQTT_MAX_PACKET_SIZE);
  char user[151];
  memset(user, 'u', 150);
  user[150] = 0;
  bool ok = mqtt.connect("buf-test", user, "pw");
  Serial.printf("T: long-connect ok=%d state=%d\\n", ok, mqtt.state());
  Serial.printf("T: connect ok=%d\\n", mqtt.connect("buf-test"));
  Serial.printf("T: publish-100 ok=%d\\n", mqtt.publish("t/a", big + 200));
  Serial.printf("T: publish-300 ok=%d\\n", mqtt.publish("t/a", big));
#if TWIN_PUBSUBCLIENT_VERSION >= 20800
  mqtt.setBufferSize(512);
  Serial.printf("T: publish-300-grown ok=%d\\n", mqtt.publish("t/a", big));
#endif
  Serial.println("T: done"); delay(300); exit(0);
}
void loop() {}
`;

const AMC = `#include <WiFi.h>
#include <ArduinoMqttClient.h>
#include "arduino_secrets.h"
WiFiClient net;
MqttClient m(net);
char big[301];
void send() { m.beginMessage("t/b"); size_t n = m.print(big); Serial.printf("T: wrote %u\\n", (unsigned)n); m.endMessage(); }
void setup() {
  Serial.begin(115200);
  WiFi.begin("s", "p");
  memset(big, 'y', 300);
  m.setId("amc-test");
  Serial.printf("T: connect %d\\n", m.connect("127.0.0.1", SECRET_PORT));
  send();
#if TWIN_ARDUINOMQTTCLIENT_VERSION >= 106
  m.setTxPayloadSize(512);
  send();
#endif
  m.poll(); delay(200);
  Serial.println("T: done"); delay(300); exit(0);
}
void loop() {}
`;

describe('twin: MQTT library buffers per version', function () {
  this.timeout(400_000);
  let tmp: string;
  let port: number;
  let log = '';
  let broker: ReturnType<typeof spawn>;

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-mqtt-buffers-'));
    chmodSync(tmp, 0o755);
    port = await freePort();
    const conf = path.join(tmp, 'm.conf');
    writeFileSync(
      conf,
      [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'log_dest stderr', 'log_type all', ''].join('\n'),
    );
    chmodSync(conf, 0o644);
    broker = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    broker.stderr!.setEncoding('utf8').on('data', (d: string) => {
      log += d;
    });
    await new Promise((r) => setTimeout(r, 500));
  });
  after(() => {
    broker.kill('SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  });

  async function run(
    name: string,
    text: string,
    o: { libraries?: Record<string, string>; extraDefines?: string[] },
  ): Promise<{ t: string[]; facts: string[] }> {
    const dir = path.join(tmp, 'sketches', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${name}.ino`), text);
    const b = await buildTwin({
      sketchDir: dir,
      core: 'esp32',
      secretsHeader: `#define SECRET_PORT ${port}\n`,
      coreVersion: '2.0.17',
      debugLevel: 1,
      cacheDir: sharedTwinCache(),
      ...o,
    });
    const twin = await startTwin({
      binary: b.binary,
      world: { coreVersion: '2.0.17', debugLevel: 1 },
      workDir: mkdtempSync(path.join(tmp, 'run-')),
    });
    const serial = await SerialCapture.open({ path: twin.ptyPath, baudRate: 115200 });
    twin.go();
    await serial.waitFor(/^T: done$/, 30_000);
    await serial.close();
    await twin.kill();
    return { t: serial.lines().filter((l) => l.startsWith('T: ')), facts: twin.facts() };
  }

  it('PubSubClient 2.7: 128 bytes; a too-long CONNECT fails with state -1, a 300-byte PUBLISH is refused', async () => {
    const { t, facts } = await run('psc27', PUBSUB, { libraries: { PubSubClient: '2.7' } });
    assert.deepEqual(t, [
      'T: max 128',
      'T: long-connect ok=0 state=-1',
      'T: connect ok=1',
      'T: publish-100 ok=1',
      'T: publish-300 ok=0',
      'T: done',
    ]);
    assert.ok(
      facts.includes(
        'pubsubclient-too-large:connect\tPubSubClient 2.7: connect of 181 bytes > its 128-byte buffer (MQTT_MAX_PACKET_SIZE, a build define); connect() returns false and state() stays as it was',
      ),
      facts.join('\n'),
    );
    assert.ok(
      facts.some((f) => f.startsWith('pubsubclient-too-large:publish\tPubSubClient 2.7: publish of 310 bytes')),
    );

    // The profile maps the fact; it outranks the "connected" line the sketch printed, and carries its sizes.
    const esp32 = await loadBoard(path.join(projectPaths().boards, 'esp32.yaml'));
    const c = new OutcomeClassifier(esp32.outcome);
    c.feed('RIG: connected', 0);
    c.feed('RIG: publish failed', 1);
    for (const f of facts.filter((x) => x.includes('publish'))) c.addFact(f);
    const r = c.result();
    assert.equal(r.kind, 'mqtt/packet-too-large');
    assert.equal(r.code, 'pubsubclient-too-large:publish');
    assert.match(r.detail ?? '', /^PubSubClient 2\.7: publish of 310 bytes > its 128-byte buffer/);
  });

  it('PubSubClient 2.7 with -DMQTT_MAX_PACKET_SIZE=512 for the build: everything fits', async () => {
    const { t, facts } = await run('psc27big', PUBSUB, {
      libraries: { PubSubClient: '2.7' },
      extraDefines: ['MQTT_MAX_PACKET_SIZE=512'],
    });
    assert.deepEqual(t.slice(0, 5), [
      'T: max 512',
      'T: long-connect ok=1 state=0',
      'T: connect ok=1',
      'T: publish-100 ok=1',
      'T: publish-300 ok=1',
    ]);
    assert.ok(!facts.some((f) => f.includes('too-large')), facts.join('\n'));
  });

  it('PubSubClient 2.6: no CONNECT check, the packet goes out past the buffer and the overflow is a fact', async () => {
    const { t, facts } = await run('psc26', PUBSUB, { libraries: { PubSubClient: '2.6' } });
    assert.deepEqual(t.slice(0, 5), [
      'T: max 128',
      'T: long-connect ok=1 state=0',
      'T: connect ok=1',
      'T: publish-100 ok=1',
      'T: publish-300 ok=0',
    ]);
    assert.ok(
      facts.some((f) =>
        /^pubsubclient-overflow:connect\tPubSubClient 2\.6: connect of 181 bytes .*memory after it is overwritten/.test(
          f,
        ),
      ),
      facts.join('\n'),
    );
    assert.match(log, /New client connected from 127\.0\.0\.1:\d+ as buf-test \(p2, c1, k15, u'u{150}'\)/);
  });

  it('PubSubClient 2.8: 256 bytes, setBufferSize(512) lets the 300-byte message through', async () => {
    const { t } = await run('psc28', PUBSUB, {});
    assert.deepEqual(t, [
      'T: max 256',
      'T: long-connect ok=1 state=0',
      'T: connect ok=1',
      'T: publish-100 ok=1',
      'T: publish-300 ok=0',
      'T: publish-300-grown ok=1',
      'T: done',
    ]);
  });

  it('ArduinoMqttClient 0.1.5 cuts a payload begun without a size to 256 bytes; 0.1.8 setTxPayloadSize(512) does not', async () => {
    const old = await run('amc015', AMC, { libraries: { ArduinoMqttClient: '0.1.5' } });
    assert.deepEqual(old.t, ['T: connect 1', 'T: wrote 256', 'T: done']);
    assert.ok(
      old.facts.some((f) =>
        /^arduinomqttclient-too-large:publish\tArduinoMqttClient 0\.1\.5: a 300-byte payload is cut to its 256-byte buffer/.test(
          f,
        ),
      ),
    );
    const now = await run('amc018', AMC, { libraries: { ArduinoMqttClient: '0.1.8' } });
    assert.deepEqual(now.t, ['T: connect 1', 'T: wrote 256', 'T: wrote 300', 'T: done']);
    assert.match(log, /Received PUBLISH from amc-test \(d0, q0, r0, m0, 't\/b', \.\.\. \(256 bytes\)\)/);
    assert.match(log, /Received PUBLISH from amc-test \(d0, q0, r0, m0, 't\/b', \.\.\. \(300 bytes\)\)/);
  });
});
