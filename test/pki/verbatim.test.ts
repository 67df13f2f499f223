// Verbatim PKI: forum posts' own openssl commands (seeds 000 and 002) run as written, plus -subj.
import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { buildPki } from '../../rig/pki/index.ts';
import { parseOpensslVersion } from '../../rig/pki/openssl.ts';
import { mapFiles } from '../../rig/pki/verbatim.ts';
import { ossl, tempDir, x509Text, hasExactDateFlags } from './helpers.ts';

// Seed 000 (d9ea94a24f1cfe21), lines 5-9, with -subj added to the two `req` commands
// (the post answered the prompts by hand). CA and server share every DN field but OU.
const SEED_000 = `
sudo openssl genrsa -out ca.key 2048
sudo openssl req -new -x509 -days 3600 -key ca.key -out ca.crt -subj "/C=IT/O=Home/OU=CA/CN={{broker.ip}}"
sudo openssl genrsa -out server.key 2048
sudo openssl req -new -out server.csr -key server.key -subj "/C=IT/O=Home/OU=Server/CN={{broker.ip}}"
sudo openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 3600
`;

// Seed 002 (2b23c8249877878c), the certificate part of the post's script; the post's "****"
// placeholders filled with real values. The server SAN comes from -extfile <(printf …) (bash only).
const SEED_002 = `
COUNTRY="IT"
STATE="Lazio"
LOCALITY="Roma"
ORGANIZATION="Home"
ORGANIZATIONAL_UNIT="IoT"
CA_COMMON_NAME="MQTTCA"
EMAIL="."
SERVER_COMMON_NAME="raspberry"  # <-- Changed to hostname
SERVER_SAN="IP:192.168.0.52,DNS:raspberry"  # <-- SAN defined here
SERVER_EMAIL="."
CLIENT_COMMON_NAME="ESP8266"

# Create CA (RSA 2048)
openssl genrsa -out ca.key 2048
openssl req -x509 -new -nodes -key ca.key -sha256 -days 3650 -out ca.crt \\
  -subj "/C=$COUNTRY/ST=$STATE/L=$LOCALITY/O=$ORGANIZATION OU=$ORGANIZATIONAL_UNIT/CN=$CA_COMMON_NAME/emailAddress=$EMAIL"

# Create Server Certificate (RSA 2048)
openssl genrsa -out server.key 2048
openssl req -new -key server.key -out server.csr \\
  -subj "/C=$COUNTRY/ST=$STATE/L=$LOCALITY/O=$ORGANIZATION/OU=$ORGANIZATIONAL_UNIT/CN=$SERVER_COMMON_NAME/emailAddress=$SERVER_EMAIL" \\
  -addext "subjectAltName=$SERVER_SAN"  # <-- SAN added here

openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 365 \\
  -extfile <(printf "subjectAltName=IP:192.168.0.52,DNS:raspberry")

# Create Client Certificate (RSA 2048)
openssl genrsa -out client.key 2048
openssl req -new -key client.key -out client.csr \\
  -subj "/C=$COUNTRY/ST=$STATE/L=$LOCALITY/O=$ORGANIZATION/OU=$ORGANIZATIONAL_UNIT/CN=$CLIENT_COMMON_NAME/emailAddress=$SERVER_EMAIL"

openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 365

# Convert for ESP8266 (RSA version)
openssl x509 -in ca.crt -out ca.der -outform DER
openssl x509 -in client.crt -out client.der -outform DER
openssl rsa -in client.key -out client_key.der -outform DER  # <- Changed from 'ec' to 'rsa'

# Verify
echo "Server Certificate SAN:"
openssl x509 -in server.crt -noout -text | grep -A1 "Subject Alternative Name"
`;

describe('pki: verbatim scripts', function () {
  this.timeout(120_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    tmp = await tempDir('verbatim');
  });
  after(async () => {
    await tmp.remove();
  });
  const vars = { 'broker.ip': '192.168.0.11' };

  it('seed 000: sudo commands run; server is a v1 certificate issued by the CA', async () => {
    const pki = await buildPki(
      { verbatim: { script: SEED_000, files: { ca: 'ca.crt', server: 'server.crt' } } },
      { vars, cacheDir: tmp.dir },
    );
    const { ca, server } = pki.certs;
    assert.equal(ca.summary.subject, 'CN=192.168.0.11,OU=CA,O=Home,C=IT');
    assert.equal(server.summary.issuer, ca.summary.subject);
    // `x509 -req` without -extfile writes version 1 on OpenSSL 3.0/3.1 (the post's server cert has no SAN);
    // later releases may add default extensions and so write v3.
    const text = await x509Text(server.crt);
    if (hasExactDateFlags(parseOpensslVersion((await ossl(['version'])).out))) {
      assert.match(text, new RegExp(`Version: ${server.summary.version} `));
    } else {
      assert.match(text, /Version: 1 \(0x0\)/);
      assert.equal(server.summary.version, 1);
    }
    assert.deepEqual(server.summary.san, []);
    assert.ok(server.key, 'server.key picked up beside server.crt');
    assert.equal((await stat(server.key as string)).mode & 0o777, 0o600);
    const v = await ossl(['verify', '-CAfile', ca.crt, server.crt]);
    assert.equal(v.code, 0, v.out);
    const pub = await ossl(['pkey', '-in', server.key as string, '-pubout']);
    const certPub = await ossl(['x509', '-in', server.crt, '-noout', '-pubkey']);
    assert.equal(pub.out.trim(), certPub.out.trim());
  });

  it('seed 002: SAN from -extfile <(printf …), client cert, DER files converted', async () => {
    const pki = await buildPki(
      {
        verbatim: {
          script: SEED_002,
          files: {
            ca: 'ca.crt',
            server: 'server.crt',
            client: 'client.der',
            'client.key': 'client_key.der',
            'ca-der': 'ca.der',
          },
        },
      },
      { vars, cacheDir: tmp.dir },
    );
    const { ca, server, client } = pki.certs;
    assert.deepEqual(server.summary.san, ['IP:192.168.0.52', 'DNS:raspberry']);
    assert.match(await x509Text(server.crt), /IP Address:192\.168\.0\.52, DNS:raspberry/);
    assert.match(client.summary.subject, /CN=ESP8266/);
    assert.match(await readFile(client.crt, 'utf8'), /BEGIN CERTIFICATE/, 'DER certificate stored as PEM');
    assert.match(await readFile(client.key as string, 'utf8'), /BEGIN PRIVATE KEY/, 'DER key stored as PEM');
    assert.equal(pki.certs['ca-der'].summary.fingerprintSha256, ca.summary.fingerprintSha256);
    for (const leaf of [server, client]) {
      const v = await ossl(['verify', '-CAfile', ca.crt, leaf.crt]);
      assert.equal(v.code, 0, v.out);
    }
    const log = await readFile(path.join(pki.dir, 'script.log'), 'utf8');
    assert.match(log, /Server Certificate SAN:/);
  });

  it('seed 001: a -des3 server key is flagged as encrypted', async () => {
    // Seed 001 (a50cab748aca7426) line 18, with -passout so nothing prompts.
    const script = [
      'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=ca -keyout ca.key -out ca.crt -days 30',
      'openssl genrsa -des3 -passout pass:1234 -out server.key 2048',
      'openssl req -new -key server.key -passin pass:1234 -subj /CN=server -out server.csr',
      'openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 30',
    ].join('\n');
    const pki = await buildPki(
      { verbatim: { script, files: { ca: 'ca.crt', server: 'server.crt' } } },
      { vars, cacheDir: tmp.dir },
    );
    assert.equal(pki.certs.server.keyEncrypted, true);
    assert.equal(pki.certs.ca.keyEncrypted, undefined);
    const locked = await ossl(['pkey', '-in', pki.certs.server.key as string, '-noout', '-passin', 'pass:wrong']);
    assert.notEqual(locked.code, 0);
  });

  it('a command that would prompt fails, and the error names the command and line', async () => {
    const script =
      'openssl genrsa -out server.key 2048\nopenssl req -new -out server.csr -key server.key\necho never\n';
    await assert.rejects(
      buildPki({ verbatim: { script, files: { server: 'server.crt' } } }, { vars, cacheDir: tmp.dir }),
      (e: Error) => {
        assert.match(e.message, /line 2: `openssl req -new -out server\.csr -key server\.key` failed/);
        assert.match(e.message, /Error making certificate request|problems making Certificate Request/i);
        return true;
      },
    );
  });

  it('a file the script did not write is named, with what it did write', async () => {
    const script =
      'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=x -keyout ca.key -out ca.crt -days 2\n';
    await assert.rejects(
      buildPki({ verbatim: { script, files: { ca: 'ca.crt', server: 'server.crt' } } }, { vars, cacheDir: tmp.dir }),
      /"server" needs server\.crt, which the script did not write \(it wrote: ca\.crt, ca\.key\)/,
    );
  });

  it('substitutes placeholders in the script and refuses unknown ones', async () => {
    const script =
      'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN={{broker.ip}}" -keyout ca.key -out ca.crt -days 2\n';
    const pki = await buildPki({ verbatim: { script, files: {} } }, { vars, cacheDir: tmp.dir });
    assert.equal(pki.certs.ca.summary.subject, 'CN=192.168.0.11');
    assert.ok(pki.certs.ca.key, 'empty files: every *.crt with its .key');
    await assert.rejects(
      buildPki({ verbatim: { script, files: {} } }, { vars: {}, cacheDir: tmp.dir }),
      /pki\.verbatim\.script: unknown placeholder \{\{broker\.ip\}\}/,
    );
  });

  it('keeps keys out of the script log', async () => {
    const script =
      'openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256\nopenssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=y -keyout ca.key -out ca.crt -days 2\n';
    const pki = await buildPki({ verbatim: { script, files: { ca: 'ca.crt' } } }, { vars, cacheDir: tmp.dir });
    const log = await readFile(path.join(pki.dir, 'script.log'), 'utf8');
    assert.match(log, /\[private key redacted\]/);
    assert.doesNotMatch(log, /BEGIN PRIVATE KEY/);
  });
});

describe('pki: verbatim file mapping', () => {
  it('maps X / X.crt to certificates and X.key to their keys', () => {
    assert.deepEqual(
      mapFiles({ ca: 'ca.pem', 'server.crt': 'srv.crt', 'server.key': 'srv-key.pem' }, [
        'ca.pem',
        'ca.key',
        'srv.crt',
        'srv-key.pem',
      ]),
      { ca: { crt: 'ca.pem', key: 'ca.key' }, server: { crt: 'srv.crt', key: 'srv-key.pem' } },
    );
  });
  it('empty files picks every *.crt with its sibling key', () => {
    assert.deepEqual(mapFiles({}, ['ca.crt', 'server.crt', 'server.key', 'server.csr']), {
      ca: { crt: 'ca.crt' },
      server: { crt: 'server.crt', key: 'server.key' },
    });
  });
  it('refuses a key without a certificate and paths outside the folder', () => {
    assert.throws(() => mapFiles({ 'x.key': 'x.key' }, ['x.key']), /key "x\.key" has no certificate "x"/);
    assert.throws(() => mapFiles({ ca: '../ca.crt' }, []), /must be a path inside/);
    assert.throws(() => mapFiles({ ca: '/etc/ssl/ca.crt' }, []), /must be a path inside/);
  });
});
