// The poster's own libraries on a twin: an arduino-cli libraries folder (test/fixtures/user-libraries: the 1.5 and
// legacy layouts, a user's copy of PubSubClient and of the board's WiFi), sketch.yaml build profiles, and what the
// twin cannot build as a typed TwinUnsupportedError naming the header.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadBoard } from '../../rig/boards/load.ts';
import { projectPaths } from '../../rig/project.ts';
import { SerialCapture } from '../../rig/serial/capture.ts';
import {
  buildTwin,
  profileBuildOptions,
  startTwin,
  TwinBuildError,
  TwinMissingApiError,
  TwinUnsupportedError,
} from '../../rig/twin/index.ts';
import { includesOf, resolveLibraries, scanLibrariesDir } from '../../rig/twin/libraries.ts';
import { libraryVersions, loadLibraryTable } from '../../rig/twin/library-table.ts';
import { sharedTwinCache } from '../helpers/twin-cache.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const LIBS = path.join(FIXTURES, 'user-libraries');

describe('twin: the user’s own Arduino libraries', function () {
  this.timeout(300_000);
  let tmp: string;
  let cacheDir: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-user-libs-'));
    cacheDir = sharedTwinCache();
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('reads a libraries folder: 1.5 layout (src/, recursive, examples/ left out) and the legacy flat layout', async () => {
    const libs = await scanLibrariesDir(LIBS);
    const by = Object.fromEntries(libs.map((l) => [l.name, l]));
    assert.deepEqual(Object.keys(by).sort(), ['AvrOnly', 'LegacyChecksum', 'PubSubClient', 'SensorFormat', 'WiFi']);
    assert.equal(by.SensorFormat!.layout, '1.5');
    assert.equal(by.SensorFormat!.version, '1.2.0');
    assert.deepEqual(
      by.SensorFormat!.files.map((f) => path.relative(LIBS, f)),
      ['SensorFormat/src/internal/round.h', 'SensorFormat/src/SensorFormat.cpp', 'SensorFormat/src/SensorFormat.h'],
    );
    assert.equal(by.LegacyChecksum!.layout, 'legacy');
    assert.equal(by.LegacyChecksum!.version, undefined);
    assert.deepEqual(
      by.LegacyChecksum!.sources.map((f) => path.relative(LIBS, f)),
      ['LegacyChecksum/LegacyChecksum.cpp', 'LegacyChecksum/utility/crc8.cpp'],
    );
    assert.deepEqual(includesOf('#include <A.h>\n// #include <B.h>\n/* #include "C.h" */\n  #  include "D.h"\n'), [
      'A.h',
      'D.h',
    ]);
  });

  it("resolves what the sketch includes; the twin's own PubSubClient and WiFi take the place of the user's copies", async () => {
    const libs = await scanLibrariesDir(LIBS);
    const twinHeaders = new Set(['WiFi.h', 'WiFiClientSecure.h', 'PubSubClient.h', 'Arduino.h']);
    const r = await resolveLibraries(
      [
        {
          rel: 's.ino',
          text: '#include <WiFi.h>\n#include <PubSubClient.h>\n#include <LegacyChecksum.h>\n#include <SensorFormat.h>\n',
        },
      ],
      libs,
      twinHeaders,
    );
    assert.deepEqual(
      r.used.map((l) => l.name),
      ['LegacyChecksum', 'SensorFormat'],
    );
    assert.deepEqual(r.replaced.map((l) => l.name).sort(), ['PubSubClient', 'WiFi']);
  });

  it('a library that only builds on an AVR is unsupported on the twin, naming the header it lacks', async () => {
    await assert.rejects(
      buildTwin({
        sketchDir: path.join(FIXTURES, 'sketches', 'avr-library-sketch'),
        core: 'esp32',
        secretsHeader: '',
        coreVersion: '2.0.17',
        debugLevel: 1,
        cacheDir,
        librariesDirs: [LIBS],
      }),
      (e: unknown) => {
        assert.ok(e instanceof TwinUnsupportedError, String(e));
        assert.equal(e.feature, 'avr/io.h');
        assert.match(e.message, /AvrOnly\/src\/AvrOnly\.cpp:1: the twin has no avr\/io\.h/);
        return true;
      },
    );
  });

  it('without the folder, the missing header is unsupported too; a typo in the sketch stays a compile error', async () => {
    const dir = path.join(tmp, 'sketches', 'nolib');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'nolib.ino'), '#include <SensorFormat.h>\nvoid setup() {}\nvoid loop() {}\n');
    const base = { core: 'esp32' as const, secretsHeader: '', coreVersion: '2.0.17', debugLevel: 1, cacheDir };
    await assert.rejects(buildTwin({ ...base, sketchDir: dir }), (e: unknown) => {
      assert.ok(e instanceof TwinUnsupportedError);
      assert.match(e.message, /nolib\.ino:1: the twin has no SensorFormat\.h; give the library that provides it/);
      return true;
    });
    const typo = path.join(tmp, 'sketches', 'typo');
    mkdirSync(typo, { recursive: true });
    writeFileSync(path.join(typo, 'typo.ino'), 'void setup() { Serial.beginn(115200); }\nvoid loop() {}\n');
    await assert.rejects(buildTwin({ ...base, sketchDir: typo }), (e: unknown) => {
      // The compiler calls it a typo ("did you mean 'begin'?"): the sketch's error, not the twin's.
      assert.ok(e instanceof TwinBuildError && !(e instanceof TwinUnsupportedError), String(e));
      assert.match(e.message, /typo\.ino:1:.*beginn/);
      return true;
    });
    const gap = path.join(tmp, 'sketches', 'gap');
    mkdirSync(gap, { recursive: true });
    writeFileSync(
      path.join(gap, 'gap.ino'),
      '#include <WiFi.h>\nvoid setup() { int n = WiFi.scanNetworks(); (void)n; }\nvoid loop() {}\n',
    );
    await assert.rejects(buildTwin({ ...base, sketchDir: gap }), (e: unknown) => {
      assert.ok(e instanceof TwinUnsupportedError, String(e));
      assert.match(e.message, /gap\.ino:2: the twin's WiFiClass has no scanNetworks\(\)/);
      return true;
    });
    const own = path.join(tmp, 'sketches', 'own');
    mkdirSync(own, { recursive: true });
    writeFileSync(path.join(own, 'own.ino'), 'void setup() { undefinedHelper(); }\nvoid loop() {}\n');
    await assert.rejects(buildTwin({ ...base, sketchDir: own }), (e: unknown) => {
      assert.ok(e instanceof TwinBuildError && !(e instanceof TwinUnsupportedError));
      return true;
    });
  });

  it("sketch.yaml: the board's profile pins a library, adds a dir: library and sets the debug level", async () => {
    const dir = path.join(tmp, 'sketches', 'withprofile');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'withprofile.ino'),
      [
        '#include <PubSubClient.h>',
        '#include <SensorFormat.h>',
        'void setup() {',
        '  Serial.begin(115200);',
        '  Serial.println(SensorFormat("n1").line(21.54f, 40.0f));',
        '  Serial.printf("size %d level %d\\n", MQTT_MAX_PACKET_SIZE, CORE_DEBUG_LEVEL);',
        '  delay(300); exit(0);',
        '}',
        'void loop() {}',
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(dir, 'sketch.yaml'),
      [
        'profiles:',
        '  uno:',
        '    fqbn: arduino:avr:uno',
        '    libraries: [PubSubClient (2.8)]',
        '  devkit:',
        '    fqbn: esp32:esp32:esp32:DebugLevel=verbose',
        '    platforms: [{ platform: esp32:esp32 (2.0.17) }]',
        '    libraries:',
        '      - PubSubClient (2.6)',
        `      - dir: ${path.relative(dir, path.join(LIBS, 'SensorFormat'))}`,
        'default_profile: uno',
        '',
      ].join('\n'),
    );
    const profile = await loadBoard(path.join(projectPaths().boards, 'esp32.yaml'));
    const b = await buildTwin({
      ...profileBuildOptions(profile.twin!, profile.hardware),
      sketchDir: dir,
      secretsHeader: '',
      coreVersion: '2.0.17',
      cacheDir,
    });
    assert.equal(b.debugLevel, 5);
    assert.match(b.log, /plan: sketch\.yaml profile devkit/);
    assert.match(b.log, /plan: PubSubClient 2\.6 \(.*sketch\.yaml\)/);
    assert.match(b.log, /plan: library SensorFormat 1\.2\.0 from .*SensorFormat/);
    const twin = await startTwin({
      binary: b.binary,
      world: { coreVersion: '2.0.17', debugLevel: b.debugLevel },
      workDir: path.join(tmp, 'run-profile'),
    });
    const serial = await SerialCapture.open({ path: twin.ptyPath, baudRate: 115200 });
    twin.go();
    await serial.waitFor(/^size /, 10_000);
    await serial.close();
    await twin.kill();
    // PubSubClient 2.6's 128 bytes; the sketch sees the Core Debug Level its FQBN option chose.
    assert.deepEqual(serial.lines().slice(-2), ['dev=n1 t=21.5 h=40.0', 'size 128 level 5']);
    // A scenario pin wins over the sketch's profile.
    const pinned = await buildTwin({
      ...profileBuildOptions(profile.twin!, profile.hardware),
      sketchDir: dir,
      secretsHeader: '',
      coreVersion: '2.0.17',
      cacheDir,
      libraries: { PubSubClient: '2.8' },
      fqbnOptions: { DebugLevel: 'warn' },
    });
    assert.equal(pinned.debugLevel, 2);
    assert.match(pinned.log, /plan: PubSubClient 2\.8 \(the scenario\)/);
  });

  it('library versions: the first pin wins, a version the twin does not imitate is a problem naming who pinned it', async () => {
    const table = await loadLibraryTable();
    const v = libraryVersions(table, [
      { from: 'the scenario', pins: {} },
      { from: 'x/library.properties', pins: { PubSubClient: '2.6', ArduinoMqttClient: '0.1.5' } },
      { from: 'the board profile', pins: { PubSubClient: '2.8' } },
    ]);
    assert.deepEqual(v.versions.PubSubClient, { version: '2.6', from: 'x/library.properties' });
    assert.ok(v.defines.includes('TWIN_PUBSUBCLIENT_VERSION=20600'));
    assert.ok(v.defines.includes('TWIN_ARDUINOMQTTCLIENT_VERSION=105'));
    assert.deepEqual(v.problems, []);
    const bad = libraryVersions(table, [{ from: 'old/library.properties', pins: { PubSubClient: '2.5' } }]);
    assert.deepEqual(bad.problems, [
      'the twin imitates PubSubClient 2.6, 2.7, 2.8, not 2.5 (pinned by old/library.properties)',
    ]);
  });

  it("a pin of a library the family's version table has rows for picks its row (scenario over profile)", async () => {
    const dir = path.join(tmp, 'sketches', 'bearssl');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'bearssl.ino'),
      '#include <WiFi101.h>\n#include <ArduinoBearSSL.h>\nWiFiClient wifi;\nBearSSLClient ssl(wifi);\n' +
        'void setup() { ssl.setKey("k", "c"); }\nvoid loop() {}\n',
    );
    const mkr = await loadBoard(path.join(projectPaths().boards, 'mkr1000.yaml'));
    const base = {
      ...profileBuildOptions(mkr.twin!, mkr.hardware),
      sketchDir: dir,
      secretsHeader: '',
      coreVersion: '1.8.14',
      cacheDir,
    };
    // The profile's ArduinoBearSSL 1.7.7 has setKey(); the scenario's 1.6.0 does not, as on the board.
    await buildTwin(base);
    await assert.rejects(buildTwin({ ...base, libraries: { ArduinoBearSSL: '1.6.0' } }), (e: unknown) => {
      assert.ok(e instanceof TwinMissingApiError, String(e));
      assert.equal(e.release, 'ArduinoBearSSL 1.6.0');
      return true;
    });
    await assert.rejects(buildTwin({ ...base, libraries: { ArduinoBearSSL: '1.9.9' } }), (e: unknown) => {
      assert.ok(e instanceof TwinUnsupportedError, String(e));
      assert.match(e.message, /the mkr1000 twin imitates no ArduinoBearSSL 1\.9\.9; .*\(pinned by the scenario\)/);
      return true;
    });
  });
});
