// The scenario fields for the poster's own build: board options (build.<board>.fqbnOptions, defines), library pins,
// flash files and the board's WiFi; checked with file:line:column, merged per variant, filled per cell.
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadBoards } from '../../rig/boards/load.ts';
import { menuEffects, parseFqbn, profileOptions, withOptions } from '../../rig/boards/fqbn.ts';
import { FormatError } from '../../rig/errors.ts';
import { buildPki } from '../../rig/pki/index.ts';
import { projectPaths } from '../../rig/project.ts';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { resolveVariant } from '../../rig/scenario/resolve.ts';
import { flashFiles } from '../../rig/target/flash-files.ts';
import { defineProperties, fqbnFor } from '../../rig/hardware/build.ts';
import { loadRunnableScenarios } from '../../rig/runner/validate.ts';
import { lanAddress } from '../../rig/target/twin.ts';

const BASE = `version: 1
id: build-demo
pki:
  ca: { subject: { CN: CA } }
  server: { subject: { CN: broker } }
  client: { subject: { CN: dev } }
broker:
  listeners: [{ port: 8883, tls: {} }]
boards: [esp32, esp8266]
build:
  "*": { defines: [MQTT_MAX_PACKET_SIZE=512] }
  esp32: { fqbnOptions: { DebugLevel: info } }
libraries: { PubSubClient: "2.7" }
files:
  /ca.crt: "{{pki.ca.crt}}"
  /certs/client.der: "{{pki.client.der}}"
variants:
  default: {}
  verbose:
    build: { esp32: { fqbnOptions: { DebugLevel: verbose }, defines: [EXTRA=1] } }
    libraries: { PubSubClient: 2.8 }
    files: { /ca.crt: null, /host.txt: "broker at {{broker.ip}}" }
    wifi: { ip: 10.0.0.7, connectMs: 100 }
expect:
  default: { esp32: { kind: connected } }
`;

function problems(text: string): string[] {
  try {
    parseScenarioText(text, 'x.yaml');
  } catch (e) {
    if (e instanceof FormatError) return e.problems.map((p) => `${p.line}:${p.column}: ${p.field}: ${p.message}`);
    throw e;
  }
  return [];
}

function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split('\n').length;
}

describe('scenario: build options, library pins, flash files', () => {
  it('parses and merges per variant: options by key, defines added, pins and files overridden, null removes', () => {
    const s = parseScenarioText(BASE, 'x.yaml');
    const base = resolveVariant(s, 'default', { 'broker.ip': '127.0.0.1' });
    assert.deepEqual(base.buildFor('esp32'), {
      fqbnOptions: { DebugLevel: 'info' },
      defines: ['MQTT_MAX_PACKET_SIZE=512'],
    });
    assert.deepEqual(base.buildFor('esp8266'), { fqbnOptions: {}, defines: ['MQTT_MAX_PACKET_SIZE=512'] });
    assert.deepEqual(base.libraries, { PubSubClient: '2.7' });
    assert.deepEqual(Object.keys(base.files), ['/ca.crt', '/certs/client.der']);
    const v = resolveVariant(s, 'verbose', { 'broker.ip': '127.0.0.1' });
    assert.deepEqual(v.buildFor('esp32'), {
      fqbnOptions: { DebugLevel: 'verbose' },
      defines: ['MQTT_MAX_PACKET_SIZE=512', 'EXTRA=1'],
    });
    // An unquoted 2.8 is a YAML number: it is read as the version "2.8".
    assert.deepEqual(v.libraries, { PubSubClient: '2.8' });
    assert.deepEqual(Object.keys(v.files).sort(), ['/certs/client.der', '/host.txt']);
    assert.deepEqual(v.client.wifi, { ip: '10.0.0.7', connectMs: 100 });
  });

  it('rejects a build key that is no board, unknown placeholders, DER inside text and bad paths, with positions', () => {
    const text = BASE.replace(
      '  esp32: { fqbnOptions: { DebugLevel: info } }',
      '  esp23: { fqbnOptions: { DebugLevel: info } }',
    ).replace(
      '/certs/client.der: "{{pki.client.der}}"',
      '/certs/client.der: "x {{pki.client.der}}"\n  /a.txt: "{{pki.nope.crt}} {{secret}}"',
    );
    const got = problems(text);
    assert.ok(
      got.some(
        (p) => p.startsWith(`${lineOf(text, 'esp23:')}:`) && /build\.esp23: board "esp23" is not in boards/.test(p),
      ),
      got.join('\n'),
    );
    assert.ok(
      got.some((p) => /files\.\/certs\/client\.der: .*binary DER: it must be the whole content/.test(p)),
      got.join('\n'),
    );
    assert.ok(
      got.some((p) => /files\.\/a\.txt: \{\{pki\.nope\.crt\}\}: no certificate named "nope"/.test(p)),
      got.join('\n'),
    );
    assert.ok(
      got.some((p) => /files\.\/a\.txt: unknown placeholder \{\{secret\}\}/.test(p)),
      got.join('\n'),
    );
    // A flash path is checked by the schema itself (nothing else is checked until the file parses).
    const bad = problems(BASE.replace('  /ca.crt: "{{pki.ca.crt}}"', '  /../etc/passwd: "x"'));
    assert.deepEqual(bad, [`15:3: files./../etc/passwd: key "/../etc/passwd": no "." or ".." segments`]);
  });

  it('checks FQBN menus and library versions against the profiles and the twin table, at their lines', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-build-fields-'));
    try {
      const text = BASE.replace('DebugLevel: info', 'DebugLevel: loud')
        .replace(
          'libraries: { PubSubClient: "2.7" }',
          'libraries: { PubSubClient: "2.5", esp-mqtt: "1.0", MyOwnLib: "3.0" }',
        )
        .replace('"*": { defines: [MQTT_MAX_PACKET_SIZE=512] }', '"*": { fqbnOptions: { lvl: SSL } }');
      const file = path.join(tmp, 'x.yaml');
      writeFileSync(file, text);
      const boards = await loadBoards(projectPaths().boards);
      const err = await loadRunnableScenarios([file], boards).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof FormatError);
      const got = err.problems.map((p) => `${p.line}: ${p.field}: ${p.message}`);
      const at = (needle: string): number => lineOf(text, needle);
      assert.ok(
        got.includes(
          `${at('DebugLevel: loud')}: build.esp32.fqbnOptions: the esp32 menu DebugLevel has no value "loud" (have: none, error, warn, info, debug, verbose)`,
        ),
        got.join('\n'),
      );
      // "*" reaches both boards: the ESP32 twin does not know the ESP8266's lvl menu.
      assert.ok(
        got.some((g) =>
          g.startsWith(`${at('"*"')}: build.*.fqbnOptions: the esp32 twin does not know the FQBN menu "lvl"`),
        ),
        got.join('\n'),
      );
      assert.ok(
        got.includes(
          `${at('PubSubClient: "2.5"')}: libraries.PubSubClient: the twin imitates PubSubClient 2.6, 2.7, 2.8, not 2.5`,
        ),
        got.join('\n'),
      );
      assert.ok(
        got.some((g) => /libraries\.esp-mqtt: esp-mqtt is part of the ESP32 core's ESP-IDF/.test(g)),
        got.join('\n'),
      );
      // A library the twin does not have is the user's business (their libraries folder), not an error.
      assert.ok(!got.some((g) => g.includes('MyOwnLib')), got.join('\n'));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('FQBN options: parsed, merged in order, and mapped through the profile menus (DebugLevel, dbg/lvl)', async () => {
    const boards = await loadBoards(projectPaths().boards);
    const esp32 = boards.get('esp32')!;
    const esp8266 = boards.get('esp8266')!;
    assert.deepEqual(parseFqbn('esp8266:esp8266:nodemcuv2:dbg=Serial,lvl=SSL'), {
      base: 'esp8266:esp8266:nodemcuv2',
      options: { dbg: 'Serial', lvl: 'SSL' },
    });
    assert.equal(withOptions(esp32.hardware!.fqbn, { DebugLevel: 'verbose' }), 'esp32:esp32:esp32:DebugLevel=verbose');
    assert.equal(withOptions('a:b:c', {}), 'a:b:c');
    assert.deepEqual(menuEffects(esp32.twin!, profileOptions(esp32), 'esp32'), { debugLevel: 1, defines: [] });
    assert.deepEqual(menuEffects(esp32.twin!, { DebugLevel: 'info', PSRAM: 'enabled' }, 'esp32'), {
      debugLevel: 3,
      defines: [],
    });
    assert.deepEqual(menuEffects(esp8266.twin!, { dbg: 'Serial', lvl: 'SSLTLS_MEM' }, 'esp8266'), {
      debugLevel: 1,
      defines: ['DEBUG_ESP_PORT=Serial', 'DEBUG_ESP_SSL', 'DEBUG_ESP_TLS_MEM'],
    });
    // Hardware gets the same options in its FQBN and the defines through the platform's extra_flags hooks.
    assert.equal(
      fqbnFor(esp8266.hardware!, 'ssl-debug', { lvl: 'SSLTLS_MEM', eesz: '4M2M' }),
      'esp8266:esp8266:nodemcuv2:dbg=Serial,lvl=SSLTLS_MEM,eesz=4M2M',
    );
    assert.deepEqual(defineProperties(['MQTT_MAX_PACKET_SIZE=512', 'X']), [
      '--build-property',
      'compiler.c.extra_flags=-DMQTT_MAX_PACKET_SIZE=512 -DX',
      '--build-property',
      'compiler.cpp.extra_flags=-DMQTT_MAX_PACKET_SIZE=512 -DX',
    ]);
    assert.deepEqual(defineProperties([]), []);
    // Every option a profile itself uses (its FQBN and named variants) is one its twin knows.
    for (const b of boards.values()) {
      if (!b.twin || !b.hardware) continue;
      const variants = Object.values(b.hardware.fqbnVariants).map((v) => parseFqbn(`a:b:c:${v}`).options);
      for (const o of [profileOptions(b), ...variants]) menuEffects(b.twin, o, b.id);
    }
  });

  it("the board's DHCP address defaults to the broker's LAN when the sketch connects to a private address", () => {
    assert.equal(lanAddress('192.168.0.52', '192.168.1.50'), '192.168.0.50');
    assert.equal(lanAddress('10.1.2.3', '192.168.1.51'), '10.1.2.51');
    assert.equal(lanAddress('172.20.0.50', '192.168.1.50'), '172.20.0.52'); // never the broker's own address
    assert.equal(lanAddress('127.0.0.1', '192.168.1.50'), '192.168.1.50');
    assert.equal(lanAddress('broker.example.test', '192.168.1.50'), '192.168.1.50');
    assert.equal(lanAddress('8.8.8.8', '192.168.1.50'), '192.168.1.50');
  });

  it('flash files: PEM text, DER bytes as openssl writes them, {{broker.ip}}, the sketch data/ folder under them', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-flash-files-'));
    try {
      const s = parseScenarioText(
        BASE.replace(
          '  /certs/client.der: "{{pki.client.der}}"',
          '  /certs/client.der: "{{pki.client.der}}"\n  /client.key.der: "{{pki.client.key.der}}"\n  /key.pem: "{{pki.client.key}}"',
        ),
        'x.yaml',
      );
      const rv = resolveVariant(s, 'verbose', { 'broker.ip': '127.0.0.1' });
      const pki = await buildPki(rv.pki, { vars: { 'broker.ip': '127.0.0.1' }, cacheDir: path.join(tmp, 'pki') });
      const sketch = path.join(tmp, 'sk');
      mkdirSync(path.join(sketch, 'data', 'web'), { recursive: true });
      writeFileSync(path.join(sketch, 'data', 'web', 'index.html'), '<h1>hi</h1>');
      writeFileSync(path.join(sketch, 'data', 'host.txt'), 'from the data folder');
      const f = await flashFiles(sketch, rv.files, pki, { 'broker.ip': '192.168.0.52' });
      assert.deepEqual(Object.keys(f.files).sort(), [
        '/certs/client.der',
        '/client.key.der',
        '/host.txt',
        '/key.pem',
        '/web/index.html',
      ]);
      assert.equal(f.files['/host.txt']!.toString(), 'broker at 192.168.0.52'); // the scenario's file wins over data/
      assert.equal(f.files['/web/index.html']!.toString(), '<h1>hi</h1>');
      const cert = new X509Certificate(f.files['/certs/client.der']!);
      assert.match(cert.subject, /CN=dev/);
      const key = createPrivateKey({ key: f.files['/client.key.der']!, format: 'der', type: 'pkcs1' });
      assert.equal(key.asymmetricKeyType, 'rsa');
      assert.match(f.files['/key.pem']!.toString(), /^-----BEGIN (RSA )?PRIVATE KEY-----/);
      // The key's text is registered for redaction, whichever form it went to flash in.
      assert.ok(f.secrets.length >= 2);
      assert.ok(f.secrets.some((x) => f.files['/key.pem']!.toString().includes(x)));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
