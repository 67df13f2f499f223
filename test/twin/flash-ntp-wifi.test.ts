// What a poster's sketch reads from the board's world on a twin: files from SPIFFS/LittleFS (each core's naming
// rules), the time from NTP (WiFiUDP to port 123, answered from the scenario's clock, or not at all), the board's
// DHCP address and boot timestamps, and certificates loaded from a file (ESP8266 before 3.0: loadCACert).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialCapture } from '../../rig/serial/capture.ts';
import { buildTwin, startTwin, TwinUnsupportedError, type TwinCore, type TwinWorld } from '../../rig/twin/index.ts';
import { startSServer } from '../twin-bearssl/servers.ts';
import { makePki } from './helpers.ts';
import { sharedTwinCache } from '../helpers/twin-cache.ts';

const EPOCH = 1767225600; // 2026-01-01T00:00:00Z

const COMMON = [
  '#include <NTPClient.h>',
  '#include <WiFiUdp.h>',
  'WiFiUDP udp;',
  'NTPClient ntp(udp, "pool.ntp.org", 3600);',
  'void report(const char* what, long v) { Serial.printf("T: %s %ld\\n", what, v); }',
  'void wifiAndTime() {',
  '  report("setup-millis", millis());',
  '  WiFi.begin("ssid", "pass");',
  '  int dots = 0;',
  '  while (WiFi.status() != WL_CONNECTED) { delay(500); dots++; }',
  '  report("dots", dots);',
  '  report("wifi-millis", millis());',
  '  Serial.print("T: ip "); Serial.println(WiFi.localIP());',
  '  ntp.begin();',
  '  bool ok = ntp.update();',
  '  report("ntp-ok", ok);',
  '  report("ntp-epoch", (long)ntp.getEpochTime());',
  '  Serial.printf("T: ntp-time %s\\n", ntp.getFormattedTime().c_str());',
  '}',
  'void done() { Serial.println("T: done"); delay(300); exit(0); }',
].join('\n');

const ESP32_SKETCH = `#include <WiFi.h>
#include <SPIFFS.h>
#include <LittleFS.h>
${COMMON}
void setup() {
  Serial.begin(115200);
  wifiAndTime();
  report("spiffs-begin", SPIFFS.begin());
  report("spiffs-begin-format", SPIFFS.begin(true));
  File f = SPIFFS.open("/ca.crt");
  report("open", (bool)f);
  report("size", f.size());
  Serial.printf("T: first-line %s\\n", f.readStringUntil('\\n').c_str());
  Serial.printf("T: name %s path %s\\n", f.name(), f.path());
  f.close();
  report("no-slash", (bool)SPIFFS.open("ca.crt"));
  File w = SPIFFS.open("/notes.txt", FILE_WRITE);
  w.print("written on the board");
  w.close();
  report("exists", SPIFFS.exists("/notes.txt"));
  report("littlefs-begin", LittleFS.begin());
  Serial.printf("T: littlefs-read %s\\n", LittleFS.open("/notes.txt").readString().c_str());
  File root = SPIFFS.open("/");
  for (File e = root.openNextFile(); e; e = root.openNextFile()) Serial.printf("T: entry %s\\n", e.path());
  report("heap", ESP.getFreeHeap());
  done();
}
void loop() {}
`;

const ESP8266_SKETCH = `#include <ESP8266WiFi.h>
#include <FS.h>
#include <LittleFS.h>
${COMMON}
void setup() {
  Serial.begin(115200);
  wifiAndTime();
  report("spiffs-begin", SPIFFS.begin());
  report("spiffs-slash", (bool)SPIFFS.open("/ca.crt", "r"));
  report("spiffs-no-slash", (bool)SPIFFS.open("ca.crt", "r"));
  report("littlefs-begin", LittleFS.begin());
  report("littlefs-no-slash", (bool)LittleFS.open("ca.crt", "r"));
  Dir dir = LittleFS.openDir("/");
  while (dir.next()) Serial.printf("T: dir %s %u\\n", dir.fileName().c_str(), (unsigned)dir.fileSize());
  FSInfo info;
  LittleFS.info(info);
  report("used", info.usedBytes);
  report("heap", ESP.getFreeHeap());
  done();
}
void loop() {}
`;

describe('twin: flash files, NTP, WiFi', function () {
  this.timeout(300_000);
  let tmp: string;
  let cacheDir: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-flash-ntp-'));
    cacheDir = sharedTwinCache();
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  async function run(
    core: TwinCore,
    coreVersion: string,
    text: string,
    world: Partial<TwinWorld>,
    flash?: Record<string, Buffer>,
  ): Promise<Record<string, string[]>> {
    const dir = path.join(tmp, 'sketches', `t-${core}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `t-${core}.ino`), text);
    const b = await buildTwin({ sketchDir: dir, core, secretsHeader: '', coreVersion, debugLevel: 1, cacheDir });
    const before = readdirSync(os.tmpdir()).filter((n) => n.startsWith('rig-twin-flash-'));
    const twin = await startTwin({
      binary: b.binary,
      world: { coreVersion, debugLevel: 1, ...world },
      workDir: mkdtempSync(path.join(tmp, 'run-')),
      ...(flash ? { flash } : {}),
    });
    const serial = await SerialCapture.open({ path: twin.ptyPath, baudRate: 115200 });
    twin.go();
    await serial.waitFor(/^T: done$/, 30_000);
    await serial.close();
    await twin.kill();
    // The private copy of the flash files is gone with the twin.
    assert.deepEqual(
      readdirSync(os.tmpdir()).filter((n) => n.startsWith('rig-twin-flash-') && !before.includes(n)),
      [],
    );
    const out: Record<string, string[]> = {};
    for (const l of serial.lines()) {
      const m = /^T: (\S+) ?(.*)$/.exec(l);
      if (m) (out[m[1]!] ??= []).push(m[2]!);
    }
    return out;
  }

  const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');

  it('ESP32: SPIFFS/LittleFS over the flash files, NTP from the world clock, DHCP address, boot timestamps', async () => {
    const t = await run(
      'esp32',
      '2.0.17',
      ESP32_SKETCH,
      { epoch: EPOCH, bootMs: 28, wifiConnectMs: 1450, localIP: '192.168.0.61' },
      { '/ca.crt': CA, '/certs/client.crt': Buffer.from('x') },
    );
    // Board time, not waited for: setup() after the core's boot, WiFi 1.45 s later, the sketch's dots printed.
    assert.ok(Number(t['setup-millis']![0]) >= 28, t['setup-millis']!.join());
    assert.ok(Number(t['wifi-millis']![0]) >= 28 + 1450, t['wifi-millis']!.join());
    assert.equal(t.dots![0], '3');
    assert.deepEqual(t.ip, ['192.168.0.61']);
    assert.deepEqual(t['ntp-ok'], ['1']);
    // The world's date (plus uptime) and the sketch's +3600 offset.
    const epoch = Number(t['ntp-epoch']![0]);
    assert.ok(epoch >= EPOCH + 3600 && epoch < EPOCH + 3600 + 60, String(epoch));
    assert.match(t['ntp-time']![0]!, /^01:00:0\d$/);
    assert.deepEqual(t['spiffs-begin'], ['1']);
    assert.deepEqual(t.open, ['1']);
    assert.deepEqual(t.size, [String(CA.length)]);
    assert.deepEqual(t['first-line'], ['-----BEGIN CERTIFICATE-----']);
    assert.deepEqual(t.name, ['ca.crt path /ca.crt']);
    assert.deepEqual(t['no-slash'], ['0']); // the ESP32 VFS wants a leading '/'
    assert.deepEqual(t.exists, ['1']);
    assert.deepEqual(t['littlefs-read'], ['written on the board']);
    assert.deepEqual(t.entry, ['/ca.crt', '/certs/client.crt', '/notes.txt']);
    assert.deepEqual(t.heap, ['245000']);
  });

  it('ESP32 with no file system uploaded: begin() fails, begin(true) formats it', async () => {
    const t = await run('esp32', '2.0.17', ESP32_SKETCH, { ntp: false });
    assert.deepEqual(t['spiffs-begin'], ['0']);
    assert.deepEqual(t['spiffs-begin-format'], ['1']);
    assert.deepEqual(t.open, ['0']);
    // No NTP answer: NTPClient gives up and counts from boot; no world WiFi time: connected at once.
    assert.deepEqual(t['ntp-ok'], ['0']);
    assert.ok(Number(t['ntp-epoch']![0]) < 3600 + 60);
    assert.deepEqual(t.dots, ['0']);
  });

  it('ESP8266: SPIFFS takes names as written, LittleFS adds the slash; Dir and FSInfo; NTP silenced', async () => {
    const t = await run(
      'esp8266',
      '3.1.2',
      ESP8266_SKETCH,
      { ntp: false, bootMs: 63, wifiConnectMs: 3200, localIP: '192.168.1.51' },
      { '/ca.crt': CA, '/data.json': Buffer.from('{"a":1}') },
    );
    assert.equal(t.dots![0], '7');
    assert.deepEqual(t.ip, ['192.168.1.51']);
    assert.deepEqual(t['ntp-ok'], ['0']);
    assert.deepEqual(t['spiffs-begin'], ['1']);
    assert.deepEqual(t['spiffs-slash'], ['1']);
    assert.deepEqual(t['spiffs-no-slash'], ['0']);
    assert.deepEqual(t['littlefs-no-slash'], ['1']);
    assert.deepEqual(t.dir, [`/ca.crt ${CA.length}`, '/data.json 7']);
    assert.deepEqual(t.used, [String(CA.length + 7)]);
    assert.deepEqual(t.heap, ['41264']);
  });

  it('ESP8266 core 2.7.4: loadCACert() from a file takes PEM and DER; core 3.x has no loadCACert', async () => {
    const pki = makePki(path.join(tmp, 'pki'));
    const leaf = pki.leaf('localhost');
    const server = await startSServer(leaf.crt, leaf.key, ['-www']);
    try {
      const der = Buffer.from(new (await import('node:crypto')).X509Certificate(readFileSync(pki.caCrt)).raw);
      const sketch = `#include <ESP8266WiFi.h>
#include <FS.h>
BearSSL::WiFiClientSecure net;
void attempt(const char* file) {
  File f = SPIFFS.open(file, "r");
  bool loaded = net.loadCACert(f, f.size());
  net.setX509Time(${Math.floor(Date.now() / 1000)});
  int ok = net.connect("localhost", ${server.port});
  Serial.printf("T: %s loaded=%d connect=%d err=%d\\n", file + 1, loaded, ok, net.getLastSSLError());
  net.stop();
}
void setup() {
  Serial.begin(115200);
  WiFi.begin("s", "p");
  SPIFFS.begin();
  attempt("/ca.pem");
  attempt("/ca.der");
  attempt("/leaf.pem");
  attempt("/other.pem");
  Serial.println("T: done"); delay(300); exit(0);
}
void loop() {}
`;
      const t = await run(
        'esp8266',
        '2.7.4',
        sketch,
        { hosts: { localhost: '127.0.0.1' } },
        {
          '/ca.pem': readFileSync(pki.caCrt),
          '/ca.der': der,
          '/leaf.pem': readFileSync(leaf.crt),
          '/other.pem': readFileSync(makePki(path.join(tmp, 'pki-other')).caCrt),
        },
      );
      assert.deepEqual(t['ca.pem'], ['loaded=1 connect=1 err=0']);
      assert.deepEqual(t['ca.der'], ['loaded=1 connect=1 err=0']);
      // The server's own (non-CA) certificate becomes a direct-trust anchor for its key, as X509List makes it.
      assert.deepEqual(t['leaf.pem'], ['loaded=1 connect=1 err=0']);
      assert.deepEqual(t['other.pem'], ['loaded=1 connect=0 err=62']);
      await assert.rejects(
        buildTwin({
          sketchDir: path.join(tmp, 'sketches', 't-esp8266'),
          core: 'esp8266',
          secretsHeader: '',
          coreVersion: '3.1.2',
          debugLevel: 1,
          cacheDir,
        }),
        (e: unknown) => {
          assert.ok(e instanceof TwinUnsupportedError, String(e));
          assert.match(e.message, /the twin's BearSSL::WiFiClientSecure has no loadCACert\(\)/);
          return true;
        },
      );
    } finally {
      await server.stop();
    }
  });
});
