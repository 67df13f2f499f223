// Validates the user's own files (certificates, keys, mosquitto.conf) and stages copies for the run.
// Every problem is a DiagnoseInputError naming the file (and line) and what openssl said; keys are never
// printed, and an encrypted key is decrypted (with --key-pass) into a 0600 staging copy only.
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { UsageError } from '../cli/args.ts';

export class DiagnoseInputError extends UsageError {
  override readonly name = 'DiagnoseInputError';
}

export interface UserFiles {
  ca?: string;
  cert: string;
  key: string;
  keyPass?: string;
  clientCert?: string;
  clientKey?: string;
  clientKeyPass?: string;
  conf?: string;
}

/** Staged, validated copies: logical name → file in stageDir (keys unencrypted, 0600). */
export interface StagedUserFiles {
  dir: string;
  hash: string;
  /** PKI name → staged certificate (and key) file names, relative to dir. */
  certs: Record<string, { crt: string; key?: string; from: string }>;
}

async function run(args: string[], env: Record<string, string> = {}): Promise<{ ok: boolean; out: string; err: string }> {
  const r = await execa('openssl', args, { reject: false, stdin: 'ignore', env, extendEnv: false, timeout: 30_000 });
  return { ok: r.exitCode === 0, out: String(r.stdout), err: redact(String(r.stderr)) };
}

function redact(s: string): string {
  return s.replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[private key]');
}

function opensslSaid(err: string): string {
  const lines = err.split('\n').map((l) => l.trim()).filter(Boolean);
  // openssl 3 prints a summary line, then "error:…:reason" lines; keep the reasons, short.
  const reasons = lines.map((l) => /:([^:]+)(?::[^:]*)?$/.exec(l)?.[0] ?? l).slice(0, 3);
  return lines.length ? `${lines[0]}${lines.length > 1 ? ` (${reasons.slice(1).join('; ')})` : ''}` : 'no output';
}

async function mustRead(file: string, option: string): Promise<Buffer> {
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new DiagnoseInputError(`${option} ${file}: not a regular file`);
    return await readFile(file);
  } catch (e) {
    if (e instanceof DiagnoseInputError) throw e;
    throw new DiagnoseInputError(`${option} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Converts a certificate (PEM or DER) to PEM in `out`; a clear error when it is not a certificate. */
export async function checkCertificate(file: string, option: string, out: string): Promise<void> {
  const data = await mustRead(file, option);
  const text = data.toString('latin1');
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) && !text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new DiagnoseInputError(`${option} ${file}: this is a private key, not a certificate (give the .crt/.pem certificate here)`);
  }
  const pem = text.includes('-----BEGIN');
  const r = await run(['x509', '-in', file, '-inform', pem ? 'PEM' : 'DER', '-out', out]);
  if (!r.ok) throw new DiagnoseInputError(`${option} ${file}: not a certificate; openssl said: ${opensslSaid(r.err)}`);
}

/** Writes an unencrypted PEM of the key to `out` (0600); errors for an encrypted key without passphrase. */
export async function checkKey(file: string, option: string, passOption: string, pass: string | undefined, out: string): Promise<void> {
  const text = (await mustRead(file, option)).toString('latin1');
  const encrypted = /ENCRYPTED/.test(text);
  if (encrypted && pass === undefined) {
    throw new DiagnoseInputError(`${option} ${file}: the private key is encrypted; give its passphrase with ${passOption} (mosquitto cannot prompt for it either)`);
  }
  const pem = text.includes('-----BEGIN');
  const r = await run(['pkey', '-in', file, '-inform', pem ? 'PEM' : 'DER', '-out', out, '-passin', 'env:RIG_DIAG_PASS'],
    { RIG_DIAG_PASS: pass ?? '' });
  if (!r.ok) {
    const bad = encrypted ? ' (wrong passphrase?)' : '';
    throw new DiagnoseInputError(`${option} ${file}: not a usable private key${bad}; openssl said: ${opensslSaid(r.err)}`);
  }
  await chmod(out, 0o600);
}

/** Fails when the key does not belong to the certificate (compares the public keys). */
export async function checkKeyMatches(crt: string, key: string, certOption: string, keyOption: string, names: [string, string]): Promise<void> {
  const a = await run(['x509', '-in', crt, '-noout', '-pubkey']);
  const b = await run(['pkey', '-in', key, '-pubout']);
  if (!a.ok || !b.ok || a.out.trim() !== b.out.trim()) {
    throw new DiagnoseInputError(`${keyOption} ${names[1]} does not match ${certOption} ${names[0]}: the certificate's public key is not the key's (mosquitto would fail with "key values mismatch")`);
  }
}

/** Validates and stages every given file under `<cacheDir>/diagnose/<content hash>/` (0700). */
export async function stageUserFiles(f: UserFiles, cacheDir: string): Promise<StagedUserFiles> {
  const tmp = path.join(cacheDir, 'diagnose', `.stage-${process.pid}-${Date.now()}`);
  await mkdir(tmp, { recursive: true, mode: 0o700 });
  try {
    const certs: StagedUserFiles['certs'] = {};
    if (f.ca) { await checkCertificate(f.ca, '--ca', path.join(tmp, 'ca.crt')); certs.ca = { crt: 'ca.crt', from: f.ca }; }
    await checkCertificate(f.cert, '--cert', path.join(tmp, 'server.crt'));
    await checkKey(f.key, '--key', '--key-pass', f.keyPass, path.join(tmp, 'server.key'));
    await checkKeyMatches(path.join(tmp, 'server.crt'), path.join(tmp, 'server.key'), '--cert', '--key', [f.cert, f.key]);
    certs.server = { crt: 'server.crt', key: 'server.key', from: f.cert };
    if (f.clientCert || f.clientKey) {
      if (!f.clientCert || !f.clientKey) throw new DiagnoseInputError('--client-cert and --client-key go together');
      await checkCertificate(f.clientCert, '--client-cert', path.join(tmp, 'client.crt'));
      await checkKey(f.clientKey, '--client-key', '--client-key-pass', f.clientKeyPass, path.join(tmp, 'client.key'));
      await checkKeyMatches(path.join(tmp, 'client.crt'), path.join(tmp, 'client.key'), '--client-cert', '--client-key', [f.clientCert, f.clientKey]);
      certs.client = { crt: 'client.crt', key: 'client.key', from: f.clientCert };
    }
    const h = createHash('sha256');
    for (const name of Object.keys(certs).sort()) {
      h.update(name).update(await readFile(path.join(tmp, certs[name]!.crt)));
      const k = certs[name]!.key;
      if (k) h.update(await readFile(path.join(tmp, k)));
    }
    const hash = h.digest('hex').slice(0, 16);
    const dir = path.join(cacheDir, 'diagnose', hash);
    if (await stat(dir).then(() => true, () => false)) await rm(tmp, { recursive: true, force: true });
    else await rename(tmp, dir);
    return { dir, hash, certs };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** The verbatim PKI script that copies the staged files (the run's "openssl commands" are a plain copy). */
export function copyScript(staged: StagedUserFiles): { script: string; files: Record<string, string> } {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines: string[] = [];
  const files: Record<string, string> = {};
  for (const [name, c] of Object.entries(staged.certs)) {
    lines.push(`cp ${q(path.join(staged.dir, c.crt))} ${name}.crt`);
    files[name] = `${name}.crt`;
    if (c.key) { lines.push(`cp ${q(path.join(staged.dir, c.key))} ${name}.key`); files[`${name}.key`] = `${name}.key`; }
  }
  return { script: lines.join('\n'), files };
}

