// Validates the user's own files (certificates, keys, mosquitto.conf) and stages copies for the run.
// Every problem is a DiagnoseInputError naming the file (and line) and what openssl said; keys are never
// printed, and an encrypted key is decrypted (with --key-pass) only into a 0700 temp folder that the caller
// removes when diagnose ends (dispose()). Certificate files keep every certificate they hold: a full chain
// stays a chain (mosquitto's certfile sends it), a CA bundle stays a bundle.
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { ownedTempDir } from '../process/index.ts';
import { markRigMadeScript } from '../pki/verbatim.ts';
import path from 'node:path';
import { execa } from 'execa';
import { UsageError } from '../errors.ts';

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

/** Staged, validated copies: logical name → file in `dir` (keys unencrypted, 0600; dir 0700 under the temp folder). */
export interface StagedUserFiles {
  dir: string;
  /** PKI name → staged certificate (and key) file names, relative to dir; `count` certificates in the file. */
  certs: Record<string, { crt: string; key?: string; from: string; count: number }>;
  /**
   * One file per certificate, for summaries: "server" (the leaf), "server-chain-1"… (what the broker sends
   * after it), "ca", "ca-2"… (the rest of a CA bundle), "client", "client-chain-1"… Relative to dir.
   */
  parts: Record<string, string>;
  /** Removes the folder (the decrypted keys with it). Safe to call twice. */
  dispose(): Promise<void>;
}

/** Runs `openssl args…` with only `env` (a passphrase), stdin from `input`; private key blocks never reach err. */
export async function runOpenssl(
  args: string[],
  env: Record<string, string> = {},
  input?: string,
): Promise<{ ok: boolean; out: string; err: string }> {
  const r = await execa('openssl', args, {
    reject: false,
    ...(input !== undefined ? { input } : { stdin: 'ignore' as const }),
    env,
    extendEnv: false,
    timeout: 30_000,
  });
  return { ok: r.exitCode === 0, out: String(r.stdout), err: redact(String(r.stderr)) };
}

function redact(s: string): string {
  return s.replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[private key]');
}

function opensslSaid(err: string): string {
  const lines = err
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
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
    throw new DiagnoseInputError(
      `${option} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

const CERT_BLOCK = /-----BEGIN (TRUSTED )?CERTIFICATE-----[\s\S]*?-----END \1?CERTIFICATE-----/g;

/**
 * Converts a certificate file (PEM with one or more certificates, or DER) to PEM in `out`, every certificate
 * kept in its order; each PEM block is checked on its own. Returns the PEM of each certificate.
 */
async function checkCertificate(file: string, option: string, out: string): Promise<string[]> {
  const data = await mustRead(file, option);
  const text = data.toString('latin1');
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) && !/-----BEGIN (TRUSTED )?CERTIFICATE-----/.test(text)) {
    throw new DiagnoseInputError(
      `${option} ${file}: this is a private key, not a certificate (give the .crt/.pem certificate here)`,
    );
  }
  const blocks = text.includes('-----BEGIN') ? [...text.matchAll(CERT_BLOCK)].map((m) => m[0]) : [];
  if (blocks.length === 0) {
    // DER (one certificate), or text openssl will say something about.
    const r = await runOpenssl(['x509', '-in', file, '-inform', text.includes('-----BEGIN') ? 'PEM' : 'DER']);
    if (!r.ok)
      throw new DiagnoseInputError(`${option} ${file}: not a certificate; openssl said: ${opensslSaid(r.err)}`);
    await writeFile(out, r.out.endsWith('\n') ? r.out : `${r.out}\n`);
    return [r.out];
  }
  const pems: string[] = [];
  for (const [i, block] of blocks.entries()) {
    const r = await runOpenssl(['x509', '-inform', 'PEM'], {}, `${block}\n`);
    if (!r.ok) {
      const which = blocks.length > 1 ? `certificate ${i + 1} of ${blocks.length} in it` : 'it';
      throw new DiagnoseInputError(
        `${option} ${file}: ${which} is not a valid certificate; openssl said: ${opensslSaid(r.err)}`,
      );
    }
    pems.push(r.out.endsWith('\n') ? r.out : `${r.out}\n`);
  }
  await writeFile(out, pems.join(''));
  return pems;
}

/** Writes an unencrypted PEM of the key to `out` (0600); errors for an encrypted key without passphrase. */
async function checkKey(
  file: string,
  option: string,
  passOption: string,
  pass: string | undefined,
  out: string,
): Promise<void> {
  const text = (await mustRead(file, option)).toString('latin1');
  const encrypted = /ENCRYPTED/.test(text);
  if (encrypted && pass === undefined) {
    throw new DiagnoseInputError(
      `${option} ${file}: the private key is encrypted; give its passphrase with ${passOption} (mosquitto cannot prompt for it either)`,
    );
  }
  const pem = text.includes('-----BEGIN');
  const r = await runOpenssl(
    ['pkey', '-in', file, '-inform', pem ? 'PEM' : 'DER', '-out', out, '-passin', 'env:RIG_DIAG_PASS'],
    { RIG_DIAG_PASS: pass ?? '' },
  );
  if (!r.ok) {
    const bad = encrypted ? ' (wrong passphrase?)' : '';
    throw new DiagnoseInputError(
      `${option} ${file}: not a usable private key${bad}; openssl said: ${opensslSaid(r.err)}`,
    );
  }
  await chmod(out, 0o600);
}

/** Fails when the key does not belong to the certificate (compares the public keys). */
async function checkKeyMatches(
  crt: string,
  key: string,
  certOption: string,
  keyOption: string,
  names: [string, string],
): Promise<void> {
  const a = await runOpenssl(['x509', '-in', crt, '-noout', '-pubkey']);
  const b = await runOpenssl(['pkey', '-in', key, '-pubout']);
  if (!a.ok || !b.ok || a.out.trim() !== b.out.trim()) {
    throw new DiagnoseInputError(
      `${keyOption} ${names[1]} does not match ${certOption} ${names[0]}: the certificate's public key is not the key's (mosquitto would fail with "key values mismatch")`,
    );
  }
}

/** Validates and stages every given file in a fresh 0700 temp folder; the caller disposes of it. */
export async function stageUserFiles(f: UserFiles): Promise<StagedUserFiles> {
  // An owned temp folder (rig/process): removed at exit, or by the next rig if this one is killed.
  const owned = ownedTempDir('rig-diagnose-keys-');
  const dir = owned.dir;
  const dispose = (): Promise<void> => Promise.resolve(owned.remove());
  try {
    const certs: StagedUserFiles['certs'] = {};
    const parts: StagedUserFiles['parts'] = {};
    await mkdir(path.join(dir, 'parts'), { mode: 0o700 });
    const cert = async (name: string, file: string, option: string): Promise<void> => {
      const pems = await checkCertificate(file, option, path.join(dir, `${name}.crt`));
      certs[name] = { crt: `${name}.crt`, from: file, count: pems.length };
      for (const [i, pem] of pems.entries()) {
        // A CA bundle's certificates are all anchors; after a leaf come the chain certificates it sends.
        const part = i === 0 ? name : name === 'ca' ? `ca-${i + 1}` : `${name}-chain-${i}`;
        parts[part] = `parts/${part}.crt`;
        await writeFile(path.join(dir, parts[part]), pem);
      }
    };
    if (f.ca) await cert('ca', f.ca, '--ca');
    await cert('server', f.cert, '--cert');
    await checkKey(f.key, '--key', '--key-pass', f.keyPass, path.join(dir, 'server.key'));
    await checkKeyMatches(path.join(dir, 'server.crt'), path.join(dir, 'server.key'), '--cert', '--key', [
      f.cert,
      f.key,
    ]);
    certs.server!.key = 'server.key';
    if (f.clientCert || f.clientKey) {
      if (!f.clientCert || !f.clientKey) throw new DiagnoseInputError('--client-cert and --client-key go together');
      await cert('client', f.clientCert, '--client-cert');
      await checkKey(f.clientKey, '--client-key', '--client-key-pass', f.clientKeyPass, path.join(dir, 'client.key'));
      await checkKeyMatches(
        path.join(dir, 'client.crt'),
        path.join(dir, 'client.key'),
        '--client-cert',
        '--client-key',
        [f.clientCert, f.clientKey],
      );
      certs.client!.key = 'client.key';
    }
    return { dir, certs, parts, dispose };
  } catch (e) {
    await dispose();
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
    if (c.key) {
      lines.push(`cp ${q(path.join(staged.dir, c.key))} ${name}.key`);
      files[`${name}.key`] = `${name}.key`;
    }
  }
  const script = lines.join('\n');
  // The rig's own cp lines over the user's own files: not a stranger's script (rig/pki/verbatim.ts).
  markRigMadeScript(script);
  return { script, files };
}
