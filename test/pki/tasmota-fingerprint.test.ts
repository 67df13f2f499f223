// Tasmota's MqttFingerprint of a key, checked against the same bytes put together from openssl's own view of the key
// (modulus and exponent as it prints them). The twin's C side computes it again in the sketch
// (scenarios/tlsbuild/tasmota-fingerprint-rotated.yaml: the fixed-fingerprint variant connects only if both agree).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tasmotaFingerprint } from '../../rig/pki/tasmota-fingerprint.ts';

function selfSigned(dir: string, keyPem: string): string {
  writeFileSync(join(dir, 'k.pem'), keyPem);
  return execFileSync('openssl', ['req', '-x509', '-new', '-key', join(dir, 'k.pem'), '-subj', '/CN=t', '-days', '1'], {
    encoding: 'utf8',
  });
}

function lp(b: Buffer): Buffer {
  const n = Buffer.alloc(4);
  n.writeUInt32BE(b.length);
  return Buffer.concat([n, b]);
}

describe('pki: Tasmota public-key fingerprint', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rig-tasfp-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is SHA-1 over length-prefixed "ssh-rsa", e and n, printed as Tasmota takes it', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const crt = selfSigned(dir, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    const modulus = execFileSync('openssl', ['x509', '-noout', '-modulus'], { input: crt, encoding: 'utf8' });
    let n = Buffer.from(modulus.trim().replace(/^Modulus=/, ''), 'hex');
    while (n[0] === 0) n = n.subarray(1);
    const e = Buffer.from([1, 0, 1]);
    const want = createHash('sha1')
      .update(Buffer.concat([lp(Buffer.from('ssh-rsa')), lp(e), lp(n)]))
      .digest('hex')
      .toUpperCase();
    const got = tasmotaFingerprint(crt);
    assert.match(got, /^([0-9A-F]{2} ){19}[0-9A-F]{2}$/);
    assert.equal(got.replace(/ /g, ''), want);
  });

  it('refuses a key that is not RSA', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const crt = selfSigned(dir, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    assert.throws(() => tasmotaFingerprint(crt), /RSA keys only/);
  });
});

describe('rig check: {{pki.NAME.tasmota-fingerprint}} in client.config', () => {
  it('names a certificate that is not there, or one with an EC key, at the field that uses it', async () => {
    const { Scenario } = await import('../../rig/scenario/schema.ts');
    const { variantProblems } = await import('../../rig/runner/validate.ts');
    const s = Scenario.parse({
      version: 1,
      id: 'fp-check',
      pki: { ca: {}, server: { san: ['DNS:mqtt.test'] }, 'server-ec': { key: { type: 'ec' } } },
      broker: { listeners: [{ port: 8883, tls: {} }] },
      expect: {},
      boards: ['esp8266'],
      client: { connect: 'mqtt.test', config: { FINGERPRINT1: '{{pki.server.tasmota-fingerprint}}' } },
      variants: {
        ok: {},
        typo: { config: { FINGERPRINT1: '{{pki.srever.tasmota-fingerprint}}' } },
        ec: { config: { FINGERPRINT2: '{{pki.server-ec.tasmota-fingerprint}}' } },
      },
    });
    const problems = variantProblems(s).map((p) => `${p.path.join('.')}: ${p.message}`);
    assert.deepEqual(problems, [
      'variants.typo.config.FINGERPRINT1: variant typo: client.config FINGERPRINT1 {{pki.srever.tasmota-fingerprint}}: no PKI certificate named "srever" (have: ca, server, server-ec)',
      'variants.ec.config.FINGERPRINT2: variant ec: client.config FINGERPRINT2 {{pki.server-ec.tasmota-fingerprint}}: "server-ec" has an EC key; Tasmota fingerprints RSA keys only',
    ]);
  });
});
