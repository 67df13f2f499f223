// Declarative PKI: every property is checked with openssl itself (x509 -text, verify, pkey).
import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { buildPki, PkiManifest, summarizeCert, type PkiBundle } from '../../rig/pki/index.ts';
import type { PkiSpec } from '../../rig/scenario/schema.ts';
import { ossl, tempDir, x509Text } from './helpers.ts';

// Listed leaf-first on purpose: the builder must order issuers before subjects.
const spec: PkiSpec = {
  leaf2: { subject: { CN: 'behind-intermediate' }, issuer: 'inter', key: { type: 'ec', curve: 'P-256' } },
  inter: { subject: { O: 'Rig', CN: 'Rig Intermediate' }, key: { type: 'ec', curve: 'P-384' }, hash: 'sha384' },
  ca: {
    subject: {
      C: 'IT',
      ST: 'Lazio',
      L: 'Roma',
      O: 'Rig',
      OU: 'Test',
      CN: 'Rig Test CA',
      emailAddress: 'ca@example.com',
    },
  },
  server: {
    subject: { CN: '{{broker.ip}}' },
    san: ['IP:{{broker.ip}}', 'DNS:broker.local'],
    key: { type: 'ec', curve: 'P-256' },
    hash: 'sha512',
    validity: { notBefore: '2025-01-02T03:04:05Z', notAfter: '2035-06-07T08:09:10Z' },
  },
  client: {
    subject: { CN: 'esp32-client' },
    extendedKeyUsage: ['clientAuth'],
    keyUsage: ['critical', 'digitalSignature'],
    key: { type: 'ec', curve: 'P-256', passphrase: 'open sesame' },
  },
  v1: { subject: { CN: 'old-style' }, version: 1, hash: 'sha1', key: { type: 'rsa', bits: 1024 } },
  expired: { subject: { CN: 'expired' }, validity: { expired: true }, key: { type: 'ec' } },
  future: { subject: { CN: 'future' }, validity: { notYetValid: true }, key: { type: 'ec' } },
  big: { subject: { CN: 'rsa-3072' }, key: { type: 'rsa', bits: 3072 } },
};

describe('pki: declarative certificates', function () {
  this.timeout(120_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let pki: PkiBundle;
  const crt = (n: string): string => pki.certs[n].crt;

  before(async () => {
    tmp = await tempDir('decl');
    pki = await buildPki(spec, { vars: { 'broker.ip': '127.0.0.1' }, cacheDir: tmp.dir });
  });
  after(async () => {
    await tmp.remove();
  });

  it('fills {{broker.ip}} before anything else (CN and SAN)', async () => {
    const t = await x509Text(crt('server'));
    assert.match(t, /Subject: CN = 127\.0\.0\.1/);
    assert.match(t, /X509v3 Subject Alternative Name:\s*\n\s*IP Address:127\.0\.0\.1, DNS:broker\.local/);
    assert.deepEqual(pki.certs.server.summary.san, ['IP:127.0.0.1', 'DNS:broker.local']);
  });

  it('writes every subject DN field', async () => {
    const t = await x509Text(crt('ca'));
    assert.match(
      t,
      /Subject: C = IT, ST = Lazio, L = Roma, O = Rig, OU = Test, CN = Rig Test CA, emailAddress = ca@example\.com/,
    );
  });

  it('makes "ca" a self-signed CA with CA defaults (basicConstraints, keyUsage)', async () => {
    const t = await x509Text(crt('ca'));
    assert.match(t, /Basic Constraints: critical\s*\n\s*CA:TRUE/);
    assert.match(t, /Key Usage: critical\s*\n\s*Certificate Sign, CRL Sign/);
    const v = await ossl(['verify', '-CAfile', crt('ca'), crt('ca')]);
    assert.equal(v.code, 0, v.out);
    assert.equal(pki.certs.ca.summary.subject, pki.certs.ca.summary.issuer);
  });

  it('gives leaves CA:FALSE and version 3', async () => {
    const t = await x509Text(crt('server'));
    assert.match(t, /Version: 3 \(0x2\)/);
    assert.match(t, /Basic Constraints:\s*\n\s*CA:FALSE/);
    assert.equal(pki.certs.server.summary.isCA, false);
  });

  it('issues the server from the CA (openssl verify)', async () => {
    const v = await ossl(['verify', '-CAfile', crt('ca'), crt('server')]);
    assert.equal(v.code, 0, v.out);
    assert.match(v.out, /: OK/);
  });

  it('version 1: no extensions at all, Version: 1', async () => {
    const t = await x509Text(crt('v1'));
    assert.match(t, /Version: 1 \(0x0\)/);
    assert.doesNotMatch(t, /X509v3/);
    assert.equal(pki.certs.v1.summary.version, 1);
  });

  it('SHA-1 signature and RSA 1024 are really made', async () => {
    const t = await x509Text(crt('v1'));
    assert.match(t, /Signature Algorithm: sha1WithRSAEncryption/);
    assert.match(t, /Public-Key: \(1024 bit\)/);
    assert.equal(pki.certs.v1.summary.signature, 'sha1WithRSAEncryption');
  });

  it('SHA-1 verifies at openssl defaults but not at auth level 1 (OpenSSL 3 security levels)', async () => {
    const dflt = await ossl(['verify', '-CAfile', crt('ca'), crt('v1')]);
    assert.equal(dflt.code, 0, dflt.out);
    const strict = await ossl(['verify', '-auth_level', '1', '-CAfile', crt('ca'), crt('v1')]);
    assert.notEqual(strict.code, 0);
    assert.match(strict.out, /digest algorithm too weak/);
  });

  it('sha384 / sha512 signatures follow the hash field', async () => {
    assert.match(await x509Text(crt('inter')), /Signature Algorithm: sha384WithRSAEncryption/);
    assert.match(await x509Text(crt('server')), /Signature Algorithm: sha512WithRSAEncryption/);
  });

  it('RSA 2048 by default and RSA 3072 on request', async () => {
    assert.match(await x509Text(crt('ca')), /Public-Key: \(2048 bit\)/);
    assert.match(await x509Text(crt('big')), /Public-Key: \(3072 bit\)/);
    assert.equal(pki.certs.big.summary.key, 'RSA 3072');
  });

  it('EC P-256 and P-384 curves', async () => {
    assert.match(await x509Text(crt('server')), /NIST CURVE: P-256/);
    assert.match(await x509Text(crt('inter')), /NIST CURVE: P-384/);
    assert.equal(pki.certs.inter.summary.key, 'EC P-384');
    assert.equal(pki.certs.server.summary.key, 'EC P-256');
  });

  it('absolute notBefore/notAfter are exact', async () => {
    const r = await ossl(['x509', '-in', crt('server'), '-noout', '-startdate', '-enddate']);
    assert.match(r.out, /notBefore=Jan {2}2 03:04:05 2025 GMT/);
    assert.match(r.out, /notAfter=Jun {2}7 08:09:10 2035 GMT/);
    assert.equal(pki.certs.server.summary.notBefore, '2025-01-02T03:04:05.000Z');
    assert.equal(pki.certs.server.summary.notAfter, '2035-06-07T08:09:10.000Z');
  });

  it('an expired certificate fails openssl verify with "certificate has expired"', async () => {
    const v = await ossl(['verify', '-CAfile', crt('ca'), crt('expired')]);
    assert.notEqual(v.code, 0);
    assert.match(v.out, /certificate has expired/);
    assert.ok(Date.parse(pki.certs.expired.summary.notAfter) < Date.now());
  });

  it('a not-yet-valid certificate fails openssl verify with "not yet valid"', async () => {
    const v = await ossl(['verify', '-CAfile', crt('ca'), crt('future')]);
    assert.notEqual(v.code, 0);
    assert.match(v.out, /certificate is not yet valid/);
  });

  it('an intermediate CA is a CA by default and its leaf verifies only with -untrusted', async () => {
    assert.match(await x509Text(crt('inter')), /CA:TRUE/);
    assert.equal(pki.certs.leaf2.summary.issuer, pki.certs.inter.summary.subject);
    const ok = await ossl(['verify', '-CAfile', crt('ca'), '-untrusted', crt('inter'), crt('leaf2')]);
    assert.equal(ok.code, 0, ok.out);
    const missing = await ossl(['verify', '-CAfile', crt('ca'), crt('leaf2')]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.out, /unable to get local issuer certificate/);
  });

  it('fullchain = leaf + intermediate, enough for openssl verify', async () => {
    const chain = pki.certs.leaf2.chain as string;
    const pem = await readFile(chain, 'utf8');
    assert.equal(pem.match(/BEGIN CERTIFICATE/g)?.length, 2);
    const ok = await ossl(['verify', '-CAfile', crt('ca'), '-untrusted', chain, crt('leaf2')]);
    assert.equal(ok.code, 0, ok.out);
    assert.equal(pki.certs.ca.chain, undefined, 'a self-signed root has no chain file');
  });

  it('client certificate carries the clientAuth EKU and passes -purpose sslclient', async () => {
    const t = await x509Text(crt('client'));
    assert.match(t, /Extended Key Usage:\s*\n\s*TLS Web Client Authentication/);
    assert.match(t, /Key Usage: critical\s*\n\s*Digital Signature/);
    const v = await ossl(['verify', '-CAfile', crt('ca'), '-purpose', 'sslclient', crt('client')]);
    assert.equal(v.code, 0, v.out);
  });

  it('an encrypted key needs its passphrase; keyPlain is the same key unencrypted', async () => {
    const c = pki.certs.client;
    assert.equal(c.keyPassphrase, 'open sesame');
    assert.equal(c.keyEncrypted, true);
    assert.equal(pki.certs.server.keyEncrypted, undefined);
    assert.match(await readFile(c.key as string, 'utf8'), /BEGIN ENCRYPTED PRIVATE KEY/);
    const right = await ossl(['pkey', '-in', c.key as string, '-passin', 'pass:open sesame', '-pubout']);
    assert.equal(right.code, 0, right.out);
    const wrong = await ossl(['pkey', '-in', c.key as string, '-passin', 'pass:wrong', '-noout']);
    assert.notEqual(wrong.code, 0);
    const plain = await ossl(['pkey', '-in', c.keyPlain as string, '-pubout']);
    assert.equal(plain.code, 0, plain.out);
    const certPub = await ossl(['x509', '-in', c.crt, '-noout', '-pubkey']);
    assert.equal(plain.out.trim(), certPub.out.trim());
    assert.equal(right.out.trim(), certPub.out.trim());
  });

  it('private/ is 0700 and keys are 0600', async () => {
    const priv = path.join(pki.dir, 'private');
    assert.equal((await stat(priv)).mode & 0o777, 0o700);
    const keys = await readdir(priv);
    assert.ok(keys.includes('server.key') && keys.includes('client.plain.key'));
    for (const k of keys) assert.equal((await stat(path.join(priv, k))).mode & 0o777, 0o600, k);
  });

  it('summarizeCert reads DER as well as PEM', async () => {
    const der = path.join(tmp.dir, 'server.der');
    const r = await ossl(['x509', '-in', crt('server'), '-outform', 'DER', '-out', der]);
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(await summarizeCert(der, 'server'), pki.certs.server.summary);
  });

  it('summaries match openssl (serial, fingerprint) and summary.json holds no key material', async () => {
    for (const name of Object.keys(spec)) {
      const s = pki.certs[name].summary;
      const r = await ossl(['x509', '-in', crt(name), '-noout', '-serial', '-fingerprint', '-sha256']);
      assert.match(r.out, new RegExp(`serial=${s.serial}\\b`), name);
      assert.ok(r.out.includes(`=${s.fingerprintSha256}`), name);
    }
    const text = await readFile(path.join(pki.dir, 'summary.json'), 'utf8');
    PkiManifest.parse(JSON.parse(text));
    assert.doesNotMatch(text, /PRIVATE KEY|open sesame/);
  });
});

describe('pki: identical CA and server DNs', function () {
  this.timeout(60_000);
  it('still issues the server from the CA, with distinct serials', async () => {
    const tmp = await tempDir('samedn');
    try {
      const dn = { C: 'SE', O: 'himinds', CN: '192.168.0.11' };
      const pki = await buildPki(
        { ca: { subject: dn, key: { type: 'ec' } }, server: { subject: dn, key: { type: 'ec' } } },
        { vars: {}, cacheDir: tmp.dir },
      );
      const [ca, server] = [pki.certs.ca, pki.certs.server];
      assert.equal(ca.summary.subject, server.summary.subject);
      assert.notEqual(ca.summary.serial, server.summary.serial);
      const t = await x509Text(server.crt);
      assert.match(t, /CA:FALSE/);
      const v = await ossl(['verify', '-CAfile', ca.crt, server.crt]);
      assert.equal(v.code, 0, v.out);
      // The server is not self-signed: trusting only itself must fail.
      const self = await ossl(['verify', '-CAfile', server.crt, server.crt]);
      assert.notEqual(self.code, 0);
    } finally {
      await tmp.remove();
    }
  });
});

describe('pki: self-signed leaf', function () {
  this.timeout(60_000);
  it('selfSigned makes a CA:FALSE certificate that is its own issuer and trust anchor', async () => {
    const tmp = await tempDir('selfsigned');
    try {
      const pki = await buildPki(
        { server: { subject: { CN: 'lonely' }, selfSigned: true, key: { type: 'ec' } } },
        { vars: {}, cacheDir: tmp.dir },
      );
      const s = pki.certs.server;
      assert.equal(s.summary.issuer, 'CN=lonely');
      assert.match(await x509Text(s.crt), /CA:FALSE/);
      const v = await ossl(['verify', '-CAfile', s.crt, s.crt]);
      assert.equal(v.code, 0, v.out);
    } finally {
      await tmp.remove();
    }
  });
});

describe('pki: spec errors', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    tmp = await tempDir('errors');
  });
  after(async () => {
    await tmp.remove();
  });
  const build = (s: PkiSpec, vars: Record<string, string> = {}): Promise<PkiBundle> =>
    buildPki(s, { vars, cacheDir: tmp.dir });

  it('detects issuer cycles', async () => {
    await assert.rejects(
      build({ a: { subject: {}, issuer: 'b' }, b: { subject: {}, issuer: 'a' } }),
      /issuer cycle (a → b → a|b → a → b)/,
    );
  });
  it('names an unknown issuer', async () => {
    await assert.rejects(
      build({ ca: { subject: {} }, server: { subject: {}, issuer: 'nope' } }),
      /pki\.server\.issuer: no certificate named "nope"/,
    );
  });
  it('needs a "ca" when a leaf names no issuer', async () => {
    await assert.rejects(
      build({ server: { subject: {} } }),
      /pki\.server: no issuer given and no certificate named "ca"/,
    );
  });
  it('names an unknown placeholder and where it is', async () => {
    await assert.rejects(
      build({ ca: { subject: { CN: '{{broker.ip}}' } } }),
      /pki\.ca\.subject\.CN: unknown placeholder \{\{broker\.ip\}\}/,
    );
  });
  it('refuses extensions on a version 1 certificate', async () => {
    await assert.rejects(
      build({ ca: { subject: {}, version: 1, san: ['DNS:x'] } }),
      /pki\.ca\.san: a version 1 certificate has no extensions/,
    );
  });
  it('refuses certificate names that are not plain file names', async () => {
    await assert.rejects(build({ '../evil': { subject: {}, selfSigned: true } }), /certificate name "\.\.\/evil"/);
  });
  it('reports schema problems with the field path', async () => {
    await assert.rejects(
      build({ ca: { subject: {}, key: { type: 'rsa', bits: 1000 } } } as unknown as PkiSpec),
      /pki\.ca\.key\.bits/,
    );
  });
});

describe('pki: RSA 4096', function () {
  this.timeout(120_000);
  it('makes a 4096-bit RSA key', async () => {
    const tmp = await tempDir('rsa4096');
    try {
      const pki = await buildPki(
        { ca: { subject: { CN: 'big' }, key: { type: 'rsa', bits: 4096 } } },
        { vars: {}, cacheDir: tmp.dir },
      );
      assert.match(await x509Text(pki.certs.ca.crt), /Public-Key: \(4096 bit\)/);
      assert.equal(pki.certs.ca.summary.key, 'RSA 4096');
    } finally {
      await tmp.remove();
    }
  });
});
