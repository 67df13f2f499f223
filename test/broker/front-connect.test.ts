// The front's CONNECT checks (broker.personality azure-iot-hub / emqx-cloud): the reader on real CONNECT bytes from
// the mqtt client library, the policies, and hostile packets (lying lengths, oversize, garbage); then one real front
// before a local Mosquitto refusing a CONNECT with the provider's code and passing a good one.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startBroker, type BrokerHandle } from '../../rig/broker/index.ts';
import { connectRefusal, shown } from '../../rig/broker/front/connect-policy.ts';
import { connack, readConnect, type MqttConnect } from '../../rig/broker/front/mqtt-connect.ts';
import { PERSONALITIES } from '../../rig/broker/front/personalities.ts';
import { testPki, type TestPki } from './helpers/test-pki.ts';

/** The CONNECT bytes the mqtt library sends with these options (read off a plain TCP socket). */
async function connectBytes(opts: mqtt.IClientOptions): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const got = new Promise<Buffer>((resolve) =>
    server.once('connection', (s) => {
      let buf = Buffer.alloc(0);
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        const r = readConnect(buf, 1 << 20);
        if (r.state !== 'more') {
          resolve(buf);
          s.destroy();
        }
      });
    }),
  );
  const c = mqtt.connect({ host: '127.0.0.1', port, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  c.on('error', () => undefined);
  const bytes = await got;
  c.end(true);
  server.close();
  return bytes;
}

const HUB = 'hub1.azure-devices.net';
const SAS = 'SharedAccessSignature sr=hub1.azure-devices.net%2Fdevices%2Fplug-7&sig=c2lnbmF0dXJl%3D&se=1764720000';

function parsed(bytes: Buffer): MqttConnect {
  const r = readConnect(bytes, 1 << 20);
  assert.equal(r.state, 'ok');
  return (r as { connect: MqttConnect }).connect;
}

describe('broker front: CONNECT checks', function () {
  this.timeout(30_000);

  it('reads client id, username and the password kind (never the password) from real CONNECTs, 3.1.1 and 5', async () => {
    for (const protocolVersion of [4, 5] as const) {
      const c = parsed(
        await connectBytes({
          protocolVersion,
          clientId: 'plug-7',
          username: `${HUB}/plug-7/?api-version=2021-04-12`,
          password: SAS,
          will: { topic: 'w', payload: Buffer.from('x'), qos: 0, retain: false },
        }),
      );
      assert.equal(c.level, protocolVersion);
      assert.equal(c.clientId, 'plug-7');
      assert.equal(c.username, `${HUB}/plug-7/?api-version=2021-04-12`);
      assert.equal(c.passwordScheme, 'SharedAccessSignature');
      assert.equal(c.passwordLength, SAS.length);
      assert.ok(!JSON.stringify(c).includes('sig='), 'the password itself is not kept');
    }
  });

  it('azure-iot-hub: device ID, username form and SAS token; emqx-cloud: credentials present', async () => {
    const azure = PERSONALITIES['azure-iot-hub'].connect!;
    const good = parsed(
      await connectBytes({ clientId: 'plug-7', username: `${HUB}/plug-7/?api-version=2021-04-12`, password: SAS }),
    );
    assert.equal(connectRefusal(azure, good, HUB), undefined);
    assert.deepEqual(connectRefusal(azure, { ...good, username: 'plug-7' }, HUB)?.rc, 5);
    assert.match(
      connectRefusal(azure, { ...good, username: 'plug-7' }, HUB)!.why,
      /not "hub1\.azure-devices\.net\/plug-7\/\?api/,
    );
    assert.match(connectRefusal(azure, good, 'hub2.azure-devices.net')?.why ?? '', /username/);
    const key = connectRefusal(azure, { ...good, passwordScheme: undefined, passwordLength: 44 }, HUB);
    assert.deepEqual(key, {
      rc: 5,
      why: 'password of 44 bytes is no SharedAccessSignature token (content not logged)',
    });
    assert.equal(connectRefusal(azure, { ...good, clientId: 'plug 7' }, HUB)?.rc, 2);
    assert.match(connectRefusal(azure, { ...good, clientId: 'x'.repeat(129) }, HUB)?.why ?? '', /129 characters/);
    const emqx = PERSONALITIES['emqx-cloud'].connect!;
    assert.deepEqual(connectRefusal(emqx, { size: 20, level: 4, clientId: 'a' }, 'x.emqxsl.com'), {
      rc: 4,
      why: 'no username',
    });
    assert.equal(
      connectRefusal(emqx, { size: 20, level: 4, clientId: 'a', username: 'u', passwordLength: 0 }, 'x'),
      undefined,
    );
  });

  it('does not trust the bytes: lying lengths, oversize, other packets; logs only printable, bounded text', () => {
    const max = 1024;
    assert.deepEqual(readConnect(Buffer.from([0x30, 0x00]), max), {
      state: 'malformed',
      why: 'first packet is type 3, not CONNECT',
    });
    assert.equal(readConnect(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x01]), max).state, 'malformed');
    assert.deepEqual(readConnect(Buffer.from([0x10, 0x80, 0x10]), max), { state: 'too-large', size: 2051 });
    // Declared 12 bytes, a protocol name claiming 300: refused, no read past the packet.
    const lying = Buffer.from([0x10, 0x0c, 0x01, 0x2c, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0, 60, 0, 0]);
    assert.equal(readConnect(lying, max).state, 'malformed');
    assert.equal(readConnect(Buffer.from([0x10, 0x0c, 0x00]), max).state, 'more');
    assert.equal(shown('a\u0000b\n"c"'), "a?b?'c'");
    assert.match(shown('x'.repeat(500)), /\.\.\.\(500 characters\)$/);
    assert.deepEqual([...connack(4, 5)], [0x20, 2, 0, 5]);
    assert.deepEqual([...connack(5, 4)], [0x20, 3, 0, 0x86, 0]);
  });

  describe('before a local mosquitto', () => {
    let pki: TestPki;
    let broker: BrokerHandle | undefined;
    let dir: string;
    before(async function () {
      pki = await testPki();
      dir = mkdtempSync(join(tmpdir(), 'rig-front-connect-'));
      chmodSync(dir, 0o755);
      try {
        broker = await startBroker(
          { personality: 'azure-iot-hub', listeners: [{ port: 8883, tls: { cert: 'server' } }], allowAnonymous: true },
          pki,
          { provider: 'local', workDir: dir },
        );
      } catch (e) {
        console.log(`      skipped: no local mosquitto (${(e as Error).message.split('\n')[0]})`);
        this.skip();
      }
    });
    after(async () => {
      await broker?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const attempt = (username: string, password = SAS): Promise<string> =>
      new Promise((resolve) => {
        const c = mqtt.connect({
          protocol: 'mqtts',
          host: '127.0.0.1',
          port: broker!.ports[8883],
          servername: HUB,
          rejectUnauthorized: false,
          clientId: 'plug-7',
          username,
          password,
          reconnectPeriod: 0,
          connectTimeout: 10_000,
        });
        c.once('connect', () => {
          c.end(true);
          resolve('connected');
        });
        c.once('error', (e) => {
          c.end(true);
          resolve(e.message);
        });
        c.once('close', () => resolve('closed'));
      });

    it('refuses a CONNECT whose username is not the hub form with CONNACK 5, relays a good one to mosquitto', async () => {
      const b = broker!;
      assert.match(await attempt('plug-7'), /Not authorized/i);
      const line = await b.waitForLog(
        /azure-iot-hub front refused CONNECT from .*username plug-7, not .*\(CONNACK 5\)/,
        5000,
      );
      assert.ok(!line.includes('sig='), 'the SAS token is never in the log');
      assert.equal(await attempt(`${HUB}/plug-7/?api-version=2021-04-12`), 'connected');
      await b.waitForLog(/front passed CONNECT from .* client id plug-7/, 5000);
      await b.waitForLog(/New client connected .* as plug-7/, 5000);
    });

    it('drops a CONNECT that declares more than the hub limit, from its header alone, without answering', async () => {
      const b = broker!;
      const t = tls.connect({ host: '127.0.0.1', port: b.ports[8883]!, servername: HUB, rejectUnauthorized: false });
      t.on('error', () => undefined);
      await new Promise<void>((r) => t.once('secureConnect', () => r()));
      const closed = new Promise<Buffer>((resolve) => {
        let got = Buffer.alloc(0);
        t.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
        t.once('close', () => resolve(got));
      });
      // CONNECT, remaining length 300000 (varint e0 a7 12), then only the start of its body.
      t.write(Buffer.concat([Buffer.from([0x10, 0xe0, 0xa7, 0x12, 0x00, 0x04]), Buffer.from('MQTT')]));
      assert.equal((await closed).length, 0, 'no CONNACK for a dropped CONNECT');
      await b.waitForLog(/front refused CONNECT from .*: CONNECT of 300004 bytes over the 262144-byte limit/, 5000);
    });
  });
});
