// A certificate revocation list signed by a CA of the PKI, as an operator makes one: `openssl ca -revoke` into a
// throwaway database, then `openssl ca -gencrl`. The CA's key is read where the PKI keeps it and never copied:
// only the CRL (public) leaves the temporary folder.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openssl } from './openssl.ts';

export interface CrlSigner {
  /** The CA certificate (PEM). */
  crt: string;
  /** Its private key (PEM), unencrypted or with `passphrase`. */
  key: string;
  passphrase?: string;
}

export interface CrlRequest {
  ca: CrlSigner;
  /** Certificates (PEM files) to list as revoked; each should be issued by `ca`. */
  revoked: string[];
  /** Where the PEM CRL goes. */
  out: string;
  /** nextUpdate, days from now (default 30): a broker checks the CRL's dates against its own clock. */
  days?: number;
}

const PASS_ENV = 'RIG_CRL_CA_PASSPHRASE';

/** Writes the CRL to `r.out`; throws a PkiError naming the openssl command that failed. */
export async function makeCrl(r: CrlRequest): Promise<void> {
  const db = await mkdtemp(path.join(tmpdir(), 'rig-crl-'));
  try {
    await writeFile(path.join(db, 'index.txt'), '');
    await writeFile(path.join(db, 'crlnumber'), '01\n');
    await writeFile(
      path.join(db, 'openssl.cnf'),
      [
        '[ ca ]',
        'default_ca = rig_crl',
        '[ rig_crl ]',
        `database = ${path.join(db, 'index.txt')}`,
        `crlnumber = ${path.join(db, 'crlnumber')}`,
        'default_md = sha256',
        `default_crl_days = ${r.days ?? 30}`,
        '',
      ].join('\n'),
    );
    const signer = ['-config', path.join(db, 'openssl.cnf'), '-cert', r.ca.crt, '-keyfile', r.ca.key];
    const pass = r.ca.passphrase !== undefined ? ['-passin', `env:${PASS_ENV}`] : [];
    const run = (what: string) => ({
      cwd: db,
      what,
      ...(r.ca.passphrase !== undefined ? { env: { [PASS_ENV]: r.ca.passphrase } } : {}),
    });
    for (const crt of r.revoked)
      await openssl(['ca', '-batch', ...signer, ...pass, '-revoke', crt, '-crl_reason', 'keyCompromise'], {
        ...run(`revoking ${path.basename(crt)}`),
      });
    await openssl(['ca', '-batch', ...signer, ...pass, '-gencrl', '-out', r.out], run('signing the CRL'));
  } finally {
    await rm(db, { recursive: true, force: true });
  }
}
