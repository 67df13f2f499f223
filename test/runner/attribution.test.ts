// Messages and broker log lines on a broker that several cells share are attributed to a cell by its MQTT
// client ids (rig/runner/attribution.ts): real Mosquitto, the runner's observer, mqtt.js clients as the cells.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { startBroker, type BrokerHandle } from '../../rig/broker/index.ts';
import { BrokerLedger } from '../../rig/runner/attribution.ts';
import { Observer } from '../../rig/runner/observer.ts';

const TOPIC = 'rig/attr';

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('runner: messages and log lines belong to the cell whose client made them', function () {
  this.timeout(60_000);
  let dir: string;
  let broker: BrokerHandle;
  let observer: Observer;
  let ledger: BrokerLedger;
  let untap: () => void;

  /** Connects as `id`, publishes, disconnects; resolves once the broker logged the publish. */
  async function publish(id: string, payload: string, topic = `${TOPIC}/up`, qos: 0 | 1 = 0): Promise<void> {
    const c = await mqtt.connectAsync({
      host: '127.0.0.1',
      port: broker.ports[1883],
      clientId: id,
      reconnectPeriod: 0,
    });
    await c.publishAsync(topic, payload, { qos });
    await c.endAsync();
    await broker.waitForLog(new RegExp(`Received PUBLISH from ${id} `), 5_000);
  }
  // The observer's socket can beat mosquitto's log pipe: the runner polls until both are in, so the test waits too.
  const seen = (n: number) =>
    until(
      `${n} observed messages and their forwarding lines`,
      () => observer.messages.length >= n && broker.logLines().filter((l) => /Sending PUBLISH to /.test(l)).length >= n,
    );

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rig-attribution-'));
    chmodSync(dir, 0o755);
    broker = await startBroker(
      { listeners: [{ port: 1883 }], allowAnonymous: true },
      { dir, certs: {} },
      { provider: 'local', workDir: dir },
    );
    ledger = new BrokerLedger();
    untap = broker.onLine((l) => ledger.record(l));
    observer = await Observer.start({ host: '127.0.0.1', port: broker.ports[1883], tls: false, topic: TOPIC });
    assert.equal(observer.error, undefined);
    ledger.watchObserver(observer);
  });
  after(async () => {
    untap();
    await observer.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts a message only for the cell whose client id published it, and says why the others do not count', async () => {
    await publish('before-anyone', 'hello');
    await seen(1);
    await new Promise((r) => setTimeout(r, 5)); // the attempts below begin strictly after that message
    const a = ledger.enter('s/v/esp8266#twin', { learns: false });
    const b = ledger.enter('s/v/control#host', { learns: false });
    a.add('rig-esp8266-v');
    b.add('rig-control-v');
    await publish('rig-control-v', 'hello');
    await publish('rig-esp8266-v', 'hello');
    await publish('stranger', 'hello');
    await seen(4);
    const ma = a.messages();
    assert.deepEqual(
      ma.counted.map((m) => m.payload),
      ['hello'],
    );
    assert.equal(ma.counted[0], observer.messages[2], "the esp8266 message, not the control client's of the same size");
    assert.deepEqual(
      ma.unattributed.map((u) => u.why),
      ['published by rig-control-v (s/v/control#host)', "published by stranger, not this cell's client"],
    );
    assert.deepEqual(b.messages().counted, [observer.messages[1]]);
    const log = a.brokerLog().join('\n');
    assert.match(log, /as rig-esp8266-v /);
    assert.doesNotMatch(log, /rig-control-v|stranger|before-anyone|rig-observer/, 'lines naming other clients');
    assert.match(log, /New connection from 127\.0\.0\.1:\d+ on port/, 'lines naming no client stay');
    assert.match(b.brokerLog().join('\n'), /New client connected from \S+ as rig-control-v /);
    a.leave();
    b.leave();
  });

  it('a client id two running cells claim counts for neither; once one has left, for the other', async () => {
    const c = ledger.enter('s/v/esp32#twin', { learns: false });
    const d = ledger.enter('s/v/esp32@1.0.6#twin', { learns: false });
    c.add('rig-esp32-v');
    d.add('rig-esp32-1.0.6-v');
    // The second twin's sketch hard-codes the first one's id and reports it (a twin's mqtt-client-id fact).
    d.watch(() => ['rig-esp32-v']);
    const n = observer.messages.length;
    await publish('rig-esp32-v', 'shared');
    await seen(n + 1);
    assert.deepEqual(c.messages().counted, []);
    assert.deepEqual(d.messages().counted, []);
    assert.match(c.messages().unattributed.at(-1)?.why ?? '', /more than one running cell/);
    assert.doesNotMatch(c.brokerLog().join('\n'), /as rig-esp32-v /);
    d.leave();
    await new Promise((r) => setTimeout(r, 1100)); // past the departed cell's trailing window
    await publish('rig-esp32-v', 'mine now');
    await seen(n + 2);
    assert.deepEqual(
      c.messages().counted.map((m) => m.payload),
      ['mine now'],
    );
    c.leave();
  });

  it("a board learns the id its own sketch chose from the broker log, but not while another board runs, nor from another board's host", async () => {
    const h = ledger.enter('s/v/mkr1000#hardware', { learns: true });
    h.add('rig-mkr1000-v');
    const n = observer.messages.length;
    await publish('Client-3f2a', 'from the board');
    await seen(n + 1);
    assert.deepEqual(
      h.messages().counted.map((m) => m.payload),
      ['from the board'],
    );
    const other = ledger.enter('s/v/esp8266#hardware', { learns: true });
    await publish('Client-77c1', 'whose?');
    await seen(n + 2);
    assert.deepEqual(
      h.messages().counted.map((m) => m.payload),
      ['from the board'],
    );
    assert.deepEqual(other.messages().counted, []);
    other.leave();
    h.leave();
    // The first board keeps running after its cell and reconnects with a new random id: not the next board's.
    await new Promise((r) => setTimeout(r, 1100));
    const next = ledger.enter('s/v2/mkr1000#hardware', { learns: true });
    await publish('Client-5be0', 'still the first board');
    await seen(n + 3);
    assert.deepEqual(next.messages().counted, []);
    assert.doesNotMatch(next.brokerLog().join('\n'), /Client-5be0/);
    next.leave();
  });

  it('a will message has no PUBLISH from a client and counts for nobody', async () => {
    const w = ledger.enter('s/v/esp32-will#twin', { learns: false });
    w.add('with-will');
    const n = observer.messages.length;
    const c = await mqtt.connectAsync({
      host: '127.0.0.1',
      port: broker.ports[1883],
      clientId: 'with-will',
      reconnectPeriod: 0,
      will: { topic: `${TOPIC}/status`, payload: Buffer.from('gone'), qos: 0, retain: false },
    });
    c.stream.destroy(); // an ungraceful end: the broker publishes the will
    await seen(n + 1);
    assert.deepEqual(w.messages().counted, []);
    assert.match(w.messages().unattributed.at(-1)?.why ?? '', /will or retained/);
    assert.match(w.brokerLog().join('\n'), /as with-will /);
    w.leave();
  });
});
