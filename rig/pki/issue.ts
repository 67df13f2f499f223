// Issues a planned declarative PKI with the openssl CLI into a build folder:
//   certs/<name>.crt, certs/<name>.fullchain.crt (leaf + intermediates, for non-self-signed certs),
//   private/<name>.key (encrypted when a passphrase is set) and private/<name>.plain.key (then only).
// Every certificate is signed by `openssl ca` with a throwaway database: on OpenSSL 3.0 only `ca`
// takes exact dates (-startdate/-enddate; `x509 -not_before` arrives in 3.2), and `ca` without an
// extension section writes a version 1 certificate on 3.0.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PkiError } from './errors.ts';
import { openssl } from './openssl.ts';
import type { CertPlan } from './plan.ts';

export interface IssuedFiles {
  crt: string;
  key: string;
  keyPlain?: string;
  chain?: string;
}

/** Relative paths (to `dir`) of each certificate's files, by name. */
export type IssuedSet = Record<string, IssuedFiles>;

const PASS_ENV = 'RIG_PKI_PASSPHRASE';

/** Runs the plan in `dir` (an empty build folder). Key generation runs two at a time: it is the slow part. */
export async function issueAll(plans: CertPlan[], dir: string): Promise<IssuedSet> {
  await mkdir(path.join(dir, 'certs'), { recursive: true });
  await mkdir(path.join(dir, 'private'), { recursive: true, mode: 0o700 });
  await chmod(path.join(dir, 'private'), 0o700);
  await mkdir(path.join(dir, 'work'), { recursive: true });

  const keys = new Map<string, string>();
  await inPairs(plans, async (p) => {
    keys.set(p.name, await makeKey(p, dir));
  });

  const out: IssuedSet = {};
  for (const p of plans) {
    const plainKey = keys.get(p.name) as string;
    const crt = `certs/${p.name}.crt`;
    const issuer =
      p.issuer === undefined
        ? undefined
        : { plan: plans.find((q) => q.name === p.issuer) as CertPlan, files: out[p.issuer] };
    if (issuer && !issuer.files)
      throw new PkiError(`pki.${p.name}: issuer "${p.issuer}" was not issued first (internal ordering error)`);
    await signCert(
      p,
      dir,
      plainKey,
      crt,
      issuer ? { crt: issuer.files.crt, key: keys.get(issuer.plan.name) as string } : undefined,
    );
    const files: IssuedFiles = { crt, key: plainKey };
    if (p.passphrase !== undefined) {
      files.key = `private/${p.name}.key`;
      files.keyPlain = plainKey;
      await openssl(['pkey', '-in', plainKey, '-aes-256-cbc', '-passout', `env:${PASS_ENV}`, '-out', files.key], {
        cwd: dir,
        env: { [PASS_ENV]: p.passphrase },
        what: `pki.${p.name}: encrypting the key`,
      });
      await chmod(path.join(dir, files.key), 0o600);
    }
    if (issuer) {
      // fullchain = this certificate, then every intermediate up to (not including) the self-signed root.
      const parts = [await readFile(path.join(dir, crt), 'utf8')];
      if (issuer.plan.issuer !== undefined)
        parts.push(await readFile(path.join(dir, issuer.files.chain as string), 'utf8'));
      files.chain = `certs/${p.name}.fullchain.crt`;
      await writeFile(path.join(dir, files.chain), parts.map((s) => s.trimEnd() + '\n').join(''));
    }
    out[p.name] = files;
  }
  return out;
}

async function inPairs<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async (): Promise<void> => {
    for (let it = queue.shift(); it !== undefined; it = queue.shift()) await fn(it);
  };
  await Promise.all([worker(), worker()]);
}

/** Generates the unencrypted key; the file name depends on whether an encrypted copy follows. */
async function makeKey(p: CertPlan, dir: string): Promise<string> {
  const rel = p.passphrase !== undefined ? `private/${p.name}.plain.key` : `private/${p.name}.key`;
  await openssl(['genpkey', '-quiet', ...p.keyArgs, '-out', rel], {
    cwd: dir,
    what: `pki.${p.name}: generating the key`,
  });
  await chmod(path.join(dir, rel), 0o600);
  return rel;
}

/** openssl `ca` time format; GeneralizedTime input is accepted and re-encoded as RFC 5280 wants. */
function caTime(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

async function signCert(
  p: CertPlan,
  dir: string,
  key: string,
  crt: string,
  issuer: { crt: string; key: string } | undefined,
): Promise<void> {
  const db = path.join(dir, 'work', p.name);
  await mkdir(path.join(db, 'new'), { recursive: true });
  await writeFile(path.join(db, 'index.txt'), '');
  await writeFile(path.join(db, 'index.txt.attr'), 'unique_subject = no\n'); // CA and server may share a DN
  await writeFile(path.join(db, 'serial'), `${p.serial}\n`);
  await writeFile(path.join(db, 'openssl.cnf'), caConfig(db, p));

  const what = `pki.${p.name}`;
  const csr = path.join(db, 'req.csr');
  await openssl(
    ['req', '-new', '-config', path.join(db, 'openssl.cnf'), '-utf8', '-key', key, '-subj', p.subj, '-out', csr],
    { cwd: dir, what: `${what}: making the request` },
  );
  const args = [
    'ca',
    '-batch',
    '-config',
    path.join(db, 'openssl.cnf'),
    '-in',
    csr,
    '-out',
    crt,
    '-notext',
    '-preserveDN',
    '-md',
    p.hash,
    '-startdate',
    caTime(p.notBefore),
    '-enddate',
    caTime(p.notAfter),
  ];
  if (issuer) args.push('-cert', issuer.crt, '-keyfile', issuer.key);
  else args.push('-selfsign', '-keyfile', key);
  if (p.version === 3) args.push('-extensions', 'rig_ext');
  await openssl(args, { cwd: dir, what: `${what}: signing` });
}

function caConfig(db: string, p: CertPlan): string {
  return [
    '# Throwaway CA database for one certificate (written by rig/pki/issue.ts).',
    '[ ca ]',
    'default_ca = rig_ca',
    '[ rig_ca ]',
    `database = ${db}/index.txt`,
    `new_certs_dir = ${db}/new`,
    `serial = ${db}/serial`,
    'policy = rig_policy',
    'unique_subject = no',
    'copy_extensions = none',
    'email_in_dn = yes',
    'default_md = sha256',
    '[ rig_policy ]',
    ...[
      'countryName',
      'stateOrProvinceName',
      'localityName',
      'organizationName',
      'organizationalUnitName',
      'commonName',
      'emailAddress',
    ].map((f) => `${f} = optional`),
    '[ req ]',
    'distinguished_name = rig_dn',
    'prompt = no',
    '[ rig_dn ]',
    ...(p.version === 3 ? ['[ rig_ext ]', ...p.extensions] : []),
    '',
  ].join('\n');
}
