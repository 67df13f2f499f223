// ESP32 twin fidelity beyond Debian mbedTLS's own behaviour (docs/tls-esp32.md §2, §4, §6): the RSA accelerator's
// 4096-bit limit, the cipher suites of 3.x (no DHM), lastError() after a good connect, and ESP.restart().
// Real parts: openssl for the PKI, mosquitto, g++, the twin's pty.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SerialCapture } from '../../rig/serial/capture.ts';
import { buildTwin, bootTwin, type TwinProcess, type TwinWorld } from '../../rig/twin/index.ts';
import { cString, secretsHeader, type SecretsInput } from '../../rig/target/secrets.ts';
import { makePki, readPem, startMosquitto, type TestBroker, type TestPki } from './helpers.ts';
import { sharedTwinCache } from '../helpers/twin-cache.ts';

const PROBE = fileURLToPath(new URL('../../sketches/esp32-wificlientsecure-pubsub/', import.meta.url));
// 2.0.x/3.x log prefix "[%6u][E][file:line] func(): " (docs/tls-esp32.md §1.3); the timestamp is masked.
const TS = String.raw`\[\s*\d+\]`;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

// One RSA-8192 key serves as a CA key and as a server key: big-ca (RSA-8192, self-signed) signs the 2048-bit leaf
// "small"; the 2048 test CA signs the RSA-8192 leaf "bigleaf". The key is a fixture made once with `openssl genrsa
// 8192` (a test key, nothing it signs leaves the test): its keygen took 10-30 s of CPU in every run.
const BIG_KEY = fileURLToPath(new URL('../fixtures/keys/rsa-8192.key', import.meta.url));
function makeBigKeyPki(dir: string, base: TestPki): { bigCa: TestPki; bigLeaf: TestPki } {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  copyFileSync(BIG_KEY, path.join(dir, 'big.key'));
  openssl(
    ['req', '-x509', '-key', 'big.key', '-out', 'big-ca.crt', '-days', '365', '-subj', '/CN=rig-test-ca-8192'],
    dir,
  );
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost\n');
  openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'small.key', '-out', 'small.csr', '-subj', '/CN=rig-broker'],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'small.csr',
      '-CA',
      'big-ca.crt',
      '-CAkey',
      'big.key',
      '-CAcreateserial',
      '-out',
      'small.crt',
      '-days',
      '30',
      '-extfile',
      'san.ext',
    ],
    dir,
  );
  openssl(['req', '-new', '-key', 'big.key', '-out', 'bigleaf.csr', '-subj', '/CN=rig-broker'], dir);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'bigleaf.csr',
      '-CA',
      base.caCrt,
      '-CAkey',
      path.join(base.dir, 'ca.key'),
      '-CAcreateserial',
      '-out',
      'bigleaf.crt',
      '-days',
      '30',
      '-extfile',
      'san.ext',
    ],
    dir,
  );
  for (const f of ['big.key', 'big-ca.crt', 'small.key', 'small.crt', 'bigleaf.crt'])
    chmodSync(path.join(dir, f), 0o644);
  const files = (crt: string, key: string) => () => ({ crt: path.join(dir, crt), key: path.join(dir, key) });
  return {
    bigCa: { dir, caCrt: path.join(dir, 'big-ca.crt'), leaf: files('small.crt', 'small.key') },
    bigLeaf: { dir, caCrt: base.caCrt, leaf: files('bigleaf.crt', 'big.key') },
  };
}

// Connects once with WiFiClientSecure (no MQTT) and prints what lastError() says; then, if asked, ESP.restart().
const LAST_ERROR_SKETCH = [
  '#include <WiFi.h>',
  '#include <WiFiClientSecure.h>',
  '#include "arduino_secrets.h"',
  'WiFiClientSecure net;',
  'void setup() {',
  '  Serial.begin(115200);',
  '  WiFi.begin("lab", "pass");',
  '  net.setCACert(SECRET_CA_CERT);',
  '  int ok = net.connect("localhost", 8883);',
  '  char text[128] = "";',
  '  int err = net.lastError(text, sizeof(text));',
  '  Serial.printf("RIG: connect=%d lastError=%d text=\\"%s\\"\\n", ok, err, text);',
  '#if SECRET_RESTART',
  '  Serial.println("RIG: restarting");',
  '  ESP.restart();',
  '#endif',
  '}',
  'void loop() { delay(100); }',
  '',
].join('\n');

describe('twin: ESP32 fidelity (RSA accelerator, 3.x suites, lastError, ESP.restart)', function () {
  this.timeout(180_000);
  let tmp: string;
  let cacheDir: string;
  let pki: TestPki;
  let bigCa: TestPki;
  let bigLeaf: TestPki;
  let brokers: TestBroker[] = [];
  let caBroker: TestBroker; // server "small" (RSA-2048) under the RSA-8192 CA
  let leafBroker: TestBroker; // server key RSA-8192 under the 2048 test CA
  let dheBroker: TestBroker; // only DHE-RSA-AES128-GCM-SHA256
  let good: TestBroker;
  let lastErrorSketch: string;
  const running: { twin: TwinProcess; serial: SerialCapture }[] = [];

  before(async function () {
    this.timeout(300_000); // RSA-8192 keygen
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-twin-fidelity-'));
    chmodSync(tmp, 0o755); // mosquitto drops root privileges before reading the certificates
    cacheDir = sharedTwinCache();
    pki = makePki(path.join(tmp, 'pki'));
    ({ bigCa, bigLeaf } = makeBigKeyPki(path.join(tmp, 'pki-8192'), pki));
    openssl(['dhparam', '-dsaparam', '-out', 'dh.pem', '2048'], pki.dir);
    chmodSync(path.join(pki.dir, 'dh.pem'), 0o644);
    caBroker = await startMosquitto(bigCa.dir, bigCa, 'small');
    leafBroker = await startMosquitto(bigLeaf.dir, bigLeaf, 'bigleaf');
    dheBroker = await startMosquitto(pki.dir, pki, 'localhost', {
      listener: [
        'ciphers DHE-RSA-AES128-GCM-SHA256',
        `dhparamfile ${path.join(pki.dir, 'dh.pem')}`,
        'tls_version tlsv1.2',
      ],
    });
    good = await startMosquitto(pki.dir, pki, 'localhost');
    brokers = [caBroker, leafBroker, dheBroker, good];
    lastErrorSketch = path.join(tmp, 'sketches', 'last-error');
    mkdirSync(lastErrorSketch, { recursive: true });
    writeFileSync(path.join(lastErrorSketch, 'last-error.ino'), LAST_ERROR_SKETCH);
  });

  afterEach(async () => {
    for (const r of running.splice(0)) {
      await r.serial.close();
      await r.twin.kill();
    }
  });

  after(async () => {
    await Promise.all(brokers.map((b) => b.stop()));
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  function world(broker: TestBroker, coreVersion = '2.0.17'): TwinWorld {
    return {
      hosts: { localhost: '127.0.0.1' },
      ports: { '8883': broker.port },
      ntp: false,
      coreVersion,
      debugLevel: 1,
    };
  }

  async function run(sketchDir: string, header: string, w: TwinWorld) {
    const build = await buildTwin({
      sketchDir,
      core: 'esp32',
      secretsHeader: header,
      coreVersion: w.coreVersion ?? '2.0.17',
      debugLevel: 1,
      cacheDir,
    });
    const { process: twin, serial } = await bootTwin({
      binary: build.binary,
      world: w,
      workDir: mkdtempSync(path.join(tmp, 'run-')),
    });
    running.push({ twin, serial });
    return { twin, serial };
  }

  function probe(caPem: string, over: Partial<SecretsInput> = {}): string {
    return secretsHeader({
      broker: 'localhost',
      port: 8883,
      clientId: 'twin-fidelity',
      topic: 'rig/fidelity',
      caCertPem: caPem,
      ...over,
    });
  }

  /** The board's two lines for a handshake error (2.0.x: H(x) and C(x) of docs/tls-esp32.md §6), in this order. */
  function assertHandshakeFailure(lines: string[], code: number, text: string, core: '2' | '3'): void {
    const h =
      core === '2'
        ? `^${TS}\\[E\\]\\[ssl_client\\.cpp:37\\] _handle_error\\(\\): \\[start_ssl_client\\(\\):273\\]: \\(${code}\\) ${esc(text)}$`
        : `^${TS}\\[E\\]\\[ssl_client\\.cpp:36\\] _handle_error\\(\\): \\[ssl_starttls_handshake\\(\\):317\\]: \\(${code}\\) ${esc(text)}$`;
    const c =
      core === '2'
        ? `^${TS}\\[E\\]\\[WiFiClientSecure\\.cpp:144\\] connect\\(\\): start_ssl_client: ${code}$`
        : `^${TS}\\[E\\]\\[NetworkClientSecure\\.cpp:159\\] connect\\(\\): start_ssl_client: connect failed: ${code}$`;
    const i = lines.findIndex((l) => new RegExp(h).test(l));
    assert.ok(i >= 0, `no ${h} in:\n${lines.join('\n')}`);
    assert.match(lines[i + 1], new RegExp(c));
  }

  it('an RSA-8192 CA: -9984 on the board (flags 0x8), where Debian alone would connect', async () => {
    const { twin, serial } = await run(PROBE, probe(readPem(bigCa.caCrt)), world(caBroker));
    const fail = await serial.waitFor(/^RIG: connect/, 30_000);
    assert.equal(
      fail,
      'RIG: connect fail state=-2 tls=-9984 text="X509 - Certificate verification failed, e.g. CRL, CA or signature check failed"',
    );
    assertHandshakeFailure(
      serial.lines(),
      -9984,
      'X509 - Certificate verification failed, e.g. CRL, CA or signature check failed',
      '2',
    );
    const facts = twin.facts();
    // The CA's signature over the leaf needed an 8192-bit exponentiation, which the accelerator refuses.
    assert.ok(facts.includes('esp32-hw-mpi-too-long:8192'), facts.join(','));
    assert.ok(facts.includes('mbedtls-flags:0x8'), facts.join(','));
    // The broker saw a TLS client that gave up after the server's certificate, not a TCP probe.
    await caBroker.waitForLog(/New connection from 127\.0\.0\.1/, 5_000);
  });

  it('an RSA-8192 server key: -17038 (RSA public key operation failed : BIGNUM input not acceptable)', async () => {
    const { twin, serial } = await run(PROBE, probe(readPem(pki.caCrt)), world(leafBroker));
    const fail = await serial.waitFor(/^RIG: connect/, 30_000);
    const text = 'RSA - The public key operation failed : BIGNUM - The input arguments are not acceptable';
    assert.equal(fail, `RIG: connect fail state=-2 tls=-17038 text="${text}"`);
    assertHandshakeFailure(serial.lines(), -17038, text, '2');
    assert.ok(twin.facts().includes('esp32-hw-mpi-too-long:8192'), twin.facts().join(','));
  });

  it('a DHE-only broker: core 2.0.17 connects with DHE-RSA, core 3.1.2 (no DHM) gets a handshake_failure alert', async () => {
    const header = probe(readPem(pki.caCrt));
    const v2 = await run(PROBE, header, world(dheBroker));
    await v2.serial.waitFor(/^RIG: connected$/, 30_000);
    assert.ok(
      v2.twin.facts().includes('tls-ciphersuite:TLS-DHE-RSA-WITH-AES-128-GCM-SHA256'),
      v2.twin.facts().join(','),
    );

    const v3 = await run(PROBE, header, world(dheBroker, '3.1.2'));
    const fail = await v3.serial.waitFor(/^RIG: connect/, 30_000);
    assert.equal(
      fail,
      'RIG: connect fail state=-2 tls=-30592 text="SSL - A fatal alert message was received from our peer"',
    );
    assertHandshakeFailure(v3.serial.lines(), -30592, 'SSL - A fatal alert message was received from our peer', '3');
    await dheBroker.waitForLog(/no shared cipher/, 5_000);
  });

  it('the same core 3.1.2 still connects to a broker with the default suites (only DHE is gone)', async () => {
    const { twin, serial } = await run(PROBE, probe(readPem(pki.caCrt)), world(good, '3.1.2'));
    await serial.waitFor(/^RIG: connected$/, 30_000);
    assert.ok(
      twin.facts().some((f) => /^tls-ciphersuite:TLS-ECDHE-RSA-/.test(f)),
      twin.facts().join(','),
    );
  });

  it("lastError() after a good connect on 2.0.17: the socket number 48 and mbedTLS's PADLOCK text, as the board prints", async () => {
    // ESP-IDF 4.x esp_config.h keeps mbedTLS's "#define MBEDTLS_PADLOCK_C" (esp-idf#12081, 2023, asks to drop it),
    // so the board's mbedtls_strerror(48) names the PADLOCK error: no remapping, unlike the NET_C codes.
    const header = `#define SECRET_CA_CERT ${cString(readPem(pki.caCrt))}\n#define SECRET_RESTART 0\n`;
    const { serial } = await run(lastErrorSketch, header, world(good));
    const line = await serial.waitFor(/^RIG: connect=/, 30_000);
    assert.equal(line, 'RIG: connect=1 lastError=48 text="PADLOCK - Input data should be aligned"');
  });

  it('ESP.restart() ends the twin with exit code 0, the fact esp-restart and a reason on stderr; serial output is kept', async () => {
    const header = `#define SECRET_CA_CERT ${cString(readPem(pki.caCrt))}\n#define SECRET_RESTART 1\n`;
    const { twin, serial } = await run(lastErrorSketch, header, world(good));
    assert.deepEqual(await twin.exited, { code: 0, signal: null });
    await serial.waitFor(/^RIG: restarting$/, 5_000);
    assert.ok(twin.facts().includes('esp-restart'), twin.facts().join(','));
    assert.match(
      twin.stderr(),
      /ESP\.restart\(\) called: a board would reboot and run setup\(\) again; the twin ends here/,
    );
  });
});
