import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import {
  pauseBrokerFor,
  reconfigureBroker,
  reconfiguredSpec,
  restartBroker,
  revokeClientCert,
  revokedSpec,
  rotatedSpec,
  rotateServerCert,
} from '../../rig/broker/faults.ts';
import { startBroker, type BrokerHandle } from '../../rig/broker/index.ts';
import { runControl } from '../../rig/control/index.ts';
import { BrokerSpec } from '../../rig/scenario/schema.ts';
import { describeStep } from '../../rig/steps/describe.ts';
import { testPki, type TestPki } from './helpers/test-pki.ts';

/** Linux process state letter (T: stopped by SIGSTOP). */
function procState(pid: number): string {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[0]!;
}

describe('broker faults (local provider)', function () {
  this.timeout(30_000);
  let pki: TestPki;
  let h: BrokerHandle | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'rig-faults-test-'));
  chmodSync(dir, 0o755);
  before(async () => {
    pki = await testPki();
  });
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const connect = (ca: string) =>
    runControl('control', { host: 'localhost', port: h!.ports[8883]!, ca, clientId: `faults-${Date.now()}` });

  it('rotatedSpec swaps the certificate (and cafile) of every TLS listener, nothing else', () => {
    const spec = BrokerSpec.parse({ listeners: [{ port: 8883, tls: { cert: 'server' } }, { port: 1883 }] });
    const r = rotatedSpec(spec, { cert: 'server2', ca: 'ca2' });
    assert.deepEqual(r.listeners?.[0]?.tls, { cert: 'server2', ca: 'ca2' });
    assert.deepEqual(r.listeners?.[1], { port: 1883 });
    assert.equal(spec.listeners?.[0]?.tls?.cert, 'server');
  });

  it('revokedSpec adds the certificate once to every TLS listener and refuses a verbatim conf', () => {
    const spec = BrokerSpec.parse({ listeners: [{ port: 8883, tls: { requireCertificate: true } }, { port: 1883 }] });
    const once = revokedSpec(spec, 'client');
    assert.deepEqual(once.listeners?.[0]?.tls?.revoked, ['client']);
    assert.deepEqual(revokedSpec(once, 'client').listeners?.[0]?.tls?.revoked, ['client']);
    assert.deepEqual(revokedSpec(once, 'other').listeners?.[0]?.tls?.revoked, ['client', 'other']);
    assert.deepEqual(once.listeners?.[1], { port: 1883 });
    assert.equal(spec.listeners?.[0]?.tls?.revoked, undefined);
    assert.throws(() => revokedSpec(BrokerSpec.parse({ conf: 'listener 8883' }), 'client'), /declarative listeners/);
  });

  it('revokes a client certificate with a CRL signed by openssl: the next connect is refused', async () => {
    h = await startBroker(
      { listeners: [{ port: 8883, tls: { cert: 'server', requireCertificate: true } }], allowAnonymous: true },
      pki,
      { provider: 'local', workDir: dir },
    );
    const port = h.ports[8883];
    const client = { cert: pki.certs.client!.crt, key: pki.certs.client!.key! };
    const withCert = () =>
      runControl('control', {
        host: 'localhost',
        port: h!.ports[8883]!,
        ca: pki.certs.ca!.crt,
        ...client,
        clientId: `revoke-${Date.now()}`,
      });
    assert.equal((await withCert()).kind, 'connected');

    assert.match(await revokeClientCert(h, 'client'), /client certificate "client" revoked .*broker restarted/);
    assert.equal(h.ports[8883], port);
    const conf = readFileSync(h.confFile, 'utf8');
    const crlfile = /^crlfile (\S+)$/m.exec(conf)?.[1];
    assert.ok(crlfile, `no crlfile in\n${conf}`);
    // The CRL is openssl's: it lists the client certificate's serial.
    const serial = (await execa('openssl', ['x509', '-in', client.cert, '-noout', '-serial'])).stdout.split('=')[1]!;
    const crl = (await execa('openssl', ['crl', '-in', crlfile, '-noout', '-text'])).stdout;
    assert.match(crl, new RegExp(`Serial Number: ${serial}`, 'i'));
    // The CA's key signed it where the PKI keeps it: no copy of it in the broker's folder.
    assert.ok(!readdirSync(dirname(crlfile)).includes('ca.key'));

    const refused = await withCert();
    assert.equal(refused.kind, 'tls/client-cert-rejected', JSON.stringify(refused));
    assert.match(refused.code ?? '', /certificate.revoked/i);
    // Within the accept or on a later read, by timing: "Client connection from … failed: …" or "OpenSSL Error[0]: …".
    await h.waitForLog(/(?:OpenSSL Error|Client connection from \S+ failed).*certificate verify failed/, 10_000);
  });

  it('reconfiguredSpec sets the TLS policy of every TLS listener and keeps what is not given', () => {
    const spec = BrokerSpec.parse({ listeners: [{ port: 8883, tls: { ciphers: 'AES128-SHA' } }, { port: 1883 }] });
    const r = reconfiguredSpec(spec, { tlsVersion: 'tlsv1.3' });
    assert.deepEqual(r.listeners?.[0]?.tls, { cert: 'server', ciphers: 'AES128-SHA', version: 'tlsv1.3' });
    assert.deepEqual(r.listeners?.[1], { port: 1883 });
    assert.equal(
      reconfiguredSpec(r, { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }).listeners?.[0]?.tls?.version,
      'tlsv1.3',
    );
    assert.throws(
      () => reconfiguredSpec(BrokerSpec.parse({ listeners: [{ port: 1883 }] }), { tlsVersion: 'tlsv1.3' }),
      /a TLS listener/,
    );
  });

  it('reconfigures to TLS 1.3 only: a client held to TLS 1.2 is refused after the restart', async () => {
    h = await startBroker({ listeners: [{ port: 8883, tls: { cert: 'server' } }], allowAnonymous: true }, pki, {
      provider: 'local',
      workDir: dir,
    });
    const tls12 = () =>
      runControl('control', {
        host: 'localhost',
        port: h!.ports[8883]!,
        ca: pki.certs.ca!.crt,
        tlsVersion: 'tlsv1.2',
        clientId: `policy-${Date.now()}`,
      });
    assert.equal((await tls12()).kind, 'connected');
    assert.equal(await reconfigureBroker(h, { tlsVersion: 'tlsv1.3' }), 'tls_version tlsv1.3; broker restarted');
    assert.match(readFileSync(h.confFile, 'utf8'), /^tls_version tlsv1\.3$/m);
    assert.equal((await tls12()).kind, 'tls/protocol-version');
    assert.equal((await connect(pki.certs.ca!.crt)).kind, 'connected');
  });

  it('reconfigures a password: the old one is refused, the new one gets in, and no timeline shows it', async () => {
    const spec = BrokerSpec.parse({
      listeners: [{ port: 8883, tls: { cert: 'server' }, passwordFile: true, allowAnonymous: false }],
      users: { device: 'first-pass' },
    });
    assert.throws(
      () => reconfiguredSpec({ ...spec, users: {} }, { password: { user: 'device', password: 'x' } }),
      /needs a broker with users/,
    );
    h = await startBroker(spec, pki, { provider: 'local', workDir: dir });
    const as = (password: string) =>
      runControl('control', {
        host: 'localhost',
        port: h!.ports[8883]!,
        ca: pki.certs.ca!.crt,
        username: 'device',
        password,
        clientId: `password-${Date.now()}`,
      });
    assert.equal((await as('first-pass')).kind, 'connected');
    const said = await reconfigureBroker(h, { password: { user: 'device', password: 'second-pass' } });
    assert.equal(said, 'new password for user "device"; broker restarted');
    const step = { reconfigure: { password: { user: 'device', password: 'second-pass' } } };
    assert.doesNotMatch(describeStep(step), /second-pass/);
    assert.equal((await as('first-pass')).kind, 'mqtt/not-authorized');
    assert.equal((await as('second-pass')).kind, 'connected');
  });

  it('restarts on the same port, freezes and thaws, and serves a rotated certificate', async () => {
    h = await startBroker({ listeners: [{ port: 8883, tls: { cert: 'server' } }], allowAnonymous: true }, pki, {
      provider: 'local',
      workDir: dir,
    });
    const port = h.ports[8883];
    assert.equal((await connect(pki.certs.ca!.crt)).kind, 'connected');

    assert.equal(await restartBroker(h), 'broker restarted');
    assert.equal(h.ports[8883], port);
    assert.equal(h.logLines().filter((l) => /mosquitto version \S+ running/.test(l)).length, 2);
    assert.equal((await connect(pki.certs.ca!.crt)).kind, 'connected');

    // Frozen while the sleep runs: the process is stopped (T), then running again.
    let during = '';
    await pauseBrokerFor(h, 0, async () => {
      // The signal lands asynchronously: wait for the state, never for a fixed time.
      for (let i = 0; i < 200 && during !== 'T'; i++) {
        during = procState(Number(h!.control!.id()));
        if (during !== 'T') await new Promise((r) => setTimeout(r, 5));
      }
    });
    assert.equal(during, 'T');
    assert.notEqual(procState(Number(h.control!.id())), 'T');

    // The wrong-name certificate from the same CA: the control client (which checks the name) now refuses it.
    await rotateServerCert(h, { cert: 'server-wrongname' });
    assert.equal(h.control!.spec().listeners?.[0]?.tls?.cert, 'server-wrongname');
    assert.equal((await connect(pki.certs.ca!.crt)).kind, 'tls/name-mismatch');
  });
});
