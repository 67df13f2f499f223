// Every ESP32 version row against the facts read upstream (test/fixtures/upstream-facts/esp32.yaml): the twin,
// imitating that release, prints exactly those lines. One build per event (the row is chosen at run time from the
// world's core version, as in a rig run), real mosquitto, the serial port read through the pty.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SerialCapture } from '../../rig/serial/capture.ts';
import { buildTwin, startTwin, TwinMissingApiError, type TwinProcess } from '../../rig/twin/index.ts';
import { cString, secretsHeader, type SecretsInput } from '../../rig/target/secrets.ts';
import { loadVersionTable, rowFor, versionTableFile } from '../../rig/boards/versions.ts';
import { DEFAULT_BOARDS_DIR } from '../../rig/twin/hostcore.ts';
import { makePki, readPem, startMosquitto, type TestBroker, type TestPki } from './helpers.ts';
import { checkLines, loadFacts, type Fact } from './upstream-facts.ts';
import { sharedTwinCache } from '../helpers/twin-cache.ts';

const PROBE = fileURLToPath(new URL('../../sketches/esp32-wificlientsecure-pubsub/', import.meta.url));
const ESP_MQTT = fileURLToPath(new URL('./fixtures/esp-mqtt-probe/', import.meta.url));
const FACTS = loadFacts('esp32');

describe('twin: ESP32 version rows against the upstream facts', function () {
  this.timeout(300_000);
  let tmp: string;
  let pki: TestPki;
  let good: TestBroker; // SAN DNS:localhost
  let home: TestBroker; // CN=home, no SAN: a name mismatch by IP
  const running: { twin: TwinProcess; serial: SerialCapture }[] = [];

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-facts-esp32-'));
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

  it('every row of boards/twin/versions/esp32.yaml has a fact, except rows assumed from a neighbour', async () => {
    const table = await loadVersionTable(versionTableFile(DEFAULT_BOARDS_DIR, 'esp32'));
    for (const f of FACTS) assert.ok(rowFor(table.rows, f.version), `fact for ${f.version}: no row covers it`);
    for (const row of table.rows) {
      const covered = FACTS.some((f) => row.releases.includes(f.version));
      assert.ok(covered || row.basis === 'assumed', `row ${row.id} (${row.basis}) has no fact`);
    }
  });

  /** The probe sketch's settings for each event (the broker it reaches, the CA it trusts, the debug level). */
  function probeSetup(f: Fact): { secrets: Partial<SecretsInput>; broker: TestBroker; debugLevel: number } {
    switch (f.event) {
      case 'handshake':
        return { secrets: { broker: '127.0.0.1', brokerIsIp: true }, broker: home, debugLevel: 1 };
      case 'ca-parse':
        return { secrets: { caCertPem: 'not a certificate' }, broker: good, debugLevel: 1 };
      case 'tcp-refused':
        return { secrets: {}, broker: { ...good, port: 1 } as TestBroker, debugLevel: 3 };
      case 'dns':
        return { secrets: { broker: 'nosuch.lan' }, broker: good, debugLevel: 1 };
      case 'no-trust':
        return { secrets: { caCertPem: undefined }, broker: good, debugLevel: 3 };
      case 'insecure':
        return { secrets: { caCertPem: undefined, insecure: true }, broker: good, debugLevel: 4 };
      default:
        throw new Error(`no probe setup for event ${f.event}`);
    }
  }

  function header(over: Partial<SecretsInput>): string {
    return secretsHeader({
      broker: 'localhost',
      port: 8883,
      clientId: 'facts-probe',
      topic: 'rig/facts',
      caCertPem: readPem(pki.caCrt),
      ...over,
    });
  }

  async function start(binary: string, broker: TestBroker, version: string, debugLevel: number) {
    const twin = await startTwin({
      binary,
      workDir: mkdtempSync(path.join(tmp, 'run-')),
      world: {
        hosts: { localhost: '127.0.0.1', home: '127.0.0.1' },
        ports: { '8883': broker.port, '1883': broker.port },
        ntp: false,
        coreVersion: version,
        debugLevel,
      },
    });
    const serial = await SerialCapture.open({ path: twin.ptyPath, baudRate: 115200 });
    running.push({ twin, serial });
    twin.go();
    return { twin, serial };
  }

  async function probe(f: Fact) {
    const s = probeSetup(f);
    const build = await buildTwin({
      sketchDir: PROBE,
      core: 'esp32',
      secretsHeader: header(s.secrets),
      coreVersion: '2.0.17',
      debugLevel: s.debugLevel,
      cacheDir: sharedTwinCache(),
    });
    const { twin, serial } = await start(build.binary, s.broker, f.version, s.debugLevel);
    await serial.waitFor(/^RIG: connect(ed| fail)/, 60_000);
    return { twin, serial: serial.lines() };
  }

  async function espMqtt(f: Fact) {
    const plain = f.event === 'mqtt-plain-refused';
    const uri =
      f.event === 'mqtt-no-connack' ? 'mqtt://localhost:8883' : `${plain ? 'mqtt' : 'mqtts'}://localhost:8883`;
    const ca = f.event === 'mqtt-ca-parse' ? GARBAGE_PEM : readPem(pki.caCrt);
    const secrets = `#define SECRET_URI ${cString(uri)}\n#define SECRET_TOPIC "rig/facts"\n#define SECRET_CA_CERT ${cString(ca)}\n`;
    const build = await buildTwin({
      sketchDir: ESP_MQTT,
      core: 'esp32',
      secretsHeader: secrets,
      coreVersion: '2.0.17',
      debugLevel: 1,
      cacheDir: sharedTwinCache(),
    });
    const refused = /refused/.test(f.event);
    const { twin, serial } = await start(
      build.binary,
      refused ? ({ ...good, port: 1 } as TestBroker) : good,
      f.version,
      1,
    );
    await serial.waitFor(/^EV: disconnected$/, 60_000);
    return { twin, serial: serial.lines() };
  }

  for (const f of FACTS) {
    it(`${f.version} ${f.event}: ${f.message}`, async () => {
      if (f.event === 'missing-api') {
        // The sketch calls setInsecure() (SECRET_INSECURE): on a release without it the build itself fails.
        await assert.rejects(
          buildTwin({
            sketchDir: PROBE,
            core: 'esp32',
            secretsHeader: header({ insecure: true }),
            coreVersion: f.version,
            debugLevel: 1,
            cacheDir: sharedTwinCache(),
          }),
          (e: unknown) => e instanceof TwinMissingApiError && f.lines.every((l) => e.message.includes(l)),
        );
        return;
      }
      const { twin, serial } = f.event.startsWith('mqtt-') ? await espMqtt(f) : await probe(f);
      const problem = checkLines(f, serial);
      assert.equal(problem, undefined, `${problem}\n(source: ${f.source})`);
      if (f.fact) assert.ok(twin.facts().includes(f.fact), twin.facts().join(','));
    });
  }
});

// A PEM block whose body is not base64: mbedtls_pem_read_buffer fails with INVALID_DATA + BASE64 error.
const GARBAGE_PEM = '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n';
