// Shared helpers for the PKI tests: a throwaway cache folder and openssl as the independent judge.
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { OpensslVersion } from '../../rig/pki/openssl.ts';

export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `rig-pki-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface Ran {
  code: number;
  out: string;
}

/** Runs openssl and returns exit code plus stdout+stderr, never throwing. */
export async function ossl(args: string[], env?: Record<string, string>): Promise<Ran> {
  const r = await execa('openssl', args, { reject: false, all: true, stdin: 'ignore', ...(env ? { env } : {}) });
  return { code: r.exitCode ?? -1, out: String(r.all ?? '') };
}

/** `openssl x509 -noout -text` of a certificate file. */
export async function x509Text(file: string): Promise<string> {
  const r = await ossl(['x509', '-in', file, '-noout', '-text']);
  if (r.code !== 0) throw new Error(`openssl x509 -text ${file} failed: ${r.out}`);
  return r.out;
}

/** True when `req`/`x509` know -not_before/-not_after and -x509v1 (OpenSSL >= 3.2), which changes what they write. */
export function hasExactDateFlags(v: OpensslVersion): boolean {
  return v.major > 3 || (v.major === 3 && v.minor >= 2);
}
