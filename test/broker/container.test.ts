import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { startBroker, type BrokerHandle } from '../../rig/broker/index.ts';
import { reachableHost } from '../../rig/broker/container.ts';
import { projectPaths } from '../../rig/project.ts';
import { exitCodeFor } from '../../rig/cli/exit.ts';
import { loadScenario } from '../../rig/scenario/load.ts';
import { runControl } from '../../rig/control/index.ts';
import { buildLocalImage, ensureDockerd, LOCAL_IMAGE } from '../../rig/setup/container-image.ts';
import { seed002Conf } from './helpers/seeds.ts';
import { testPki, type TestPki } from './helpers/test-pki.ts';
import { runQuiet } from '../helpers/matrix.ts';

const dirs: string[] = [];
const work = () => {
  const d = mkdtempSync(join(tmpdir(), 'rig-container-test-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function containerGone(id: string): Promise<boolean> {
  const r = await execa('docker', ['ps', '-a', '-q', '--no-trunc', '--filter', `id=${id}`], { reject: false });
  return r.exitCode === 0 && r.stdout.trim() === '';
}

describe('container broker (testcontainers, Debian-made image)', function () {
  this.timeout(60_000);
  let pki: TestPki;
  const started: BrokerHandle[] = [];

  before(async function () {
    this.timeout(900_000); // first image build runs debootstrap (measured ~25 s here; mirror-bound)
    const d = await ensureDockerd();
    if (!d.ok) {
      console.log(`skip: ${d.reason}`);
      this.skip();
    }
    try {
      const b = await buildLocalImage();
      console.log(`      image ${b.tag}: ${b.built ? `built in ${b.ms} ms ${JSON.stringify(b.steps)}` : 'present'}`);
    } catch (e) {
      console.log(`skip: cannot build ${LOCAL_IMAGE}: ${e instanceof Error ? e.message : String(e)}`);
      this.skip();
    }
    pki = await testPki();
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((h) => h.stop()));
  });

  it('starts mosquitto in a container with the rendered conf and certs; controls connect; stop removes it', async () => {
    const h = await startBroker(
      { users: { alice: 'pw' }, listeners: [{ port: 8883, tls: { cert: 'server' } }, { port: 1883 }] },
      pki,
      { provider: 'container', image: LOCAL_IMAGE, workDir: work() },
    );
    started.push(h);
    assert.equal(h.provider, 'container');
    assert.equal(h.image, LOCAL_IMAGE);
    assert.match(h.version, /^2\.\d+\.\d+$/);
    console.log(`      container start→ready ${h.readyMs} ms`);
    assert.ok(h.ports[8883] > 0 && h.ports[1883] > 0);
    // h.host is where the engine publishes: loopback, or the bridge gateway when the rig runs inside a container
    // (testcontainers' resolveHost). The certificate names localhost, so that is the name checked.
    const ok = await runControl('control', {
      host: h.host,
      servername: 'localhost',
      port: h.ports[8883],
      ca: pki.certs.ca.crt,
      username: 'alice',
      password: 'pw',
      clientId: 'in-container',
    });
    assert.equal(ok.kind, 'connected', JSON.stringify(ok));
    await h.waitForLog(/as in-container/, 5_000);
    assert.ok(h.events().some((e) => e.type === 'connected' && e.clientId === 'in-container'));
    const cli = await runControl('mosquitto-cli', {
      host: h.host,
      port: h.ports[8883],
      ca: pki.certs.otherca.crt,
      username: 'alice',
      password: 'pw',
    });
    assert.equal(cli.kind, 'tls/untrusted', JSON.stringify(cli));
    const bad = await runControl('control', {
      host: h.host,
      port: h.ports[1883],
      username: 'alice',
      password: 'wrong',
    });
    assert.equal(bad.kind, 'mqtt/not-authorized');
    const id = h.containerId ?? '';
    assert.ok(id);
    await h.stop();
    assert.equal(await containerGone(id), true);
  });

  it('loads the verbatim seed 002 conf in the container', async () => {
    const h = await startBroker({ conf: seed002Conf(), users: { esp8266: 'secret' } }, pki, {
      provider: 'container',
      image: LOCAL_IMAGE,
      workDir: work(),
    });
    started.push(h);
    const o = await runControl('control', {
      host: h.host,
      servername: 'localhost',
      port: h.ports[8883],
      ca: pki.certs.ca.crt,
      cert: pki.certs.client.crt,
      key: pki.certs.client.key,
      username: 'esp8266',
      password: 'secret',
    });
    assert.equal(o.kind, 'connected', JSON.stringify(o));
  });

  it('a start failure carries the container log tail', async () => {
    // Other rig runs on this host may have brokers up: only containers this start adds count.
    const labelled = async (): Promise<string[]> =>
      (await execa('docker', ['ps', '-a', '-q', '--no-trunc', '--filter', 'label=org.the-rig.broker'])).stdout
        .split('\n')
        .filter(Boolean);
    const before = new Set(await labelled());
    const err = await startBroker({ listeners: [{ port: 8883, tls: { cert: 'server-sha1' } }] }, pki, {
      provider: 'container',
      image: LOCAL_IMAGE,
      workDir: work(),
      readyTimeoutMs: 10_000,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof Error && err.name === 'BrokerStartError', String(err));
    assert.match(err.message, /ca md too weak/);
    assert.deepEqual(
      (await labelled()).filter((id) => !before.has(id)),
      [],
      'the failed container was removed',
    );
  });

  it('auto picks the container when the runtime answers and the image is present, else local', async () => {
    const a = await startBroker({ listeners: [{ port: 1883 }] }, pki, {
      provider: 'auto',
      image: LOCAL_IMAGE,
      workDir: work(),
    });
    started.push(a);
    assert.equal(a.provider, 'container');
    const b = await startBroker({ listeners: [{ port: 1883 }] }, pki, {
      provider: 'auto',
      image: 'rig-absent:none',
      workDir: work(),
    });
    started.push(b);
    assert.equal(b.provider, 'local');
    assert.match(b.providerReason ?? '', /rig-absent:none is not present/);
  });

  it('runs the seed-002 example end to end (ESP8266 twin + both PCs) against the container broker', async function () {
    this.timeout(300_000);
    const paths = projectPaths();
    const r = await runQuiet({
      scenarios: [await loadScenario(join(paths.scenarios, 'seeds', 'esp8266-san-ip-bad-server-name.yaml'))],
      broker: 'container',
      outDir: join(work(), 'run'),
      paths,
    });
    assert.equal(r.results.run.broker?.provider, 'container');
    const seen = r.results.cells.map((c) => `${c.variant}/${c.board}:${c.status}:${c.outcome.kind}`).sort();
    assert.deepEqual(seen, [
      'broken/control:pass:connected',
      'broken/esp8266:pass:tls/name-mismatch',
      'fixed/control:pass:connected',
      'fixed/esp8266:pass:connected',
    ]);
    assert.equal(exitCodeFor(r.results), 0);
  });
});

describe('container broker address', () => {
  it('an engine gateway that is one of our own addresses means loopback reaches the published ports', () => {
    assert.equal(reachableHost('172.17.0.1', ['127.0.0.1', '172.17.0.1']), '127.0.0.1');
    assert.equal(reachableHost('localhost', ['127.0.0.1']), '127.0.0.1');
  });
  it('a gateway of another machine or namespace is kept', () => {
    assert.equal(reachableHost('172.18.0.1', ['127.0.0.1', '172.17.0.1']), '172.18.0.1');
  });
});
