// Twin build pipeline (preprocessing, caching, typed errors) and the board-neutral libraries.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { buildTwin, bootTwin, TwinBuildError } from '../../rig/twin/index.ts';
import { cString, secretsHeader } from '../../rig/target/secrets.ts';
import { findFunctionDefinitions, generateSketchUnit } from '../../rig/twin/sketch.ts';
import { freePort } from './helpers.ts';
import { sharedTwinCache } from '../helpers/twin-cache.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/pubsub-behaviour/', import.meta.url));

describe('twin: sketch preprocessing', () => {
  it('declares top-level functions used before their definition, skipping ones already declared', () => {
    const src = [
      '#include <WiFi.h>',
      'const char* ca = R"EOF(',
      'void notAFunction() {',
      ')EOF";',
      'struct Point { int x; int y; };',
      'void declared(int a);',
      'void setup() { client.setCallback(callback); reconnect(); }',
      '// void commented() {}',
      'void callback(char* topic, byte* payload, unsigned int length) {',
      '  if (x) { }',
      '}',
      'static Point* where(const Point& p,',
      '                   int n) { return nullptr; }',
      'void declared(int a) {}',
      'void loop() {}',
    ].join('\n');
    const defs = findFunctionDefinitions(src);
    assert.deepEqual(
      defs.map((d) => d.name),
      ['setup', 'callback', 'where', 'declared', 'loop'],
    );
    const unit = generateSketchUnit([{ rel: 'a.ino', abs: '/s/a/a.ino', text: src }]);
    assert.match(unit, /^#include <Arduino.h>\n#line 1 "\/s\/a\/a.ino"\n/);
    assert.match(unit, /void callback\(char\* topic, byte\* payload, unsigned int length\);\n/);
    assert.match(unit, /static Point\* where\(const Point& p, int n\);\n/);
    assert.equal(unit.split('void declared(int a);').length - 1, 1); // only the user's own declaration
    assert.doesNotMatch(unit, /notAFunction\(\);/);
    // Prototypes sit after the struct (types first) and before setup, then #line resyncs.
    assert.ok(unit.indexOf('void callback(char* topic') > unit.indexOf('struct Point'));
    assert.match(unit, /void loop\(\);\n#line 7 "\/s\/a\/a.ino"\nvoid setup\(\)/);
  });
});

describe('twin: build errors and libraries', function () {
  this.timeout(240_000);
  let tmp: string;
  let cacheDir: string;

  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-twin-build-'));
    chmodSync(tmp, 0o755);
    cacheDir = sharedTwinCache();
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  function sketch(name: string, text: string): string {
    const dir = path.join(tmp, 'sketches', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${name}.ino`), text);
    return dir;
  }

  it("a compile error is a TwinBuildError naming the user's .ino line", async () => {
    const dir = sketch('broken', 'void setup() {\n  Serial.begin(115200);\n  undefinedThing(3);\n}\nvoid loop() {}\n');
    await assert.rejects(
      buildTwin({ sketchDir: dir, core: 'esp32', secretsHeader: '', coreVersion: '2.0.17', debugLevel: 1, cacheDir }),
      (e: unknown) => {
        assert.ok(e instanceof TwinBuildError);
        assert.equal(e.kind, 'compile');
        assert.ok(
          e.firstErrors.some((l) => l.includes(`${path.join(dir, 'broken.ino')}:3:`) && /undefinedThing/.test(l)),
          e.firstErrors.join('\n'),
        );
        return true;
      },
    );
  });

  it('WiFiSSLClient on MKR1000 builds: the WINC1500 firmware TLS is modelled (boards/twin/modules)', async () => {
    const dir = sketch('mkrssl', '#include <WiFi101.h>\nWiFiSSLClient net;\nvoid setup() {}\nvoid loop() {}\n');
    const built = await buildTwin({
      sketchDir: dir,
      core: 'mkr1000',
      secretsHeader: '',
      coreVersion: '1.8.13',
      debugLevel: 0,
      cacheDir,
    });
    assert.ok(built.binary);
  });

  it('two concurrent builds of one key both succeed with one intact binary; serial input reaches the sketch', async () => {
    const dir = sketch(
      'echoin',
      [
        'void setup() { Serial.begin(115200); Serial.println("ready"); }',
        'void loop() {',
        '  if (Serial.available()) { String l = Serial.readStringUntil(\'\\n\'); Serial.print("got "); Serial.println(l); }',
        '}',
        '',
      ].join('\n'),
    );
    const opts = {
      sketchDir: dir,
      core: 'esp32' as const,
      secretsHeader: '// v1\n',
      coreVersion: '2.0.17',
      debugLevel: 1,
      cacheDir,
    };
    const [a, b] = await Promise.all([buildTwin(opts), buildTwin(opts)]);
    assert.equal(a.binary, b.binary);
    const { process: twin, serial } = await bootTwin({
      binary: a.binary,
      world: { coreVersion: '2.0.17', debugLevel: 1 },
      workDir: path.join(tmp, 'echo-run'),
    });
    await serial.waitFor(/^ready$/, 10_000);
    await serial.write('hello twin\n');
    await serial.waitFor(/^got hello twin$/, 10_000);
    await serial.close();
    await twin.kill();
    assert.deepEqual(await twin.exited, { code: 0, signal: null });
  });

  it('a missing <name>.ino is reported with the arduino-cli layout rule', async () => {
    const dir = path.join(tmp, 'sketches', 'empty');
    mkdirSync(dir, { recursive: true });
    await assert.rejects(
      buildTwin({ sketchDir: dir, core: 'esp32', secretsHeader: '', coreVersion: '2.0.17', debugLevel: 1, cacheDir }),
      /empty\.ino not found/,
    );
  });

  it('the secrets header quotes PEM text line by line and leaves absent certificates undefined', () => {
    const h = secretsHeader({
      broker: 'home',
      port: 8883,
      clientId: 'c"1',
      topic: 't',
      caCertPem: '-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n',
    });
    assert.match(h, /#define SECRET_CLIENT_ID "c\\"1"/);
    assert.match(
      h,
      /#define SECRET_CA_CERT \\\n {2}"-----BEGIN CERTIFICATE-----\\n" \\\n {2}"AAA\\n" \\\n {2}"-----END CERTIFICATE-----\\n"\n/,
    );
    assert.doesNotMatch(h, /SECRET_CLIENT_CERT/);
    assert.match(h, /#define SECRET_INSECURE 0/);
    // One line ending in a newline stays one C literal; "??" cannot form a trigraph.
    assert.equal(cString('pass??word\n'), '"pass?\\?word\\n"');
  });

  it('PubSubClient: state codes, buffer limit on publish, keep-alive ping, disconnect', async () => {
    const open = await freePort();
    const auth = await freePort();
    const closed = await freePort();
    // Two plain brokers: one open, one refusing anonymous clients (CONNACK 5).
    const conf = path.join(tmp, 'plain.conf');
    const conf2 = path.join(tmp, 'auth.conf');
    writeFileSync(conf2, [`listener ${auth} 127.0.0.1`, 'allow_anonymous false', 'log_dest stderr', ''].join('\n'));
    writeFileSync(
      conf,
      [`listener ${open} 127.0.0.1`, 'allow_anonymous true', 'log_dest stderr', 'log_type all', ''].join('\n'),
    );
    chmodSync(conf, 0o644);
    chmodSync(conf2, 0o644);
    const brokers = [
      spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] }),
      spawn('mosquitto', ['-c', conf2], { stdio: ['ignore', 'ignore', 'pipe'] }),
    ];
    let log = '';
    brokers[0].stderr!.setEncoding('utf8').on('data', (d: string) => {
      log += d;
    });
    try {
      await new Promise((r) => setTimeout(r, 500));
      const header = `#define SECRET_PORT ${open}\n#define SECRET_AUTH_PORT ${auth}\n#define SECRET_CLOSED_PORT ${closed}\n`;
      const b = await buildTwin({
        sketchDir: FIXTURE,
        core: 'esp32',
        secretsHeader: header,
        coreVersion: '2.0.17',
        debugLevel: 1,
        cacheDir,
      });
      const { process: twin, serial } = await bootTwin({
        binary: b.binary,
        world: { coreVersion: '2.0.17', debugLevel: 1, ntp: false },
        workDir: path.join(tmp, 'pubsub-run'),
      });
      await serial.waitFor(/^T: done$/, 30_000);
      const t = serial.lines().filter((l) => l.startsWith('T: '));
      await serial.close();
      await twin.kill();
      assert.deepEqual(t, [
        'T: closed-port ok=0 state=-2',
        'T: refused ok=0 state=5',
        'T: connect ok=1 state=0',
        'T: publish-fits ok=1 state=0',
        'T: publish-too-big ok=0 state=0',
        'T: buffer=256',
        'T: grow ok=1 state=0',
        'T: publish-after-grow ok=1 state=0',
        'T: after-keepalive ok=1 state=0',
        'T: disconnected ok=0 state=-1',
        'T: done',
      ]);
      assert.match(log, /Received PINGREQ from pubsub-t3/);
      assert.equal((log.match(/Received PUBLISH from pubsub-t3/g) ?? []).length, 2);
    } finally {
      for (const br of brokers) br.kill('SIGTERM');
    }
  });

  it('ArduinoJson / OneWire / DallasTemperature shims: the seed-001 document, pretty and compact', async () => {
    const dir = sketch(
      'jsonshim',
      [
        '#include <ArduinoJson.h>',
        '#include <OneWire.h>',
        '#include <DallasTemperature.h>',
        'OneWire oneWire(2);',
        'DallasTemperature sensors(&oneWire);',
        'char msg[100];',
        'void setup() {',
        '  Serial.begin(115200); sensors.begin(); sensors.requestTemperatures();',
        '  StaticJsonDocument<400> doc; long long int Node_ID = 44;',
        '  doc["ID"] = Node_ID; doc["RN"] = 1; doc["Temp"] = sensors.getTempCByIndex(0);',
        '  serializeJsonPretty(doc, msg); Serial.println(msg);',
        '  DynamicJsonDocument in(200); DeserializationError e = deserializeJson(in, "{\\"cmd\\":\\"on\\",\\"v\\":[1,2]}");',
        '  Serial.printf("J: %s %s %d\\n", e.c_str(), in["cmd"].as<const char*>(), in["v"][1].as<int>());',
        '  serializeJson(doc, Serial); Serial.println(); Serial.println("J: done");',
        '}',
        'void loop() { delay(100); }',
        '',
      ].join('\n'),
    );
    const b = await buildTwin({
      sketchDir: dir,
      core: 'esp32',
      secretsHeader: '',
      coreVersion: '2.0.17',
      debugLevel: 1,
      cacheDir,
    });
    const { process: twin, serial } = await bootTwin({
      binary: b.binary,
      world: { coreVersion: '2.0.17', debugLevel: 1 },
      workDir: path.join(tmp, 'json-run'),
    });
    await serial.waitFor(/^J: done$/, 10_000);
    const lines = serial.lines();
    await serial.close();
    await twin.kill();
    const start = lines.indexOf('{');
    assert.deepEqual(lines.slice(start, start + 5), ['{', '  "ID": 44,', '  "RN": 1,', '  "Temp": 21.5', '}']);
    assert.ok(lines.includes('J: Ok on 2'));
    assert.ok(lines.includes('{"ID":44,"RN":1,"Temp":21.5}'));
  });
});
