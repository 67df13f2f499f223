// esp-mqtt / esp-tls on the ESP32 twin: the IDF log lines and error codes an Arduino 2.0.x build prints.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SerialCapture } from '../../rig/serial/capture.ts';
import { buildTwin, bootTwin, type TwinProcess } from '../../rig/twin/index.ts';
import { cString } from '../../rig/target/secrets.ts';
import { makePki, readPem, startMosquitto, type TestBroker, type TestPki } from './helpers.ts';
import { sharedTwinCache } from '../helpers/twin-cache.ts';

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
      cacheDir: sharedTwinCache(),
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

describe('twin: ESP32 esp-mqtt client key passwords and the IDF build of mbedTLS (no DES)', function () {
  this.timeout(300_000);
  const KEYS = fileURLToPath(new URL('./fixtures/esp-mqtt-keys/', import.meta.url));
  const PASS = 's3cret-Pw';
  let tmp: string;
  let pki: TestPki;
  let broker: TestBroker;
  let keys: Record<string, string>;

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-twin-espmqtt-keys-'));
    chmodSync(tmp, 0o755);
    pki = makePki(path.join(tmp, 'pki'));
    broker = await startMosquitto(pki.dir, pki, 'localhost');
    const plain = pki.leaf('client').key;
    const out = (name: string, args: string[]): string => {
      const f = path.join(tmp, `${name}.key`);
      execFileSync('openssl', [...args, '-in', plain, '-out', f, '-passout', `pass:${PASS}`], { stdio: 'pipe' });
      return readPem(f);
    };
    keys = {
      // The one encrypted form mbedTLS 2.28 reads without DES: traditional PEM, DEK-Info AES-256-CBC.
      aesTraditional: out('aes-trad', ['rsa', '-aes256', '-traditional']),
      // OpenSSL 3's default for an encrypted key: PKCS#8, PBES2, AES-256-CBC (mbedTLS 3.6 reads it, 2.28 does not).
      aesPkcs8: out('aes-p8', ['pkey', '-aes256']),
      // `openssl genrsa -des3` before OpenSSL 3, and `-traditional` since: Proc-Type/DEK-Info DES-EDE3-CBC.
      des3Traditional: out('des3-trad', ['rsa', '-des3', '-traditional']),
      des3Pkcs8: out('des3-p8', ['pkcs8', '-topk8', '-v2', 'des3']),
      pbe3des: out('pbe-3des', ['pkcs8', '-topk8', '-v1', 'PBE-SHA1-3DES']),
    };
    for (const [name, pem] of Object.entries(keys)) assert.ok(/ENCRYPTED/.test(pem), `${name} is an encrypted key`);
  });
  after(async () => {
    await broker?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Every case in one build and one run: the lines between "CASE <name>" and the next one, times as (t). */
  async function runCases(coreVersion: string, cases: [string, string, string | null, number][]) {
    const entries = cases
      .map(
        ([name, key, pw, len]) =>
          `{ ${cString(name)}, ${cString(key)}, ${pw === null ? 'NULL' : cString(pw)}, ${len} }`,
      )
      .join(', ');
    const header = [
      `#define SECRET_URI "mqtts://localhost:8883"`,
      `#define SECRET_CA_CERT ${cString(readPem(pki.caCrt))}`,
      `#define SECRET_CLIENT_CERT ${cString(readPem(pki.leaf('client').crt))}`,
      `#define SECRET_CASES { ${entries} }`,
      '',
    ].join('\n');
    const b = await buildTwin({
      sketchDir: KEYS,
      core: 'esp32',
      secretsHeader: header,
      coreVersion,
      debugLevel: 1,
      cacheDir: sharedTwinCache(),
    });
    const { process: twin, serial } = await bootTwin({
      binary: b.binary,
      workDir: mkdtempSync(path.join(tmp, 'run-')),
      world: { hosts: { localhost: '127.0.0.1' }, ports: { '8883': broker.port }, coreVersion, debugLevel: 1 },
    });
    try {
      await serial.waitFor(/^ALL DONE$/, 120_000);
      const byCase: Record<string, string[]> = {};
      let current = '';
      for (const l of serial.lines()) {
        const m = /^CASE (\S+)$/.exec(l);
        if (l === 'ALL DONE') break;
        if (m) byCase[(current = m[1]!)] = [];
        else if (current) byCase[current]!.push(l.replace(/^([EIW]) \(\d+\)/, '$1 (t)'));
      }
      return byCase;
    } finally {
      await serial.close();
      await twin.kill();
    }
  }

  const chain = (code: string, esp: string): string[] => [
    `E (t) esp-tls-mbedtls: mbedtls_pk_parse_keyfile returned -0x${code}`,
    'E (t) esp-tls-mbedtls: Failed to set client pki context',
    `E (t) esp-tls-mbedtls: Failed to set client configurations, returned [0x${esp}] (ESP_ERR_MBEDTLS_PK_PARSE_KEY_FAILED)`,
    'E (t) esp-tls: create_ssl_handle failed',
    'E (t) esp-tls: Failed to open new connection',
    'E (t) TRANSPORT_BASE: Failed to open a new connection',
    'E (t) MQTT_CLIENT: Error transport connect',
    `EV: error tls=-0x${code.toLowerCase()} esp=0x${esp.toLowerCase()}`,
  ];

  it('core 2.0.x (IDF 4.4): the password decrypts an AES key; without its length, wrong, or DES-encrypted it does not', async () => {
    const r = await runCases('2.0.17', [
      ['aes', keys.aesTraditional!, PASS, PASS.length],
      // esp-mqtt passes the password only with its length (clientkey_password_len): 0 means none.
      ['aes-no-length', keys.aesTraditional!, PASS, 0],
      ['aes-wrong', keys.aesTraditional!, 'not-it', 6],
      // mbedTLS 2.28 has no AES PBES2 scheme at all: OpenSSL 3's default encrypted key fails on a 2.0.x board.
      ['aes-pkcs8', keys.aesPkcs8!, PASS, PASS.length],
      // The right password, but the IDF build of mbedTLS has no DES: what Debian's mbedTLS decrypts, the board cannot.
      ['des3-traditional', keys.des3Traditional!, PASS, PASS.length],
      ['des3-pkcs8', keys.des3Pkcs8!, PASS, PASS.length],
      ['pbe-sha1-3des', keys.pbe3des!, PASS, PASS.length],
    ]);
    assert.ok(r.aes!.includes('EV: connected'), r.aes!.join('\n'));
    assert.deepEqual(r['aes-no-length'], chain('3C00', '8019'), 'MBEDTLS_ERR_PK_PASSWORD_REQUIRED');
    assert.deepEqual(r['aes-wrong'], chain('3B80', '8019'), 'MBEDTLS_ERR_PK_PASSWORD_MISMATCH');
    assert.deepEqual(r['aes-pkcs8'], chain('2E80', '8019'), 'MBEDTLS_ERR_PKCS5_FEATURE_UNAVAILABLE');
    assert.deepEqual(r['des3-traditional'], chain('1280', '8019'), 'MBEDTLS_ERR_PEM_UNKNOWN_ENC_ALG');
    assert.deepEqual(r['des3-pkcs8'], chain('2E80', '8019'), 'MBEDTLS_ERR_PKCS5_FEATURE_UNAVAILABLE');
    assert.deepEqual(r['pbe-sha1-3des'], chain('1F00', '8019'), 'MBEDTLS_ERR_PKCS12_FEATURE_UNAVAILABLE');
  });

  it('core 3.x (IDF 5, mbedTLS 3.6, nested config): key_password reads an AES PKCS#8 key; still no DES', async () => {
    const r = await runCases('3.1.2', [
      ['aes-pkcs8', keys.aesPkcs8!, PASS, PASS.length],
      ['aes-pkcs8-wrong', keys.aesPkcs8!, 'not-it', 6],
      ['aes-no-password', keys.aesPkcs8!, null, 0],
      ['des3-pkcs8', keys.des3Pkcs8!, PASS, PASS.length],
    ]);
    assert.ok(r['aes-pkcs8']!.includes('EV: connected'), r['aes-pkcs8']!.join('\n'));
    // IDF 5 logs the transport and MQTT tags in lower case; the esp-tls lines are IDF 4.4's.
    const head = (code: string) => chain(code, '8019').slice(0, 4);
    assert.deepEqual(
      r['aes-pkcs8-wrong']!.slice(0, 4),
      head('3B80'),
      'padding error: MBEDTLS_ERR_PK_PASSWORD_MISMATCH',
    );
    assert.deepEqual(r['aes-no-password']!.slice(0, 4), head('3C00'));
    assert.deepEqual(r['des3-pkcs8']!.slice(0, 4), head('2E80'));
  });
});
