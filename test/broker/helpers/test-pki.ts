// Test certificates made with the openssl CLI, shaped like rig/pki's PkiBundle, so the broker and
// control tests do not depend on the PKI module. Cached per process in one temp folder.
import { mkdtempSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { BrokerPki } from '../../../rig/broker/types.ts';

export interface TestPki extends BrokerPki {
  /** Names of the certificates made (see testPki). */
  names: string[];
}

interface LeafOpts {
  cn: string;
  san?: string;
  issuer?: string;
  days?: number;
  startdate?: string;
  enddate?: string;
  hash?: string;
  clientAuth?: boolean;
  passphrase?: string;
}

let cached: Promise<TestPki> | undefined;

/** ca, otherca (self-signed CAs); server, server-wrongname, server-expired, server-sha1, server-enc (signed by ca);
 *  client (CN device-01, signed by ca), client-other (signed by otherca). */
export function testPki(): Promise<TestPki> {
  cached ??= makeTestPki();
  return cached;
}

async function makeTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'rig-test-pki-'));
  const priv = join(dir, 'private');
  mkdirSync(priv, { mode: 0o700 });
  const certs: BrokerPki['certs'] = {};
  const openssl = (args: string[]) => execa('openssl', args, { cwd: dir });

  for (const ca of ['ca', 'otherca']) {
    const key = join(priv, `${ca}.key`);
    await openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      join(dir, `${ca}.crt`),
      '-days',
      '365',
      '-subj',
      `/CN=Rig Test ${ca}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    chmodSync(key, 0o600);
    certs[ca] = { name: ca, crt: join(dir, `${ca}.crt`), key };
  }

  // `openssl ca` is the only openssl 3.0 command that can backdate a certificate (expired case).
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  const leaf = async (name: string, o: LeafOpts) => {
    const key = join(priv, `${name}.key`);
    const csr = join(dir, `${name}.csr`);
    const issuer = o.issuer ?? 'ca';
    await openssl([
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      csr,
      '-subj',
      `/CN=${o.cn}`,
    ]);
    const ext = [
      'basicConstraints=critical,CA:FALSE',
      `extendedKeyUsage=${o.clientAuth ? 'clientAuth' : 'serverAuth'}`,
      ...(o.san ? [`subjectAltName=${o.san}`] : []),
    ];
    const conf = join(dir, `${name}.cnf`);
    writeFileSync(
      conf,
      [
        '[ca]',
        'default_ca=rig',
        '[rig]',
        `dir=${dir}`,
        'database=$dir/index.txt',
        'serial=$dir/serial',
        'new_certs_dir=$dir',
        `default_md=${o.hash ?? 'sha256'}`,
        'policy=any',
        'unique_subject=no',
        'copy_extensions=none',
        '[any]',
        'commonName=supplied',
        '[ext]',
        ...ext,
        '',
      ].join('\n'),
    );
    const dates = o.startdate
      ? ['-startdate', o.startdate, '-enddate', o.enddate ?? '']
      : ['-days', String(o.days ?? 365)];
    await openssl([
      'ca',
      '-batch',
      '-config',
      conf,
      '-extensions',
      'ext',
      '-cert',
      certs[issuer].crt,
      '-keyfile',
      certs[issuer].key ?? '',
      '-in',
      csr,
      '-out',
      join(dir, `${name}.crt`),
      '-notext',
      ...dates,
    ]);
    chmodSync(key, 0o600);
    certs[name] = { name, crt: join(dir, `${name}.crt`), key };
    if (o.passphrase) {
      const enc = join(priv, `${name}.enc.key`);
      await openssl(['pkey', '-in', key, '-out', enc, '-aes256', '-passout', `pass:${o.passphrase}`]);
      certs[name] = { name, crt: join(dir, `${name}.crt`), key: enc, keyPassphrase: o.passphrase, keyPlain: key };
    }
  };
  const san = 'DNS:localhost,IP:127.0.0.1';
  await leaf('server', { cn: 'localhost', san });
  await leaf('server-wrongname', { cn: 'wrong.example', san: 'DNS:wrong.example' });
  await leaf('server-expired', { cn: 'localhost', san, startdate: '20200101000000Z', enddate: '20210101000000Z' });
  await leaf('server-sha1', { cn: 'localhost', san, hash: 'sha1' });
  await leaf('server-enc', { cn: 'localhost', san, passphrase: 'secret-pass' });
  await leaf('client', { cn: 'device-01', clientAuth: true });
  await leaf('client-other', { cn: 'device-02', clientAuth: true, issuer: 'otherca' });
  return { dir, certs, names: Object.keys(certs) };
}
