// One PKI for the diagnose end-to-end tests: every certificate a rule needs, made once by the rig's own
// declarative PKI. All dates are absolute, so the PKI cache (and with it the twins' arduino_secrets.h and
// their content-hashed builds) stays the same from one test run to the next: warm runs compile nothing.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildPki, type PkiBundle } from '../../rig/pki/index.ts';
import type { PkiSpec } from '../../rig/scenario/schema.ts';
import { projectPaths } from '../../rig/project.ts';

const LONG = { notBefore: '2024-01-01T00:00:00Z', notAfter: '2099-12-31T00:00:00Z' };

export const DIAGNOSE_TEST_PKI: PkiSpec = {
  ca: { subject: { O: 'Rig Test', CN: 'Rig Test CA' }, validity: LONG },
  server: { subject: { O: 'Rig Test', CN: 'raspberry' }, san: ['DNS:raspberry'], validity: LONG },
  // Another CA altogether, and one made again with the same name (a new key).
  'other-ca': { subject: { CN: 'Somebody Else CA' }, ca: true, selfSigned: true, validity: LONG },
  'ca-remade': { subject: { O: 'Rig Test', CN: 'Rig Test CA' }, ca: true, selfSigned: true, validity: LONG },
  // An X.509 v1 "CA" (no basicConstraints): BearSSL on the ESP8266 will not take it as an issuer.
  'v1-ca': { subject: { CN: 'Rig V1 CA' }, ca: true, selfSigned: true, version: 1, validity: LONG },
  'v1-server': { issuer: 'v1-ca', subject: { CN: 'raspberry' }, version: 1, validity: LONG },
  expired: {
    subject: { CN: 'raspberry' },
    san: ['DNS:raspberry'],
    validity: { notBefore: '2020-01-01T00:00:00Z', notAfter: '2021-01-01T00:00:00Z' },
  },
  future: {
    subject: { CN: 'raspberry' },
    san: ['DNS:raspberry'],
    validity: { notBefore: '2090-01-01T00:00:00Z', notAfter: '2099-12-31T00:00:00Z' },
  },
  sha1: { subject: { CN: 'raspberry' }, san: ['DNS:raspberry'], hash: 'sha1', validity: LONG },
  rsa1024: { subject: { CN: 'raspberry' }, san: ['DNS:raspberry'], key: { type: 'rsa', bits: 1024 }, validity: LONG },
  // Seed 000's mistake: CA and server with one DN, the server a v1 certificate (no authority key identifier).
  'home-ca': { subject: { O: 'PSS', OU: 'PSS', CN: 'home' }, ca: true, selfSigned: true, validity: LONG },
  'home-server': { issuer: 'home-ca', subject: { O: 'PSS', OU: 'PSS', CN: 'home' }, version: 1, validity: LONG },
  // Root → intermediate → leaf.
  root: { subject: { CN: 'Rig Test Root' }, ca: true, selfSigned: true, validity: LONG },
  int: { issuer: 'root', subject: { CN: 'Rig Test Intermediate' }, ca: true, validity: LONG },
  leaf: { issuer: 'int', subject: { CN: 'raspberry' }, san: ['DNS:raspberry'], validity: LONG },
  'client-rsa': { subject: { CN: 'mymkr' }, extendedKeyUsage: ['clientAuth'], validity: LONG },
};

export interface TestPki {
  pki: PkiBundle;
  crt(name: string): string;
  key(name: string): string;
}

export async function diagnoseTestPki(): Promise<TestPki> {
  const pki = await buildPki(DIAGNOSE_TEST_PKI, { vars: {}, cacheDir: path.join(projectPaths().cache, 'pki') });
  const cert = (name: string) => {
    const c = pki.certs[name];
    if (!c) throw new Error(`test PKI has no ${name}`);
    return c;
  };
  return {
    pki,
    crt: (n) => cert(n).crt,
    key: (n) => {
      const k = cert(n).keyPlain ?? cert(n).key;
      if (!k) throw new Error(`${n} has no key`);
      return k;
    },
  };
}

/**
 * The user's folder for the chain cases: the leaf alone as server.crt with int.crt beside it (where diagnose
 * finds the intermediate the broker does not send), and fullchain.crt (leaf + intermediate).
 */
export async function chainFolder(
  t: TestPki,
  dir: string,
): Promise<{ leaf: string; full: string; key: string; root: string }> {
  await mkdir(dir, { recursive: true });
  const f = (n: string) => path.join(dir, n);
  await copyFile(t.crt('leaf'), f('server.crt'));
  await copyFile(t.crt('int'), f('int.crt'));
  await copyFile(t.crt('root'), f('root.crt'));
  await writeFile(
    f('fullchain.crt'),
    `${await readFile(t.crt('leaf'), 'utf8')}${await readFile(t.crt('int'), 'utf8')}`,
  );
  return { leaf: f('server.crt'), full: f('fullchain.crt'), key: t.key('leaf'), root: f('root.crt') };
}
