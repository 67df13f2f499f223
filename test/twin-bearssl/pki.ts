// Certificates for the BearSSL twin tests, made with the openssl CLI: a private CA, server leaves with the
// SANs the scenarios need, an RSA client certificate and a P-256 client key for the MKR's ECCX08 slot.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

export interface BearPki {
  dir: string;
  caCrt: string;
  /** A second, unrelated CA (its certificates are never trusted by the twins). */
  otherCaCrt: string;
  file(name: string): string;
  pem(name: string): string;
}

/** Signs `<name>.csr` with the CA into `<name>.crt`, extensions from `ext` (openssl x509 -extfile syntax). */
function sign(dir: string, name: string, ext: string, opts: { ca?: string; md?: string } = {}): void {
  const ca = opts.ca ?? 'ca';
  writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '30',
      `-${opts.md ?? 'sha256'}`,
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  );
}

export function makeBearPki(dir: string): BearPki {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const caReq = (name: string, cn: string) =>
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.crt`,
        '-days',
        '365',
        '-sha256',
        '-subj',
        `/CN=${cn}`,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
      ],
      dir,
    );
  caReq('ca', 'MQTTCA');
  caReq('otherca', 'Other CA');
  const rsaCsr = (name: string, cn: string) =>
    openssl(
      ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`],
      dir,
    );
  // Seed 002's server: CN=raspberry, SAN IP + DNS.
  rsaCsr('server', 'raspberry');
  sign(dir, 'server', 'subjectAltName=IP:127.0.0.1,DNS:raspberry\n');
  // Same names, signed with SHA-1 (BearSSL x509_minimal still accepts SHA-1 signatures).
  rsaCsr('sha1', 'raspberry');
  sign(dir, 'sha1', 'subjectAltName=IP:127.0.0.1,DNS:raspberry\n', { md: 'sha1' });
  // Expired leaf with the right name: openssl ca takes explicit dates.
  rsaCsr('expired', 'raspberry');
  mkdirSync(path.join(dir, 'ca-db'), { recursive: true });
  writeFileSync(path.join(dir, 'ca-db', 'index.txt'), '');
  writeFileSync(path.join(dir, 'ca-db', 'serial'), '2000\n');
  writeFileSync(
    path.join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = rig',
      '[rig]',
      `dir = ${dir}`,
      'database = $dir/ca-db/index.txt',
      'new_certs_dir = $dir/ca-db',
      'serial = $dir/ca-db/serial',
      'default_md = sha256',
      'policy = any',
      'copy_extensions = none',
      'unique_subject = no',
      '[any]',
      'commonName = supplied',
      '[ext]',
      'subjectAltName = IP:127.0.0.1,DNS:raspberry',
      '',
    ].join('\n'),
  );
  openssl(
    [
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-cert',
      'ca.crt',
      '-keyfile',
      'ca.key',
      '-in',
      'expired.csr',
      '-out',
      'expired.crt',
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20210101000000Z',
      '-extensions',
      'ext',
      '-notext',
    ],
    dir,
  );
  // Seed 001's server: CN = the broker's IP, no SAN (the poster's "Ubuntu IP" in the CN).
  rsaCsr('ipcn', '127.0.0.1');
  sign(dir, 'ipcn', 'basicConstraints=CA:FALSE\n');
  // RSA client certificate (seed 002) and one from the other CA.
  rsaCsr('client', 'ESP8266');
  sign(dir, 'client', 'basicConstraints=CA:FALSE\n');
  rsaCsr('otherclient', 'ESP8266');
  sign(dir, 'otherclient', 'basicConstraints=CA:FALSE\n', { ca: 'otherca' });
  // The MKR's ECCX08 slot 0 key (P-256) and its certificate, as after ECCX08CSR + CA signing.
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'slot0.key'], dir);
  openssl(['req', '-new', '-key', 'slot0.key', '-out', 'slot0.csr', '-subj', '/CN=mymkr'], dir);
  sign(dir, 'slot0', 'basicConstraints=CA:FALSE\n');
  // ECDSA P-384 CA and server leaf (ecdsa-with-SHA384): the MKR's ECCX08 verifies P-256/SHA-256 only.
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:secp384r1',
      '-nodes',
      '-keyout',
      'p384ca.key',
      '-out',
      'p384ca.crt',
      '-days',
      '365',
      '-sha384',
      '-subj',
      '/CN=P384 CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:secp384r1',
      '-nodes',
      '-keyout',
      'p384.key',
      '-out',
      'p384.csr',
      '-subj',
      '/CN=127.0.0.1',
    ],
    dir,
  );
  sign(dir, 'p384', 'basicConstraints=CA:FALSE\n', { ca: 'p384ca', md: 'sha384' });
  writeFileSync(
    path.join(dir, 'bundle.crt'),
    readFileSync(path.join(dir, 'ca.crt'), 'utf8') + readFileSync(path.join(dir, 'p384ca.crt'), 'utf8'),
  );
  for (const f of ['p384ca.crt', 'p384.crt', 'p384.key', 'bundle.crt']) chmodSync(path.join(dir, f), 0o644);
  for (const f of [
    'ca.crt',
    'otherca.crt',
    'server.crt',
    'server.key',
    'sha1.crt',
    'sha1.key',
    'expired.crt',
    'expired.key',
    'ipcn.crt',
    'ipcn.key',
    'client.crt',
    'client.key',
    'otherclient.crt',
    'otherclient.key',
    'slot0.crt',
    'slot0.key',
  ])
    chmodSync(path.join(dir, f), 0o644);
  const file = (name: string) => path.join(dir, name);
  return {
    dir,
    caCrt: file('ca.crt'),
    otherCaCrt: file('otherca.crt'),
    file,
    pem: (name) => readFileSync(file(name), 'utf8'),
  };
}
