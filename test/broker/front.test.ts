// The broker front (broker.personality): the ClientHello parser on real bytes from Node's TLS client, the policies,
// and one real front before a local Mosquitto refusing and accepting, with its lines in the broker log.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { startBroker, type BrokerHandle } from '../../rig/broker/index.ts';
import { parseClientHello } from '../../rig/broker/front/client-hello.ts';
import { helloRefusal, PERSONALITIES } from '../../rig/broker/front/personalities.ts';
import { testPki, type TestPki } from './helpers/test-pki.ts';

/** The first bytes Node's TLS client sends with these options (a real ClientHello). */
async function helloFrom(opts: tls.ConnectionOptions): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const got = new Promise<Buffer>((resolve) =>
    server.once('connection', (s) =>
      s.once('data', (d: Buffer) => {
        resolve(d);
        s.destroy();
      }),
    ),
  );
  const c = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts });
  c.on('error', () => undefined);
  const bytes = await got;
  c.destroy();
  server.close();
  return bytes;
}

const open: tls.TLSSocket[] = [];

/** A TLS client's fate at the front: 'secure' (handshake done; left open until the test ends) or its error. */
function tryConnect(port: number, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const c = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts });
    open.push(c);
    c.once('secureConnect', () => resolve('secure'));
    c.once('error', (e) => resolve(e.message));
  });
}

describe('broker front', function () {
  this.timeout(30_000);

  it('reads SNI and ALPN from a real ClientHello, and their absence', async () => {
    const with_ = parseClientHello(
      await helloFrom({ servername: 'a1-ats.iot.example.test', ALPNProtocols: ['x-amzn-mqtt-ca'] }),
    );
    assert.deepEqual(with_, { sni: 'a1-ats.iot.example.test', alpn: ['x-amzn-mqtt-ca'] });
    const without = parseClientHello(await helloFrom({ servername: '' }));
    assert.equal(without?.sni, undefined);
    assert.deepEqual(without?.alpn, []);
  });

  it('applies each personality: aws-iot wants ALPN on 443 only and a DNS SNI; nginx-stream wants neither', () => {
    const aws = PERSONALITIES['aws-iot'];
    assert.match(
      helloRefusal(aws, 443, { sni: 'x.amazonaws.com', alpn: [] }) ?? '',
      /no ALPN x-amzn-mqtt-ca on port 443/,
    );
    assert.equal(helloRefusal(aws, 8883, { sni: 'x.amazonaws.com', alpn: [] }), undefined);
    assert.match(helloRefusal(aws, 8883, { alpn: [] }) ?? '', /no SNI/);
    assert.match(helloRefusal(aws, 8883, { sni: '192.168.1.10', alpn: [] }) ?? '', /IP address/);
    assert.equal(helloRefusal(PERSONALITIES['nginx-stream'], 8883, { alpn: [] }), undefined);
    // A stranger's SNI or ALPN cannot forge a log line: one printable line, bounded.
    const forged = helloRefusal(aws, 443, { sni: '::1\n1700000000: aws-iot front accepted x', alpn: ['a\nb'] }) ?? '';
    assert.ok(!forged.includes('\n'), forged);
    assert.match(helloRefusal(aws, 443, { sni: 'x.amazonaws.com', alpn: ['h2\r\nx'] }) ?? '', /offered h2\?\?x/);
  });

  describe('before a local mosquitto', () => {
    let pki: TestPki;
    let broker: BrokerHandle | undefined;
    let dir: string;
    before(async function () {
      pki = await testPki();
      dir = mkdtempSync(join(tmpdir(), 'rig-front-test-'));
      chmodSync(dir, 0o755);
      try {
        broker = await startBroker(
          { personality: 'aws-iot', listeners: [{ port: 443, tls: { cert: 'server' } }], allowAnonymous: true },
          pki,
          { provider: 'local', workDir: dir },
        );
      } catch (e) {
        console.log(`      skipped: no local mosquitto (${(e as Error).message.split('\n')[0]})`);
        this.skip();
      }
    });
    after(async () => {
      for (const c of open.splice(0)) c.destroy();
      await broker?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses a ClientHello without ALPN, accepts one with ALPN and a client certificate, and logs both', async () => {
      const b = broker!;
      assert.notEqual(b.ports[443], b.directPorts?.[443], 'targets reach the front, the observer mosquitto');
      const client = {
        cert: readFileSync(pki.certs.client!.crt),
        key: readFileSync(pki.certs.client!.keyPlain ?? pki.certs.client!.key!),
      };
      const refused = await tryConnect(b.ports[443]!, { servername: 'a1-ats.iot.example.test', ...client });
      assert.notEqual(refused, 'secure');
      await b.waitForLog(/front refused .*no ALPN x-amzn-mqtt-ca on port 443/, 5000);
      const ok = await tryConnect(b.ports[443]!, {
        servername: 'a1-ats.iot.example.test',
        ALPNProtocols: ['x-amzn-mqtt-ca'],
        ...client,
      });
      assert.equal(ok, 'secure');
      await b.waitForLog(/front accepted .* with ALPN x-amzn-mqtt-ca/, 5000);
      const noCert = await tryConnect(b.ports[443]!, {
        servername: 'a1-ats.iot.example.test',
        ALPNProtocols: ['x-amzn-mqtt-ca'],
      });
      await b.waitForLog(/front TLS error from .*certificate/, 5000);
      assert.ok(noCert, 'a client without a certificate is refused by the front');
      assert.match(readFileSync(b.logFile, 'utf8'), /aws-iot front refused/);
    });
  });
});
