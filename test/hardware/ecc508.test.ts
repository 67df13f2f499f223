// A real MKR1000's client certificate: issued again for the key inside its ECC508, from the CSR the lab
// recorded. A P-256 key and CSR made with openssl stand in for the chip (the chip's CSR is standard PKCS#10).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { certForBoardKey } from '../../rig/hardware/ecc508.ts';
import { loadInventory } from '../../rig/hardware/inventory.ts';
import { buildPki, type PkiBundle } from '../../rig/pki/index.ts';

const ossl = (args: string[], input?: string): string =>
  execFileSync('openssl', args, { encoding: 'utf8', ...(input ? { input } : {}) });

describe('hardware: MKR1000 client certificates for the ECC508 key', function () {
  this.timeout(60_000);
  let tmp: string;
  let pki: PkiBundle;
  let boardKey: string;
  let csr: string;

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-ecc508-test-'));
    pki = await buildPki(
      {
        ca: { subject: { CN: 'Lab CA' } },
        server: { subject: { CN: 'broker.lab' }, san: ['DNS:broker.lab'] },
        device: {
          issuer: 'ca',
          subject: { CN: 'device-01', O: 'Rig' },
          key: { type: 'ec', curve: 'P-256' },
          extendedKeyUsage: ['clientAuth'],
        },
      },
      { vars: {}, cacheDir: path.join(tmp, 'pki') },
    );
    boardKey = path.join(tmp, 'chip.key');
    ossl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', boardKey]);
    csr = path.join(tmp, 'mkr-1.csr');
    ossl(['req', '-new', '-key', boardKey, '-subj', '/CN=0123EE56789ABCDEF0', '-out', csr]);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it("keeps the scenario certificate's subject, extensions and CA, with the board's public key", async () => {
    const { certPem, issuer } = await certForBoardKey(pki.certs.device!, pki, csr, 'mkr-1');
    assert.equal(issuer, 'ca');
    const file = path.join(tmp, 'issued.crt');
    writeFileSync(file, certPem);
    assert.match(ossl(['verify', '-CAfile', pki.certs.ca!.crt, file]), /: OK/);
    const pubOf = (args: string[]) => ossl(args).trim();
    assert.equal(pubOf(['x509', '-in', file, '-noout', '-pubkey']), pubOf(['pkey', '-in', boardKey, '-pubout']));
    assert.notEqual(
      pubOf(['x509', '-in', file, '-noout', '-pubkey']),
      pubOf(['x509', '-in', pki.certs.device!.crt, '-noout', '-pubkey']),
    );
    const text = ossl(['x509', '-in', file, '-noout', '-subject', '-ext', 'extendedKeyUsage']);
    assert.match(text, /subject=.*CN ?= ?device-01/);
    assert.match(text, /TLS Web Client Authentication/);
  });

  it('refuses a CSR whose key is not P-256 (an ECC508 slot holds nothing else)', async () => {
    const rsaKey = path.join(tmp, 'rsa.key');
    ossl(['genrsa', '-out', rsaKey, '2048']);
    const rsaCsr = path.join(tmp, 'rsa.csr');
    ossl(['req', '-new', '-key', rsaKey, '-subj', '/CN=x', '-out', rsaCsr]);
    await assert.rejects(
      certForBoardKey(pki.certs.device!, pki, rsaCsr, 'mkr-2'),
      /mkr-2: the CSR .* does not hold a P-256 key/,
    );
  });

  it('refuses a file that is not a valid CSR, naming the board', async () => {
    const bad = path.join(tmp, 'bad.csr');
    writeFileSync(bad, '-----BEGIN CERTIFICATE REQUEST-----\nnot base64\n-----END CERTIFICATE REQUEST-----\n');
    await assert.rejects(certForBoardKey(pki.certs.device!, pki, bad, 'mkr-3'), /board mkr-3: CSR from the ECC508/);
  });

  it('the inventory resolves ecc508.csr against the inventory file, not the working folder', async () => {
    const labDir = path.join(tmp, 'lab');
    execFileSync('mkdir', ['-p', labDir]);
    const file = path.join(labDir, 'rig.lab.yaml');
    writeFileSync(
      file,
      'version: 1\nboards:\n  - { name: mkr-1, profile: mkr1000, serial: ABC123, ecc508: { csr: csr/mkr-1.csr } }\n',
    );
    const inv = await loadInventory(file);
    assert.equal(inv.boards[0]!.ecc508?.csr, path.join(labDir, 'csr', 'mkr-1.csr'));
  });
});
