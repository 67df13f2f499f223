import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type BrokerHandle } from '../../rig/broker/index.ts';
import { runControl, type ControlClient, type ControlKind } from '../../rig/control/index.ts';
import { testPki, type TestPki } from '../broker/helpers/test-pki.ts';

// One broker, one listener per server-side situation; users required everywhere.
describe('control clients against a real broker', function () {
  this.timeout(30_000);
  let pki: TestPki;
  let h: BrokerHandle;
  before(async () => {
    pki = await testPki();
    h = await startBroker(
      {
        users: { alice: 'wonderland' },
        allowAnonymous: false,
        listeners: [
          { port: 8883, tls: { cert: 'server' } },
          { port: 8884, tls: { cert: 'server-expired' } },
          { port: 8885, tls: { cert: 'server-wrongname' } },
          { port: 8886, tls: { cert: 'server', requireCertificate: true } },
          { port: 8887, tls: { cert: 'server', version: 'tlsv1.3' } },
          { port: 1883 },
        ],
      },
      pki,
      { provider: 'local', workDir: (dir = mkdtempSync(join(tmpdir(), 'rig-control-test-'))) },
    );
  });
  let dir = '';
  after(async () => {
    await h?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const user = { username: 'alice', password: 'wonderland' };
  const client = (port: number, extra: Partial<ControlClient> = {}): ControlClient => ({
    host: 'localhost',
    port: h.ports[port],
    ca: pki.certs.ca.crt,
    ...user,
    ...extra,
  });

  interface Case {
    name: string;
    make: () => ControlClient;
    kind: string;
    code?: Record<ControlKind, RegExp>;
  }
  const cases: Case[] = [
    { name: 'correct CA', make: () => client(8883), kind: 'connected' },
    {
      name: 'wrong CA',
      make: () => client(8883, { ca: pki.certs.otherca.crt }),
      kind: 'tls/untrusted',
      code: { control: /^openssl:SELF_SIGNED_CERT_IN_CHAIN$/, 'mosquitto-cli': /^openssl:SELF_SIGNED_CERT_IN_CHAIN$/ },
    },
    {
      name: 'bad password',
      make: () => client(8883, { password: 'nope' }),
      kind: 'mqtt/not-authorized',
      code: { control: /^connack:5$/, 'mosquitto-cli': /^connack:5$/ },
    },
    {
      name: 'name mismatch',
      make: () => client(8885),
      kind: 'tls/name-mismatch',
      code: { control: /^openssl:ERR_TLS_CERT_ALTNAME_INVALID$/, 'mosquitto-cli': /^openssl:HOSTNAME_MISMATCH$/ },
    },
    {
      name: 'expired server certificate',
      make: () => client(8884),
      kind: 'tls/expired',
      code: { control: /^openssl:CERT_HAS_EXPIRED$/, 'mosquitto-cli': /^openssl:CERT_HAS_EXPIRED$/ },
    },
    {
      name: 'require_certificate without a client certificate',
      make: () => client(8886),
      kind: 'tls/client-cert-required',
    },
    {
      name: 'require_certificate with a client certificate',
      make: () => client(8886, { cert: pki.certs.client.crt, key: pki.certs.client.key }),
      kind: 'connected',
    },
    {
      name: 'client certificate from another CA',
      make: () => client(8886, { cert: pki.certs['client-other'].crt, key: pki.certs['client-other'].key }),
      kind: 'tls/client-cert-rejected',
    },
    {
      name: 'TLS 1.3-only broker, client max TLS 1.2',
      make: () => client(8887, { tlsVersion: 'tlsv1.2' }),
      kind: 'tls/protocol-version',
    },
    { name: 'TLS 1.3-only broker, client allows 1.3', make: () => client(8887), kind: 'connected' },
    { name: 'plain listener', make: () => ({ host: '127.0.0.1', port: h.ports[1883], ...user }), kind: 'connected' },
    { name: 'closed port', make: () => ({ host: '127.0.0.1', port: 1, ...user }), kind: 'tcp/refused' },
  ];

  for (const kind of ['control', 'mosquitto-cli'] as const) {
    describe(kind, () => {
      for (const c of cases) {
        it(`${c.name} → ${c.kind}`, async () => {
          const o = await runControl(kind, c.make(), { timeoutMs: 8_000 });
          assert.equal(o.kind, c.kind, JSON.stringify(o, null, 1));
          if (c.code) assert.match(o.code ?? '', c.code[kind]);
          assert.ok((o.facts ?? []).length > 0, 'raw facts recorded');
          assert.ok(!JSON.stringify(o).includes('wonderland'), 'password never in the outcome');
        });
      }
    });
  }

  // Mocha runs a suite's own tests before its child suites: these come after the cases above.
  describe('details', () => {
    it('control: mqtt.js double error is reported once', async () => {
      const o = await runControl('control', client(8883, { ca: pki.certs.otherca.crt }));
      assert.equal((o.facts ?? []).filter((f) => f.startsWith('error')).length, 1, JSON.stringify(o.facts));
    });

    it('the broker saw the refused and the accepted clients', async () => {
      await runControl('control', client(8883, { clientId: 'ctl-ok' }));
      await h.waitForLog(/as ctl-ok/, 5_000);
      const types = new Set(h.events().map((e) => e.type));
      for (const t of ['connected', 'tls-error', 'not-authorised', 'protocol-error'] as const)
        assert.ok(types.has(t), t);
    });

    it('a timeout is reported as timeout', async () => {
      // A listening socket that never answers the handshake.
      const { createServer } = await import('node:net');
      const srv = createServer(() => {
        /* hold the connection silently */
      });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      try {
        for (const kind of ['control', 'mosquitto-cli'] as const) {
          const o = await runControl(kind, { host: '127.0.0.1', port, ca: pki.certs.ca.crt }, { timeoutMs: 800 });
          assert.equal(o.kind, 'timeout', `${kind}: ${JSON.stringify(o)}`);
        }
      } finally {
        srv.close();
      }
    });

    it('leaves no long timer behind when it returns (a pending one kept `rig run` alive)', async () => {
      const { createHook } = await import('node:async_hooks');
      // Timers of a second or more created during the run and not yet fired or cleared (their destroy hook).
      const pending = new Map<number, number>();
      const hook = createHook({
        init(id, type, _trigger, resource) {
          const ms = (resource as { _idleTimeout?: number })._idleTimeout ?? 0;
          if (type === 'Timeout' && ms >= 1000) pending.set(id, ms);
        },
        destroy(id) {
          pending.delete(id);
        },
      }).enable();
      try {
        for (const kind of ['control', 'mosquitto-cli'] as const) {
          const o = await runControl(kind, client(8883), { timeoutMs: 60_000 });
          assert.equal(o.kind, 'connected', JSON.stringify(o));
          await new Promise((r) => setImmediate(r));
          assert.deepEqual([...pending.values()], [], `${kind}: timers still pending after the run`);
        }
      } finally {
        hook.disable();
      }
    });

    it('rejects malformed input with the field name', async () => {
      await assert.rejects(runControl('control', { host: '', port: 1 }), /control client: host/);
    });
  });
});
