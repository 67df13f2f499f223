// ESP8266 twin (core 3.1.x BearSSL::WiFiClientSecure on Debian libbearssl 0.6) against a real mosquitto.
// Seed 002: a dotted-quad name against SAN IP:127.0.0.1,DNS:raspberry fails with 56; "raspberry" works.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TwinWorld } from '../../rig/twin/index.ts';
import { secretsHeader, type SecretsInput } from '../../rig/target/secrets.ts';
import { freePort, startMosquitto, type TestBroker, type TestPki } from '../twin/helpers.ts';
import { makeBearPki, type BearPki } from './pki.ts';
import { runTwin, stopAll, type RunningTwin } from './run.ts';
import { startSServer, startSilentPeer } from './servers.ts';
import { sharedTwinCache } from '../helpers/twin-cache.ts';

const PROBE = fileURLToPath(new URL('../../sketches/esp8266-bearssl-pubsub/', import.meta.url));
const SEED = fileURLToPath(new URL('../../sketches/seed-002-esp8266-mtls-pubsub/', import.meta.url));
const MFLN = fileURLToPath(new URL('./fixtures/mfln-probe/', import.meta.url));

describe('twin-bearssl: ESP8266 probe (BearSSL::WiFiClientSecure + PubSubClient)', function () {
  this.timeout(180_000);
  let tmp: string;
  let cacheDir: string;
  let pki: BearPki;
  let mtls: TestBroker; // server.crt (SAN IP:127.0.0.1,DNS:raspberry), require_certificate true
  let expired: TestBroker; // expired.crt, same names
  let sha1: TestBroker; // sha1.crt, same names, SHA-1 signature
  let p384: TestBroker; // P-384 CA + leaf (CN=127.0.0.1) signed ecdsa-with-SHA384
  const running: RunningTwin[] = [];

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-bearssl-esp-'));
    chmodSync(tmp, 0o755); // mosquitto drops root privileges before reading the certificates
    cacheDir = sharedTwinCache();
    pki = makeBearPki(path.join(tmp, 'pki'));
    const asTestPki: TestPki = {
      dir: pki.dir,
      caCrt: pki.caCrt,
      leaf: (n) => ({ crt: pki.file(`${n}.crt`), key: pki.file(`${n}.key`) }),
    };
    mtls = await startMosquitto(pki.dir, asTestPki, 'server', { requireCert: true });
    expired = await startMosquitto(pki.dir, asTestPki, 'expired');
    sha1 = await startMosquitto(pki.dir, asTestPki, 'sha1');
    p384 = await startMosquitto(pki.dir, asTestPki, 'p384');
  });
  afterEach(() => stopAll(running));
  after(async () => {
    await Promise.all([mtls, expired, sha1, p384].map((b) => b?.stop()));
    rmSync(tmp, { recursive: true, force: true });
  });

  const secrets = (over: Partial<SecretsInput>) =>
    secretsHeader({
      broker: 'raspberry',
      port: 8883,
      clientId: 'esp8266-probe',
      topic: 'rig/esp',
      caCertPem: pki.pem('ca.crt'),
      clientCertPem: pki.pem('client.crt'),
      clientKeyPem: pki.pem('client.key'),
      ...over,
    });
  const world = (b: TestBroker, over: Partial<TwinWorld> = {}): TwinWorld => ({
    hosts: { raspberry: '127.0.0.1' },
    ports: { '8883': b.port },
    ntp: true,
    coreVersion: '3.1.2',
    debugLevel: 0,
    ...over,
  });
  async function start(header: string, w: TwinWorld, sketchDir = PROBE, defines?: Record<string, string>) {
    const r = await runTwin({
      sketchDir,
      core: 'esp8266',
      coreVersion: '3.1.2',
      header,
      world: w,
      cacheDir,
      tmp,
      defines,
    });
    running.push(r);
    return r;
  }
  const report = (title: string, lines: string[]) =>
    console.log(`      [${title}]\n${lines.map((l) => `        | ${l}`).join('\n')}`);

  it('seed 002: name "127.0.0.1" against SAN IP:127.0.0.1,DNS:raspberry -> 56, rc=-2', async () => {
    const { twin, serial } = await start(secrets({ broker: '127.0.0.1' }), world(mtls));
    const fail = await serial.waitFor(/^RIG: connect fail/, 30_000);
    report('esp8266 name=127.0.0.1', serial.lines());
    assert.equal(fail, 'RIG: connect fail state=-2 tls=56 text="Expected server name was not found in the chain."');
    assert.ok(serial.lines().includes('SSL error: Expected server name was not found in the chain.'));
    assert.ok(serial.lines().includes('Attempting MQTT connection...failed, rc=-2 try again in 5 seconds'));
    assert.ok(twin.facts().includes('bearssl:56'), twin.facts().join(','));
    assert.ok(!serial.lines().some((l) => l.startsWith('BSSL:')), 'no BSSL lines without DEBUG_ESP_SSL');
  });

  it('seed 002: name "raspberry" (world DNS) connects with the client cert and the publish reaches the broker', async () => {
    const sub = spawn('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(mtls.port),
      '--cafile',
      pki.caCrt,
      '--cert',
      pki.file('client.crt'),
      '--key',
      pki.file('client.key'),
      '-i',
      'rig-esp-sub',
      '-t',
      'rig/esp/up',
      '-v',
      '-C',
      '1',
      '-W',
      '40',
    ]);
    let got = '';
    sub.stdout.setEncoding('utf8').on('data', (d: string) => {
      got += d;
    });
    const subDone = new Promise<void>((resolve) => sub.once('exit', () => resolve()));
    await mtls.waitForLog(/Received SUBSCRIBE from rig-esp-sub/, 10_000);
    const { twin, serial } = await start(secrets({}), world(mtls));
    await serial.waitFor(/^RIG: published$/, 30_000);
    await subDone;
    report('esp8266 name=raspberry', serial.lines());
    assert.equal(got.trim(), 'rig/esp/up hello from esp8266-probe');
    assert.ok(twin.facts().includes('tls-name:raspberry'));
    // Command echo through the subscription.
    const pub = spawn('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(mtls.port),
      '--cafile',
      pki.caCrt,
      '--cert',
      pki.file('client.crt'),
      '--key',
      pki.file('client.key'),
      '-t',
      'rig/esp/cmd',
      '-m',
      'ping-8266',
    ]);
    await new Promise<void>((resolve) => pub.once('exit', () => resolve()));
    await serial.waitFor(/^RIG: echo ping-8266$/, 10_000);
  });

  it('connect(IPAddress) sends no name and skips the name check -> connects', async () => {
    const { serial } = await start(secrets({ broker: '127.0.0.1', brokerIsIp: true }), world(mtls));
    await serial.waitFor(/^RIG: connected$/, 30_000);
  });

  it('no SNTP (world ntp=false): clock near 1970 -> 54', async () => {
    const { serial } = await start(secrets({}), world(mtls, { ntp: false }));
    const fail = await serial.waitFor(/^RIG: connect fail/, 40_000);
    report(
      'esp8266 no ntp',
      serial.lines().filter((l) => !/^\.+$/.test(l)),
    );
    assert.equal(fail, 'RIG: connect fail state=-2 tls=54 text="Certificate is expired or not yet valid."');
  });

  it('expired server certificate with a correct clock -> 54', async () => {
    const { serial } = await start(secrets({ clientCertPem: undefined, clientKeyPem: undefined }), world(expired));
    const fail = await serial.waitFor(/^RIG: connect fail/, 30_000);
    assert.equal(fail, 'RIG: connect fail state=-2 tls=54 text="Certificate is expired or not yet valid."');
  });

  it('CA not among the anchors (other CA configured) -> 62', async () => {
    const { serial } = await start(secrets({ caCertPem: pki.pem('otherca.crt') }), world(mtls));
    const fail = await serial.waitFor(/^RIG: connect fail/, 30_000);
    assert.equal(fail, 'RIG: connect fail state=-2 tls=62 text="Chain could not be linked to a trust anchor."');
  });

  it('peer closes during the handshake (mosquitto refused its SHA-1 certificate) -> rc=-2, 0 "Unknown error code."', async () => {
    await sha1.waitForLog(/ca md too weak/, 5_000); // OpenSSL 3 at SECLEVEL 2: the listener has no usable certificate
    const { serial } = await start(secrets({ clientCertPem: undefined, clientKeyPem: undefined }), world(sha1));
    const fail = await serial.waitFor(/^RIG: connect fail/, 30_000);
    assert.equal(fail, 'RIG: connect fail state=-2 tls=0 text="Unknown error code."');
  });

  it('SHA-1 signed server certificate passes BearSSL validation (openssl s_server at SECLEVEL 0; no MQTT -> -4)', async () => {
    const port = await freePort();
    const srv = spawn(
      'openssl',
      [
        's_server',
        '-accept',
        `127.0.0.1:${port}`,
        '-cert',
        pki.file('sha1.crt'),
        '-key',
        pki.file('sha1.key'),
        '-cipher',
        'DEFAULT@SECLEVEL=0',
        '-quiet',
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    try {
      await new Promise((r) => setTimeout(r, 500));
      const { serial, twin } = await start(
        secrets({ clientCertPem: undefined, clientKeyPem: undefined }),
        world(sha1, { ports: { '8883': port } }),
      );
      const fail = await serial.waitFor(/^RIG: connect fail/, 40_000);
      // TLS succeeded (a TLS failure would be -2); the server never answers CONNECT, so PubSubClient times out.
      assert.equal(fail, 'RIG: connect fail state=-4 tls=0 text="Unknown error code."');
      assert.ok(!twin.facts().some((f) => /^bearssl:/.test(f)), twin.facts().join(','));
    } finally {
      srv.kill('SIGTERM');
    }
  });

  it('broker requires a client certificate, none set -> received alert 40, text via the BR_ERR table quirk', async () => {
    const { serial } = await start(secrets({ clientCertPem: undefined, clientKeyPem: undefined }), world(mtls));
    const fail = await serial.waitFor(/^RIG: connect fail/, 30_000);
    report('esp8266 no client cert', [fail]);
    assert.equal(
      fail,
      'RIG: connect fail state=-2 tls=40 text="SSL received fatal alert - Decoding error: extraneous element."',
    );
  });

  it('client certificate from another CA -> received alert 48 ("Invalid date/time representation.")', async () => {
    const { serial } = await start(
      secrets({ clientCertPem: pki.pem('otherclient.crt'), clientKeyPem: pki.pem('otherclient.key') }),
      world(mtls),
    );
    const fail = await serial.waitFor(/^RIG: connect fail/, 30_000);
    report('esp8266 client cert other CA', [fail]);
    assert.equal(
      fail,
      'RIG: connect fail state=-2 tls=48 text="SSL received fatal alert - Invalid date/time representation."',
    );
  });

  it('P-384 / SHA-384 ECDSA chain works on the ESP8266 (software ECDSA)', async () => {
    const { serial } = await start(
      secrets({
        broker: '127.0.0.1',
        caCertPem: pki.pem('p384ca.crt'),
        clientCertPem: undefined,
        clientKeyPem: undefined,
      }),
      world(p384),
    );
    await serial.waitFor(/^RIG: connected$/, 30_000);
  });

  it('TLS 1.3-only peer -> received protocol_version: tls=70 "SSL received fatal alert - Unknown error code."', async () => {
    const srv = await startSServer(pki.file('server.crt'), pki.file('server.key'), ['-tls1_3']);
    try {
      const { serial, twin } = await start(
        secrets({ clientCertPem: undefined, clientKeyPem: undefined }),
        world(mtls, { ports: { '8883': srv.port } }),
      );
      const fail = await serial.waitFor(/^RIG: connect fail/, 30_000);
      assert.equal(fail, 'RIG: connect fail state=-2 tls=70 text="SSL received fatal alert - Unknown error code."');
      assert.ok(twin.facts().includes('bearssl:326'), twin.facts().join(','));
    } finally {
      await srv.stop();
    }
  });

  it('silent peer -> the 15 s handshake timeout, rc=-2, 0 "Unknown error code."', async () => {
    const srv = await startSilentPeer();
    try {
      const { serial, twin } = await start(secrets({}), world(mtls, { ports: { '8883': srv.port } }));
      const fail = await serial.waitFor(/^RIG: connect fail/, 40_000);
      assert.equal(fail, 'RIG: connect fail state=-2 tls=0 text="Unknown error code."');
      assert.ok(twin.facts().includes('tls-handshake-timeout'), twin.facts().join(','));
    } finally {
      await srv.stop();
    }
  });

  it('probeMaxFragmentLength: 512 accepted by the OpenSSL broker, 1000 invalid; getMFLNStatus() after a 512 connect', async () => {
    const { serial } = await start(secrets({}), world(expired), MFLN);
    await serial.waitFor(/^connect \d, MFLN status:/, 30_000);
    assert.ok(serial.lines().includes('connect 1, MFLN status: yes'), serial.lines().join('\n'));
    assert.ok(serial.lines().includes('MFLN 512: yes'), serial.lines().join('\n'));
    assert.ok(serial.lines().includes('MFLN 1000: no'));
  });

  it('setInsecure() connects to the IP string despite the name', async () => {
    const { serial } = await start(secrets({ broker: '127.0.0.1', insecure: true }), world(mtls));
    await serial.waitFor(/^RIG: connected$/, 30_000);
  });

  it("debug build (DEBUG_ESP_SSL + DEBUG_ESP_PORT=Serial) prints the core's BSSL: lines", async () => {
    const { serial } = await start(secrets({ broker: '127.0.0.1' }), world(mtls), PROBE, {
      DEBUG_ESP_SSL: '1',
      DEBUG_ESP_PORT: 'Serial',
    });
    await serial.waitFor(/^RIG: connect fail/, 30_000);
    // The core writes on the same UART line the sketch left open ("Attempting MQTT connection..."): every attempt
    // starts with _connectSSL's line (WiFiClientSecureBearSSL.cpp@3.1.2:1124), then the failed handshake (:610).
    const lines = serial.lines();
    const i = lines.indexOf('Attempting MQTT connection...BSSL:_connectSSL: start connection');
    assert.ok(i >= 0, lines.join('\n'));
    assert.deepEqual(lines.slice(i + 1, i + 3), [
      'BSSL:_wait_for_handshake: failed',
      "BSSL:Couldn't connect. Error = 'Expected server name was not found in the chain.'",
    ]);
  });

  it('seed 002 sketch as posted: "127.0.0.1" -> the forum\'s lines; "raspberry" -> connected and published', async () => {
    const seedSecrets = (broker: string) =>
      secretsHeader({
        broker,
        port: 8883,
        clientId: 'ESP8266_Client1',
        topic: 'esp8266',
        caCertPem: pki.pem('ca.crt'),
        clientCertPem: pki.pem('client.crt'),
        clientKeyPem: pki.pem('client.key'),
      });
    const bad = await start(seedSecrets('127.0.0.1'), world(mtls), SEED);
    await bad.serial.waitFor(/^SSL error:/, 40_000);
    const lines = bad.serial.lines().filter((l) => !/^\.+$/.test(l));
    report('seed 002 name=127.0.0.1', lines);
    const i = lines.indexOf('Attempting MQTT connection...failed, rc=-2');
    assert.ok(i >= 0, lines.join('\n'));
    assert.equal(lines[i + 1], 'SSL error: Expected server name was not found in the chain.');
    await stopAll(running);
    const good = await start(seedSecrets('raspberry'), world(mtls), SEED);
    await good.serial.waitFor(/^Publish message: hello world #1$/, 40_000);
    report('seed 002 name=raspberry', good.serial.lines());
    assert.ok(good.serial.lines().includes('Attempting MQTT connection...connected'));
    await mtls.waitForLog(/New client connected from 127\.0\.0\.1:\d+ as ESP8266_Client1/, 5_000);
  });
});
