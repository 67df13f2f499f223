// MKR1000 twin (ArduinoBearSSL 1.7.7 BearSSLClient + emulated ECCX08 on Debian libbearssl 0.6) against mosquitto.
// Seed 001: a private CA is never among the built-in roots -> 62; with the CA as anchor and a clock it connects
// with the slot key under require_certificate true.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TwinWorld } from '../../rig/twin/index.ts';
import { hostCoreLayout } from '../../rig/twin/hostcore.ts';
import { secretsHeader, type SecretsInput } from '../../rig/target/secrets.ts';
import { startMosquitto, type TestBroker, type TestPki } from '../twin/helpers.ts';
import { makeBearPki, type BearPki } from './pki.ts';
import { runTwin, stopAll, type RunningTwin } from './run.ts';
import { startSServer } from './servers.ts';
import { sharedTwinCache } from '../helpers/twin-cache.ts';

const PROBE = fileURLToPath(new URL('../../sketches/mkr1000-bearssl-pubsub/', import.meta.url));
const SEED = fileURLToPath(new URL('../../sketches/seed-001-mkr1000-bearssl-eccx08/', import.meta.url));

describe('twin-bearssl: MKR1000 (ArduinoBearSSL + ECCX08 + PubSubClient)', function () {
  this.timeout(180_000);
  let tmp: string;
  let cacheDir: string;
  let pki: BearPki;
  let broker: TestBroker; // ipcn.crt (CN=127.0.0.1, no SAN), require_certificate true
  let p384: TestBroker; // P-384 CA + leaf signed ecdsa-with-SHA384; client CAs: both
  const running: RunningTwin[] = [];

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-bearssl-mkr-'));
    chmodSync(tmp, 0o755);
    cacheDir = sharedTwinCache();
    pki = makeBearPki(path.join(tmp, 'pki'));
    const asTestPki: TestPki = {
      dir: pki.dir,
      caCrt: pki.caCrt,
      leaf: (n) => ({ crt: pki.file(`${n}.crt`), key: pki.file(`${n}.key`) }),
    };
    broker = await startMosquitto(pki.dir, asTestPki, 'ipcn', { requireCert: true });
    p384 = await startMosquitto(pki.dir, { ...asTestPki, caCrt: pki.file('bundle.crt') }, 'p384', {
      requireCert: true,
    });
  });
  afterEach(() => stopAll(running));
  after(async () => {
    await Promise.all([broker, p384].map((b) => b?.stop()));
    rmSync(tmp, { recursive: true, force: true });
  });

  const secrets = (over: Partial<SecretsInput>, eccSlot: number | null = 0) =>
    secretsHeader({
      broker: '127.0.0.1',
      port: 8883,
      clientId: 'mkr1000-probe',
      topic: 'rig/mkr',
      caCertPem: pki.pem('ca.crt'),
      clientCertPem: pki.pem('slot0.crt'),
      ...(eccSlot === null ? {} : { eccSlot }),
      ...over,
    });
  const world = (over: Partial<TwinWorld> = {}): TwinWorld => ({
    hosts: {},
    ports: { '8883': broker.port },
    ntp: true,
    coreVersion: '1.8.14',
    debugLevel: 0,
    eccSlots: { '0': pki.file('slot0.key') },
    ...over,
  });
  async function start(header: string, w: TwinWorld, sketchDir = PROBE) {
    const r = await runTwin({ sketchDir, core: 'mkr1000', coreVersion: '1.8.14', header, world: w, cacheDir, tmp });
    running.push(r);
    return r;
  }
  const report = (title: string, lines: string[]) =>
    console.log(`      [${title}]\n${lines.map((l) => `        | ${l}`).join('\n')}`);

  it('seed 001 sketch: BearSSLClient(WiFiClient&) = built-in roots only -> rc=-2, errorCode 62', async () => {
    const { twin, serial } = await start(secrets({ caCertPem: undefined }), world(), SEED);
    await serial.waitFor(/^RIG: connect fail/, 40_000);
    report('seed 001', serial.lines());
    assert.ok(
      serial.lines().includes('Attempting MQTT connection...failed, rc=-2 try again in 5 seconds'),
      serial.lines().join('\n'),
    );
    assert.ok(serial.lines().includes('RIG: connect fail state=-2 tls=62'));
    assert.ok(twin.facts().includes('bearssl:62'), twin.facts().join(','));
    assert.ok(twin.facts().includes('tls-name:127.0.0.1'));
  });

  it('probe: CA as trust anchor + onGetTime + ECCX08 slot 0 key -> connects under require_certificate, publish reaches the broker', async () => {
    const sub = spawn('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(broker.port),
      '--cafile',
      pki.caCrt,
      '--cert',
      pki.file('client.crt'),
      '--key',
      pki.file('client.key'),
      '-i',
      'rig-mkr-sub',
      '-t',
      'rig/mkr/up',
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
    await broker.waitForLog(/Received SUBSCRIBE from rig-mkr-sub/, 10_000);
    const { serial } = await start(secrets({}), world());
    await serial.waitFor(/^RIG: published$/, 40_000);
    await subDone;
    report('mkr probe CA+slot0', serial.lines());
    assert.equal(got.trim(), 'rig/mkr/up hello from mkr1000-probe');
    await broker.waitForLog(/New client connected from 127\.0\.0\.1:\d+ as mkr1000-probe/, 5_000);
    const pub = spawn('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(broker.port),
      '--cafile',
      pki.caCrt,
      '--cert',
      pki.file('client.crt'),
      '--key',
      pki.file('client.key'),
      '-t',
      'rig/mkr/cmd',
      '-m',
      'ping-mkr',
    ]);
    await new Promise<void>((resolve) => pub.once('exit', () => resolve()));
    await serial.waitFor(/^RIG: echo ping-mkr$/, 10_000);
  });

  it('probe without a clock (WiFi.getTime() = 0, world ntp=false) -> 54', async () => {
    const { serial } = await start(secrets({}), world({ ntp: false }));
    const fail = await serial.waitFor(/^RIG: connect fail/, 40_000);
    assert.equal(fail, 'RIG: connect fail state=-2 tls=54 text=""');
  });

  it('probe without a client certificate -> raw errorCode 296 (received handshake_failure)', async () => {
    const { serial } = await start(secrets({ clientCertPem: undefined }, null), world());
    const fail = await serial.waitFor(/^RIG: connect fail/, 40_000);
    report('mkr no client cert', [fail]);
    assert.equal(fail, 'RIG: connect fail state=-2 tls=296 text=""');
  });

  it('slot key that does not match the certificate -> broker rejects the CertificateVerify', async () => {
    const other = path.join(pki.dir, 'slot-other.key');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', other]);
    const { serial } = await start(secrets({}), world({ eccSlots: { '0': other } }));
    const fail = await serial.waitFor(/^RIG: connect fail/, 40_000);
    report('mkr wrong slot key', [fail]);
    assert.equal(fail, 'RIG: connect fail state=-2 tls=307 text=""'); // received decrypt_error (256 + 51)
  });

  it('P-384 / SHA-384 ECDSA server chain: ECCX08 verify after setEccSlot -> 52; software key (setKey) -> connects', async () => {
    const w = world({ ports: { '8883': p384.port } });
    const chip = await start(secrets({ caCertPem: pki.pem('p384ca.crt') }), w);
    const fail = await chip.serial.waitFor(/^RIG: connect fail/, 40_000);
    assert.equal(fail, 'RIG: connect fail state=-2 tls=52 text=""');
    await stopAll(running);
    const soft = await start(
      secrets(
        { caCertPem: pki.pem('p384ca.crt'), clientCertPem: pki.pem('client.crt'), clientKeyPem: pki.pem('client.key') },
        null,
      ),
      w,
    );
    const line = await soft.serial.waitFor(/^RIG: conn/, 40_000);
    assert.equal(line, 'RIG: connected', soft.serial.lines().join('\n'));
  });

  it('TLS 1.3-only peer -> raw errorCode 326 (received protocol_version)', async () => {
    const srv = await startSServer(pki.file('ipcn.crt'), pki.file('ipcn.key'), ['-tls1_3']);
    try {
      const { serial } = await start(secrets({}), world({ ports: { '8883': srv.port } }));
      const fail = await serial.waitFor(/^RIG: connect fail/, 30_000);
      assert.equal(fail, 'RIG: connect fail state=-2 tls=326 text=""');
    } finally {
      await srv.stop();
    }
  });

  it('a world eccSlots entry that is not a P-256 key ends the twin with a message naming the field', async () => {
    const { twin } = await start(secrets({}), world({ eccSlots: { '0': pki.file('client.key') } }));
    const exit = await twin.exited;
    assert.equal(exit.code, 78);
    assert.match(twin.stderr(), /eccSlots\.0: .*client\.key is not an EC private key/);
  });

  it("WiFiSSLClient compiles as the WINC1500 model's client (a Client, as PubSubClient takes it)", async () => {
    const dir = mkdtempSync(path.join(tmp, 'sslclient-'));
    const src = path.join(dir, 'use.cpp');
    writeFileSync(src, '#include <Arduino.h>\n#include <WiFi101.h>\nWiFiSSLClient c;\nClient& asClient = c;\n');
    const layout = await hostCoreLayout('mkr1000');
    let out = '';
    try {
      execFileSync(
        'g++',
        [
          '-std=gnu++17',
          '-fsyntax-only',
          '-DTWIN=1',
          '-DARDUINO_ARCH_SAMD',
          ...layout.includeDirs.map((d) => `-I${d}`),
          src,
        ],
        { stdio: 'pipe' },
      );
    } catch (e) {
      out = String((e as { stderr?: Buffer }).stderr ?? '');
    }
    assert.equal(out, '', 'compiles without a diagnostic');
  });
});
