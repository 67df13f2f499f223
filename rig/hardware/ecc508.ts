// A MKR1000 keeps its client key inside its ECC508: the key never leaves the chip, so the rig cannot hand
// the board the key it generated for the scenario. Instead the lab records, once per board, a CSR the chip
// made for its slot-0 key (ArduinoECCX08's ECCX08CSR example), and every cell issues the scenario's client
// certificate again for that public key: same subject, extensions and issuing CA, the board's key.
import { readFile } from 'node:fs/promises';
import { ownedTempDir } from '../process/index.ts';
import path from 'node:path';
import type { PkiBundle, PkiCert } from '../pki/index.ts';
import { openssl } from '../pki/openssl.ts';
import { TargetError } from '../errors.ts';

export interface BoardKeyCert {
  certPem: string;
  issuer: string;
}

/**
 * Issues `template` (a client certificate of the scenario's PKI) again for the public key in `csrFile`,
 * signed by the same CA. The CSR's own signature is checked, and its key must be P-256 (all the ECC508 holds).
 */
export async function certForBoardKey(
  template: PkiCert,
  pki: PkiBundle,
  csrFile: string,
  boardName: string,
): Promise<BoardKeyCert> {
  const ca = Object.values(pki.certs).find(
    (c) => c !== template && c.key && c.summary.subject === template.summary.issuer,
  );
  if (!ca?.key) {
    throw new TargetError(
      'setup-failed',
      `board ${boardName}: no CA with a key issued the client certificate "${template.name}" (issuer ${template.summary.issuer}); ` +
        "a certificate for the board's ECC508 key cannot be issued",
    );
  }
  if (!template.key || template.keyEncrypted) {
    throw new TargetError(
      'setup-failed',
      `board ${boardName}: the client certificate "${template.name}" has no plain key to copy its request from`,
    );
  }
  const days = Math.floor((Date.parse(template.summary.notAfter) - Date.now()) / 86_400_000);
  if (days < 1) {
    throw new TargetError(
      'setup-failed',
      `board ${boardName}: the client certificate "${template.name}" is expired or ends today; ` +
        'its dates cannot be reproduced for a board key (openssl x509 -req takes -days only)',
    );
  }
  const owned = ownedTempDir('rig-ecc508-');
  const dir = owned.dir;
  const run = (what: string) => ({ cwd: dir, what: `board ${boardName}: ${what}` });
  try {
    await openssl(['req', '-in', csrFile, '-verify', '-noout'], run('CSR from the ECC508'));
    const pub = path.join(dir, 'board-pub.pem');
    await openssl(['req', '-in', csrFile, '-noout', '-pubkey', '-out', pub], run('public key of the CSR'));
    const keyText = await openssl(['pkey', '-pubin', '-in', pub, '-noout', '-text'], run('CSR key type'));
    if (!/ASN1 OID: prime256v1|NIST CURVE: P-256/.test(keyText)) {
      throw new TargetError(
        'setup-failed',
        `board ${boardName}: the CSR ${csrFile} does not hold a P-256 key; an ECC508 slot key is always P-256`,
      );
    }
    // The scenario's certificate as a request (subject and extensions), signed by the rig's key only to
    // carry them; -force_pubkey then puts the board's key into the certificate.
    const req = path.join(dir, 'template.csr');
    await openssl(
      [
        'x509',
        '-x509toreq',
        '-in',
        template.crt,
        '-signkey',
        template.keyPlain ?? template.key,
        '-copy_extensions',
        'copyall',
        '-out',
        req,
      ],
      run(`request from "${template.name}"`),
    );
    const out = path.join(dir, 'board.crt');
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        req,
        '-copy_extensions',
        'copyall',
        '-force_pubkey',
        pub,
        '-CA',
        ca.crt,
        '-CAkey',
        ca.keyPlain ?? ca.key,
        ...(ca.keyPassphrase && !ca.keyPlain ? ['-passin', 'env:RIG_CA_PASS'] : []),
        '-CAcreateserial',
        '-days',
        String(days),
        '-sha256',
        '-out',
        out,
      ],
      {
        ...run(`certificate for the ECC508 key signed by "${ca.name}"`),
        ...(ca.keyPassphrase ? { env: { RIG_CA_PASS: ca.keyPassphrase } } : {}),
      },
    );
    return { certPem: await readFile(out, 'utf8'), issuer: ca.name };
  } finally {
    owned.remove();
  }
}
