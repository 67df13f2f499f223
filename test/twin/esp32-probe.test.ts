// ESP32 twin end to end: real g++, Debian mbedTLS 2.28, mosquitto, and the serial port read through a pty.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SerialCapture } from '../../rig/serial/capture.ts';
import {
  bootTwin,
  buildTwin,
  sandboxAvailable,
  startTwin,
  type TwinProcess,
  type TwinWorld,
} from '../../rig/twin/index.ts';
import { secretsHeader, type SecretsInput } from '../../rig/target/secrets.ts';
import { makePki, readPem, startMosquitto, type TestBroker, type TestPki } from './helpers.ts';
import { sharedTwinCache } from '../helpers/twin-cache.ts';

const SKETCH = fileURLToPath(new URL('../../sketches/esp32-wificlientsecure-pubsub/', import.meta.url));
// 2.0.x log prefix: "[%6u][E][file:line] func(): " (docs/tls-esp32.md §1.3); the timestamp is masked.
const TS = String.raw`\[\s*\d+\]`;

describe('twin: ESP32 probe sketch (WiFiClientSecure + PubSubClient)', function () {
  this.timeout(180_000);
  let tmp: string;
  let cacheDir: string;
  let pki: TestPki;
  let good: TestBroker; // SAN DNS:localhost
  let home: TestBroker; // CN=home, no SAN
  let expired: TestBroker;
  let mutual: TestBroker; // require_certificate true
  let plain: TestBroker; // no TLS on the listener
  let ipsan: TestBroker; // SAN IP:127.0.0.1 only
  const running: { twin: TwinProcess; serial: SerialCapture }[] = [];

  before(async function () {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-twin-test-'));
    chmodSync(tmp, 0o755); // mosquitto drops root privileges before reading the certificates
    cacheDir = sharedTwinCache();
    pki = makePki(path.join(tmp, 'pki'));
    good = await startMosquitto(pki.dir, pki, 'localhost');
    home = await startMosquitto(pki.dir, pki, 'home');
    expired = await startMosquitto(pki.dir, pki, 'expired');
    mutual = await startMosquitto(pki.dir, pki, 'localhost', { requireCert: true });
    plain = await startMosquitto(pki.dir, pki, 'localhost', { plain: true });
    ipsan = await startMosquitto(pki.dir, pki, 'ipsan');
  });

  afterEach(async () => {
    for (const r of running.splice(0)) {
      await r.serial.close();
      await r.twin.kill();
    }
  });

  after(async () => {
    await Promise.all([good, home, expired, mutual, plain, ipsan].map((b) => b?.stop()));
    rmSync(tmp, { recursive: true, force: true });
  });

  function secrets(over: Partial<SecretsInput>): string {
    return secretsHeader({
      broker: 'localhost',
      port: 8883,
      clientId: 'twin-probe',
      topic: 'rig/test',
      caCertPem: readPem(pki.caCrt),
      ...over,
    });
  }

  function world(broker: TestBroker, over: Partial<TwinWorld> = {}): TwinWorld {
    return {
      hosts: { localhost: '127.0.0.1', home: '127.0.0.1' },
      ports: { '8883': broker.port },
      ntp: false,
      coreVersion: '2.0.17',
      debugLevel: 1,
      ...over,
    };
  }

  function build(header: string, coreVersion = '2.0.17') {
    return buildTwin({ sketchDir: SKETCH, core: 'esp32', secretsHeader: header, coreVersion, debugLevel: 1, cacheDir });
  }

  async function run(header: string, w: TwinWorld, opts: { sandbox?: boolean; coreVersion?: string } = {}) {
    const built = await build(header, opts.coreVersion);
    const workDir = mkdtempSync(path.join(tmp, 'run-'));
    const t0 = Date.now();
    const { process: twin, serial } = await bootTwin({
      binary: built.binary,
      world: w,
      workDir,
      sandbox: opts.sandbox,
    });
    running.push({ twin, serial });
    return { build: built, twin, serial, t0 };
  }

  it('connects to "localhost" with the CA (SAN DNS:localhost), publishes, and echoes a command', async () => {
    // Built before the subscriber starts: a cold build on a busy machine can outlast its -W.
    const cold = await build(secrets({}));
    const sub = spawn('mosquitto_sub', [
      '-h',
      'localhost',
      '-p',
      String(good.port),
      '--cafile',
      pki.caCrt,
      '-i',
      'rig-test-sub',
      '-t',
      'rig/test/#',
      '-v',
      '-C',
      '2',
      '-W',
      '30',
    ]);
    let got = '';
    sub.stdout.setEncoding('utf8').on('data', (d: string) => {
      got += d;
    });
    const subDone = new Promise<void>((resolve) => sub.once('exit', () => resolve()));
    await good.waitForLog(/Received SUBSCRIBE from rig-test-sub/, 10_000);

    const { twin, serial, t0 } = await run(secrets({}), world(good));
    await serial.waitFor(/^RIG: connected$/, 20_000);
    const connectedMs = Date.now() - t0;
    await serial.waitFor(/^RIG: published$/, 5_000);
    await good.waitForLog(/New client connected from 127\.0\.0\.1:\d+ as twin-probe/, 5_000);
    console.log(
      `      figures: start-to-"RIG: connected" ${connectedMs} ms; twin RSS ${twin.rssKb()} kB; build ${cold.cached ? 'cached' : 'cold'} ${cold.ms} ms (host core ${cold.coreLibCached ? 'cached' : 'cold'} ${cold.coreLibMs} ms)`,
    );

    const pub = spawn('mosquitto_pub', [
      '-h',
      'localhost',
      '-p',
      String(good.port),
      '--cafile',
      pki.caCrt,
      '-t',
      'rig/test/cmd',
      '-m',
      'ping-42',
    ]);
    await new Promise<void>((resolve) => pub.once('exit', () => resolve()));
    await serial.waitFor(/^RIG: echo ping-42$/, 10_000);
    await subDone;
    assert.match(got, /^rig\/test\/up hello from twin-probe$/m);
    assert.ok(twin.facts().includes('tls-name:localhost'), twin.facts().join(','));
    assert.ok(twin.facts().includes('pubsubclient:0'));
    assert.ok(twin.facts().includes('serial-baud:115200'));
  });

  it('connect by IP 127.0.0.1 to a CN=home cert fails with -9984 in the 2.0.x format, fact flags 0x4', async () => {
    const { twin, serial } = await run(secrets({ broker: '127.0.0.1', brokerIsIp: true }), world(home));
    const fail = await serial.waitFor(/^RIG: connect fail/, 20_000);
    assert.equal(
      fail,
      'RIG: connect fail state=-2 tls=-9984 text="X509 - Certificate verification failed, e.g. CRL, CA or signature check failed"',
    );
    const lines = serial.lines();
    const h = lines.findIndex((l) =>
      new RegExp(
        `^${TS}\\[E\\]\\[ssl_client\\.cpp:37\\] _handle_error\\(\\): \\[start_ssl_client\\(\\):273\\]: \\(-9984\\) X509 - Certificate verification failed, e.g\\. CRL, CA or signature check failed$`,
      ).test(l),
    );
    assert.ok(h >= 0, lines.join('\n'));
    assert.match(
      lines[h + 1],
      new RegExp(`^${TS}\\[E\\]\\[WiFiClientSecure\\.cpp:144\\] connect\\(\\): start_ssl_client: -9984$`),
    );
    const facts = twin.facts();
    assert.ok(facts.includes('mbedtls-flags:0x4'), facts.join(','));
    assert.ok(facts.includes('mbedtls:-9984'));
    assert.ok(facts.includes('tls-name:127.0.0.1'));
  });

  it("Core Debug Level 0 (the IDE default) prints no core log lines, only the sketch's own", async () => {
    const { twin, serial } = await run(
      secrets({ broker: '127.0.0.1', brokerIsIp: true }),
      world(home, { debugLevel: 0 }),
    );
    await serial.waitFor(/^RIG: connect fail state=-2 tls=-9984 /, 20_000);
    assert.ok(!serial.lines().some((l) => /\[E\]/.test(l)), serial.lines().join('\n'));
    assert.ok(twin.facts().includes('mbedtls:-9984')); // the side channel still has the raw facts
  });

  it('before 1.0.4 the same failure prints the two handle_error() lines of seed 000 (core 1.0.2)', async () => {
    const { serial } = await run(
      secrets({ broker: '127.0.0.1', brokerIsIp: true }),
      world(home, { coreVersion: '1.0.2' }),
    );
    await serial.waitFor(/^RIG: connect fail/, 20_000);
    const lines = serial.lines();
    const i = lines.indexOf(
      '[E][ssl_client.cpp:33] handle_error(): X509 - Certificate verification failed, e.g. CRL, CA or signature check failed',
    );
    assert.ok(i >= 0, lines.join('\n'));
    assert.equal(lines[i + 1], '[E][ssl_client.cpp:35] handle_error(): MbedTLS message code: -9984');
    assert.equal(lines[i + 2], '[E][WiFiClientSecure.cpp:132] connect(): start_ssl_client: -9984');
  });

  it('on 1.0.6 the failure is one _handle_error() line with function and line, still without a timestamp', async () => {
    const { serial } = await run(
      secrets({ broker: '127.0.0.1', brokerIsIp: true }),
      world(home, { coreVersion: '1.0.6' }),
    );
    await serial.waitFor(/^RIG: connect fail/, 20_000);
    const lines = serial.lines();
    const i = lines.indexOf(
      '[E][ssl_client.cpp:36] _handle_error(): [start_ssl_client():216]: (-9984) X509 - Certificate verification failed, e.g. CRL, CA or signature check failed',
    );
    assert.ok(i >= 0, lines.join('\n'));
    assert.equal(lines[i + 1], '[E][WiFiClientSecure.cpp:133] connect(): start_ssl_client: -9984');
    assert.ok(!lines.some((l) => /MbedTLS message code/.test(l)));
  });

  it('no CA on core 1.0.4 connects without verification (VERIFY_NONE), as cores before 1.0.5 did', async () => {
    const { twin, serial } = await run(
      secrets({ broker: '127.0.0.1', brokerIsIp: true, caCertPem: undefined }),
      world(home, { coreVersion: '1.0.4', debugLevel: 3 }),
    );
    await serial.waitFor(/^RIG: connected$/, 20_000);
    assert.ok(
      serial
        .lines()
        .includes(
          '[I][ssl_client.cpp:156] start_ssl_client(): WARNING: Use certificates for a more secure communication!',
        ),
      serial.lines().join('\n'),
    );
    assert.ok(twin.facts().includes('tls-no-trust-verify-none'));
  });

  it('an expired server certificate still connects (the ESP32 core does not check dates)', async () => {
    const { twin, serial } = await run(secrets({}), world(expired));
    await serial.waitFor(/^RIG: connected$/, 20_000);
    // Debian's mbedTLS saw a date problem and the twin cleared it, as the board never sees it.
    assert.ok(
      twin.facts().some((f) => /^mbedtls-ignored-flags:0x/.test(f)),
      twin.facts().join(','),
    );
  });

  it('no CA and not insecure: start_ssl_client: -1 and no socket', async () => {
    const header = secrets({ caCertPem: undefined });
    assert.doesNotMatch(header, /SECRET_CA_CERT/);
    const connections = () =>
      good
        .log()
        .split('\n')
        .filter((l) => /New connection from/.test(l)).length;
    const before = connections();
    const { twin, serial } = await run(header, world(good));
    const fail = await serial.waitFor(/^RIG: connect fail/, 20_000);
    assert.match(fail, /^RIG: connect fail state=-2 tls=-1 /);
    assert.ok(
      serial
        .lines()
        .some((l) =>
          new RegExp(`^${TS}\\[E\\]\\[WiFiClientSecure\\.cpp:144\\] connect\\(\\): start_ssl_client: -1$`).test(l),
        ),
    );
    assert.ok(!serial.lines().some((l) => /_handle_error/.test(l)));
    assert.ok(twin.facts().includes('tls-no-trust'));
    assert.equal(connections(), before, 'no socket reached the broker');
  });

  it('setInsecure() connects to the CN=home cert by IP (no name check with VERIFY_NONE)', async () => {
    const { serial } = await run(
      secrets({ broker: '127.0.0.1', brokerIsIp: true, caCertPem: undefined, insecure: true }),
      world(home),
    );
    await serial.waitFor(/^RIG: connected$/, 20_000);
  });

  it('a closed port: socket error line with lwIP errno 104 and fd 48, then start_ssl_client: -1', async () => {
    const closed = { ...good, port: 1 } as TestBroker; // port 1 on loopback: nothing listens
    const { twin, serial } = await run(secrets({}), world(closed));
    await serial.waitFor(/^RIG: connect fail/, 20_000);
    const lines = serial.lines();
    const i = lines.findIndex((l) =>
      new RegExp(
        `^${TS}\\[E\\]\\[ssl_client\\.cpp:129\\] start_ssl_client\\(\\): socket error on fd 48, errno: 104, "Connection reset by peer"$`,
      ).test(l),
    );
    assert.ok(i >= 0, lines.join('\n'));
    assert.match(lines[i + 1], /\[E\]\[WiFiClientSecure\.cpp:144\] connect\(\): start_ssl_client: -1$/);
    assert.ok(twin.facts().includes('tcp-errno:111'));
  });

  it('an unknown host name: DNS Failed line only, state -2, lastError 0', async () => {
    const { serial } = await run(secrets({ broker: 'nosuch.lan' }), world(good));
    const fail = await serial.waitFor(/^RIG: connect fail/, 20_000);
    assert.equal(fail, 'RIG: connect fail state=-2 tls=0 text=""');
    assert.ok(
      serial
        .lines()
        .some((l) =>
          new RegExp(`^${TS}\\[E\\]\\[WiFiGeneric\\.cpp:1582\\] hostByName\\(\\): DNS Failed for nosuch\\.lan$`).test(
            l,
          ),
        ),
    );
    assert.ok(!serial.lines().some((l) => /start_ssl_client/.test(l)));
  });

  it('a CA string that is not PEM: -8576 at line 187, after the TCP connect', async () => {
    const { serial } = await run(secrets({ caCertPem: 'not a certificate' }), world(good));
    await serial.waitFor(/^RIG: connect fail/, 20_000);
    assert.ok(
      serial
        .lines()
        .some((l) =>
          /\[start_ssl_client\(\):187\]: \(-8576\) X509 - The CRT\/CRL\/CSR format is invalid, e\.g\. different type expected$/.test(
            l,
          ),
        ),
      serial.lines().join('\n'),
    );
  });

  it('the same on core 1.0.4 prints the line of the forum report (arduino-esp32 #3248) byte for byte', async () => {
    const { serial } = await run(secrets({ caCertPem: 'not a certificate' }), world(good, { coreVersion: '1.0.4' }));
    await serial.waitFor(/^RIG: connect fail/, 20_000);
    assert.ok(
      serial
        .lines()
        .includes(
          '[E][ssl_client.cpp:33] _handle_error(): [start_ssl_client():122]: (-8576) X509 - The CRT/CRL/CSR format is invalid, e.g. different type expected',
        ),
      serial.lines().join('\n'),
    );
  });

  it('a broker that requires a client certificate: -30592 without one, connected with one', async () => {
    const without = await run(secrets({}), world(mutual));
    await without.serial.waitFor(/^RIG: connect fail/, 20_000);
    // The broker sends an alert and closes with our Finished unread, so the kernel may reset the connection
    // before the alert is read: -30592 (alert) or -80 (reset) — a race a board can lose the same way.
    assert.ok(
      without.serial
        .lines()
        .some((l) =>
          /\[start_ssl_client\(\):273\]: \((-30592\) SSL - A fatal alert message was received from our peer|-80\) UNKNOWN ERROR CODE \(0050\))$/.test(
            l,
          ),
        ),
      without.serial.lines().join('\n'),
    );
    const leaf = pki.leaf('client');
    const withCert = await run(
      secrets({ clientCertPem: readPem(leaf.crt), clientKeyPem: readPem(leaf.key) }),
      world(mutual),
    );
    await withCert.serial.waitFor(/^RIG: connected$/, 20_000);
  });

  it("TLS to a plain MQTT port fails in the handshake with the board's text for the error", async () => {
    const { serial } = await run(secrets({}), world(plain));
    await serial.waitFor(/^RIG: connect fail/, 20_000);
    const h = serial.lines().find((l) => /_handle_error\(\): \[start_ssl_client\(\):273\]/.test(l));
    // Reset by peer prints the ESP build's text for -0x50 (no NET_C strings); a clean close is an EOF.
    assert.ok(
      h && /\((-80\) UNKNOWN ERROR CODE \(0050\)|-29312\) SSL - The connection indicated an EOF)$/.test(h),
      serial.lines().join('\n'),
    );
  });

  it('an IP-only SAN: -9984 (flags 0x4) on core 2.0.17, connected on core 3.1.2 (mbedTLS 3.6 matches IP SANs)', async () => {
    const header = secrets({ broker: '127.0.0.1', brokerIsIp: true });
    const old = await run(header, world(ipsan));
    await old.serial.waitFor(/^RIG: connect fail state=-2 tls=-9984 /, 20_000);
    assert.ok(old.twin.facts().includes('mbedtls-flags:0x4'));
    const v3 = await run(header, world(ipsan, { coreVersion: '3.1.2' }), { coreVersion: '3.1.2' });
    await v3.serial.waitFor(/^RIG: connected$/, 20_000);
    assert.ok(v3.twin.facts().includes('tls-san-ip-match:127.0.0.1'));
  });

  it('core 3.x prints NetworkClientSecure and ssl_starttls_handshake lines', async () => {
    const { serial } = await run(
      secrets({ broker: '127.0.0.1', brokerIsIp: true }),
      world(home, { coreVersion: '3.1.2' }),
      { coreVersion: '3.1.2' },
    );
    await serial.waitFor(/^RIG: connect fail/, 20_000);
    const lines = serial.lines();
    const i = lines.findIndex((l) =>
      new RegExp(
        `^${TS}\\[E\\]\\[ssl_client\\.cpp:36\\] _handle_error\\(\\): \\[ssl_starttls_handshake\\(\\):317\\]: \\(-9984\\) X509 - `,
      ).test(l),
    );
    assert.ok(i >= 0, lines.join('\n'));
    assert.match(
      lines[i + 1],
      new RegExp(
        `^${TS}\\[E\\]\\[NetworkClientSecure\\.cpp:159\\] connect\\(\\): start_ssl_client: connect failed: -9984$`,
      ),
    );
  });

  it('runs inside the bubblewrap sandbox and still reaches the broker on loopback', async function () {
    const probe = sandboxAvailable();
    if (!probe.ok) {
      console.log(`skip: bwrap unavailable: ${probe.reason}`);
      this.skip();
    }
    const { twin, serial } = await run(secrets({}), world(good), { sandbox: true });
    assert.equal(twin.sandboxed, true);
    await serial.waitFor(/^RIG: connected$/, 20_000);
    console.log(`      figures: sandboxed twin RSS ${twin.rssKb()} kB`);
  });

  it('a warm rebuild runs no compiler', async () => {
    const header = secrets({});
    const first = await buildTwin({
      sketchDir: SKETCH,
      core: 'esp32',
      secretsHeader: header,
      coreVersion: '2.0.17',
      debugLevel: 1,
      cacheDir,
    });
    const again = await buildTwin({
      sketchDir: SKETCH,
      core: 'esp32',
      secretsHeader: header,
      coreVersion: '2.0.17',
      debugLevel: 1,
      cacheDir,
    });
    assert.equal(again.cached, true);
    assert.equal(again.coreLibCached, true);
    assert.equal(again.binary, first.binary);
    assert.doesNotMatch(again.log, /g\+\+/);
    console.log(`      figures: warm rebuild ${again.ms} ms`);
  });

  it('exited reports the signal of a killed twin and of a sketch that segfaults', async () => {
    const crashDir = path.join(tmp, 'sketches', 'crash');
    mkdirSync(crashDir, { recursive: true });
    writeFileSync(
      path.join(crashDir, 'crash.ino'),
      [
        'volatile int* nothing = nullptr;',
        'void setup() { Serial.begin(115200); Serial.println("about to crash"); crash(); }',
        'void crash() { *nothing = 1; }',
        'void loop() {}',
        '',
      ].join('\n'),
    );
    const b = await buildTwin({
      sketchDir: crashDir,
      core: 'esp32',
      secretsHeader: '',
      coreVersion: '2.0.17',
      debugLevel: 1,
      cacheDir,
    });
    const { process: crash, serial } = await bootTwin({
      binary: b.binary,
      world: world(good),
      workDir: path.join(tmp, 'crash-run'),
    });
    assert.deepEqual(await crash.exited, { code: null, signal: 'SIGSEGV' });
    await serial.close();

    if (sandboxAvailable().ok) {
      // Under bwrap the crash comes back as exit code 128+11 and is turned back into the signal name.
      const { process: boxed, serial: s2 } = await bootTwin({
        binary: b.binary,
        world: world(good),
        workDir: path.join(tmp, 'crash-run-boxed'),
        sandbox: true,
      });
      assert.deepEqual(await boxed.exited, { code: null, signal: 'SIGSEGV' });
      await s2.close();
    }

    const idle = await startTwin({ binary: b.binary, world: world(good), workDir: path.join(tmp, 'kill-run') });
    process.kill(idle.pid, 'SIGKILL');
    assert.deepEqual(await idle.exited, { code: null, signal: 'SIGKILL' });
  });
});
