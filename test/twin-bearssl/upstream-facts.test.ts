// ESP8266 and MKR1000 version rows against the facts read upstream (test/fixtures/upstream-facts/esp8266.yaml,
// mkr1000.yaml): the twin imitating each release prints (or records) exactly that. Real mosquitto, Debian BearSSL.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTwin, TwinMissingApiError, type TwinWorld } from '../../rig/twin/index.ts';
import { DEFAULT_BOARDS_DIR } from '../../rig/twin/hostcore.ts';
import { loadVersionTable, rowFor, versionTableFile } from '../../rig/boards/versions.ts';
import { secretsHeader, type SecretsInput } from '../../rig/target/secrets.ts';
import { startMosquitto, type TestBroker, type TestPki } from '../twin/helpers.ts';
import { checkLines, loadFacts, type Fact } from '../twin/upstream-facts.ts';
import { makeBearPki, type BearPki } from './pki.ts';
import { runTwin, stopAll, type RunningTwin } from './run.ts';
import { sharedTwinCache } from '../helpers/twin-cache.ts';

const ESP_PROBE = fileURLToPath(new URL('../../sketches/esp8266-bearssl-pubsub/', import.meta.url));
const AXTLS = fileURLToPath(new URL('./fixtures/axtls-probe/', import.meta.url));
const MKR_PROBE = fileURLToPath(new URL('../../sketches/mkr1000-bearssl-pubsub/', import.meta.url));
const ESP_FACTS = loadFacts('esp8266');
const MKR_FACTS = loadFacts('mkr1000');
const DEBUG = { DEBUG_ESP_SSL: '1', DEBUG_ESP_PORT: 'Serial' };

describe('twin-bearssl: ESP8266 and MKR1000 version rows against the upstream facts', function () {
  this.timeout(300_000);
  let tmp: string;
  let cacheDir: string;
  let pki: BearPki;
  let mtls: TestBroker; // server.crt (CN=raspberry, SAN IP:127.0.0.1,DNS:raspberry), require_certificate true
  let open: TestBroker; // the same certificate, no client certificate asked
  let mkr: TestBroker; // ipcn.crt, require_certificate true
  let p384: TestBroker; // P-384 chain signed with SHA-384
  const running: RunningTwin[] = [];

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-facts-bearssl-'));
    chmodSync(tmp, 0o755);
    cacheDir = sharedTwinCache();
    pki = makeBearPki(path.join(tmp, 'pki'));
    const asTestPki: TestPki = {
      dir: pki.dir,
      caCrt: pki.caCrt,
      leaf: (n) => ({ crt: pki.file(`${n}.crt`), key: pki.file(`${n}.key`) }),
    };
    mtls = await startMosquitto(pki.dir, asTestPki, 'server', { requireCert: true });
    open = await startMosquitto(pki.dir, asTestPki, 'server');
    mkr = await startMosquitto(pki.dir, asTestPki, 'ipcn', { requireCert: true });
    p384 = await startMosquitto(pki.dir, { ...asTestPki, caCrt: pki.file('bundle.crt') }, 'p384', {
      requireCert: true,
    });
  });
  afterEach(() => stopAll(running));
  after(async () => {
    await Promise.all([mtls, open, mkr, p384].map((b) => b?.stop()));
    rmSync(tmp, { recursive: true, force: true });
  });

  it('every ESP8266 and MKR1000 row (and ArduinoBearSSL row) has a fact, except rows assumed from a neighbour', async () => {
    for (const [family, facts] of [
      ['esp8266', ESP_FACTS],
      ['mkr1000', MKR_FACTS],
    ] as const) {
      const table = await loadVersionTable(versionTableFile(DEFAULT_BOARDS_DIR, family));
      for (const f of facts) assert.ok(rowFor(table.rows, f.version), `${family} fact for ${f.version}: no row`);
      for (const row of table.rows)
        assert.ok(
          facts.some((f) => row.releases.includes(f.version)) || row.basis === 'assumed',
          `${family} row ${row.id} has no fact`,
        );
    }
    const bear = (await loadVersionTable(versionTableFile(DEFAULT_BOARDS_DIR, 'mkr1000'))).libraries.ArduinoBearSSL!;
    const pinned = MKR_FACTS.map((f) => f.library?.ArduinoBearSSL).filter((v): v is string => !!v);
    const untested = bear.rows.filter((r) => !pinned.some((v) => r.releases.includes(v))).map((r) => r.id);
    // Rows that differ only in which methods exist share the missing-api event; these are the ones without a run.
    assert.deepEqual(untested, ['1.7.3', '1.7.2', '1.7.0-1.7.1', '1.4.0']);
  });

  const world = (b: TestBroker, version: string, over: Partial<TwinWorld> = {}): TwinWorld => ({
    hosts: { raspberry: '127.0.0.1' },
    ports: { '8883': b.port },
    ntp: true,
    coreVersion: version,
    debugLevel: 0,
    ...over,
  });

  function espSetup(f: Fact): { header: string; broker: TestBroker; defines?: Record<string, string>; sketch: string } {
    const secrets = (over: Partial<SecretsInput>) =>
      secretsHeader({
        broker: 'raspberry',
        port: 8883,
        clientId: 'facts-esp8266',
        topic: 'rig/facts',
        caCertPem: pki.pem('ca.crt'),
        ...over,
      });
    switch (f.event) {
      case 'alert':
        return { header: secrets({}), broker: mtls, sketch: ESP_PROBE };
      case 'debug-dns':
        return { header: secrets({ broker: 'nosuch.lan' }), broker: open, defines: DEBUG, sketch: ESP_PROBE };
      case 'debug-handshake':
        return { header: secrets({ broker: '127.0.0.1' }), broker: open, defines: DEBUG, sketch: ESP_PROBE };
      case 'debug-no-auth':
        return { header: secrets({ caCertPem: undefined }), broker: open, defines: DEBUG, sketch: ESP_PROBE };
      case 'axtls-no-clock':
      case 'axtls-clock':
        return { header: axtlsHeader(), broker: open, sketch: AXTLS };
      default:
        throw new Error(`no ESP8266 setup for event ${f.event}`);
    }
  }

  /** The axTLS sketch's settings: the CA as DER bytes, as 2.4.x sketches embedded it. */
  function axtlsHeader(): string {
    const der = Buffer.from(
      pki
        .pem('ca.crt')
        .replace(/-----[^-]+-----/g, '')
        .replace(/\s+/g, ''),
      'base64',
    );
    return [
      '#pragma once',
      '#define SECRET_BROKER "raspberry"',
      '#define SECRET_PORT 8883',
      `static const uint8_t caDer[] = {${[...der].map((b) => `0x${b.toString(16)}`).join(',')}};`,
      '',
    ].join('\n');
  }

  for (const f of ESP_FACTS) {
    it(`esp8266 ${f.version} ${f.event}: ${f.message}`, async () => {
      const s = espSetup(f);
      // Built for the default core; the row is chosen at run time from the world's version. The axTLS sketch needs
      // the release's compile-time meaning of WiFiClientSecure, so it is built for the fact's release.
      const coreVersion = s.sketch === AXTLS ? f.version : '3.1.2';
      const r = await runTwin({
        sketchDir: s.sketch,
        core: 'esp8266',
        coreVersion,
        header: s.header,
        world: world(s.broker, f.version, { ntp: f.event !== 'axtls-no-clock' }),
        cacheDir,
        tmp,
        defines: s.defines,
      });
      running.push(r);
      await r.serial.waitFor(s.sketch === AXTLS ? /^AX: done$/ : /^RIG: connect(ed| fail)/, 60_000);
      const problem = checkLines(f, r.serial.lines());
      assert.equal(problem, undefined, `${problem}\n(source: ${f.source})`);
      if (f.fact) assert.ok(r.twin.facts().includes(f.fact), r.twin.facts().join(','));
    });
  }

  function mkrHeader(f: Fact): string {
    const p384Case = f.event === 'p384-setkey' || (f.event === 'missing-api' && /setKey/.test(f.lines.join()));
    return secretsHeader({
      broker: '127.0.0.1',
      port: 8883,
      clientId: 'facts-mkr',
      topic: 'rig/facts',
      ...(p384Case
        ? {
            caCertPem: pki.pem('p384ca.crt'),
            clientCertPem: pki.pem('client.crt'),
            clientKeyPem: pki.pem('client.key'),
          }
        : { caCertPem: pki.pem('ca.crt'), clientCertPem: pki.pem('slot0.crt'), eccSlot: 0 }),
    });
  }

  for (const f of MKR_FACTS) {
    it(`mkr1000 ${f.version} ${f.event} (${JSON.stringify(f.library ?? {})}): ${f.message}`, async () => {
      if (f.event === 'missing-api') {
        await assert.rejects(
          buildTwin({
            sketchDir: MKR_PROBE,
            core: 'mkr1000',
            secretsHeader: mkrHeader(f),
            coreVersion: f.version,
            debugLevel: 0,
            cacheDir,
            libraryVersions: f.library,
          }),
          (e: unknown) => e instanceof TwinMissingApiError && f.lines.every((l) => e.message.includes(l)),
        );
        return;
      }
      const build = await buildTwin({
        sketchDir: MKR_PROBE,
        core: 'mkr1000',
        secretsHeader: mkrHeader(f),
        coreVersion: '1.8.14',
        debugLevel: 0,
        cacheDir,
        libraryVersions: f.library,
      });
      const broker = f.event === 'p384-setkey' ? p384 : mkr;
      const r = await runTwin({
        prebuilt: build.binary,
        sketchDir: MKR_PROBE,
        core: 'mkr1000',
        coreVersion: f.version,
        header: '',
        world: {
          ...world(broker, f.version, { ntp: f.event !== 'probe-no-clock', hosts: {} }),
          eccSlots: { '0': pki.file('slot0.key') },
        },
        cacheDir,
        tmp,
      });
      running.push(r);
      await r.serial.waitFor(/^RIG: connect(ed| fail)/, 60_000);
      const problem = checkLines(f, r.serial.lines());
      assert.equal(problem, undefined, `${problem}\n(source: ${f.source})`);
    });
  }
});
