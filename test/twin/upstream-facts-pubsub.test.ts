// PubSubClient 2.8 against the facts read upstream (test/fixtures/upstream-facts/pubsubclient.yaml): one run of a
// sketch that exercises each, against a real mosquitto.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SerialCapture } from '../../rig/serial/capture.ts';
import { buildTwin, startTwin, type TwinProcess } from '../../rig/twin/index.ts';
import { makePki, startMosquitto, type TestBroker } from './helpers.ts';
import { checkLines, loadFacts } from './upstream-facts.ts';
import { sharedTwinCache } from '../helpers/twin-cache.ts';

const SKETCH = fileURLToPath(new URL('./fixtures/pubsub-28/', import.meta.url));
const FACTS = loadFacts('pubsubclient');

describe('twin: PubSubClient 2.8 against the upstream facts', function () {
  this.timeout(180_000);
  let tmp: string;
  let broker: TestBroker;
  let twin: TwinProcess;
  let serial: SerialCapture;

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-facts-pubsub-'));
    chmodSync(tmp, 0o755);
    const pki = makePki(path.join(tmp, 'pki'));
    broker = await startMosquitto(pki.dir, pki, 'localhost', { plain: true });
    const build = await buildTwin({
      sketchDir: SKETCH,
      core: 'esp32',
      secretsHeader: `#define SECRET_PORT ${broker.port}\n`,
      coreVersion: '2.0.17',
      debugLevel: 0,
      cacheDir: sharedTwinCache(),
    });
    twin = await startTwin({
      binary: build.binary,
      workDir: mkdtempSync(path.join(tmp, 'run-')),
      world: { coreVersion: '2.0.17', debugLevel: 0 },
    });
    serial = await SerialCapture.open({ path: twin.ptyPath, baudRate: 115200 });
    twin.go();
    await serial.waitFor(/^T: done$/, 60_000);
  });
  after(async () => {
    await serial?.close();
    await twin?.kill();
    await broker?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const f of FACTS) {
    it(`${f.event}: ${f.message}`, () => {
      const problem = checkLines(f, serial.lines());
      assert.equal(problem, undefined, `${problem}\n(source: ${f.source})`);
    });
  }

  it('the reused transport is the one connection the broker saw for that client', () => {
    const log = broker.log();
    const reuse = log.split('\n').filter((l) => /New client connected from .* as pubsub28-reuse/.test(l));
    assert.equal(reuse.length, 1, log);
    // The sketch's own connect() and PubSubClient's CONNECT share one TCP connection: no second "New connection".
    const conns = log.split('\n').filter((l) => /New connection from/.test(l)).length;
    assert.equal(conns, 3, log);
  });
});
