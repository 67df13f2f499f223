// Runs the openssl CLI and finds its version. Passphrases travel through the environment
// (`-passout env:NAME`), never argv, so they do not show up in `ps` or in error messages.
import { execa } from 'execa';
import { constants } from 'node:fs';
import { access, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { PkiError } from './errors.ts';

export interface OpensslRun {
  cwd: string;
  /** Extra environment (e.g. a passphrase for `env:` arguments). */
  env?: Record<string, string>;
  /** What this run is for, e.g. `cert "server"`, put at the front of an error. */
  what: string;
}

/** Runs `openssl args…` with stdin closed; throws a PkiError with the command and openssl's message. */
export async function openssl(args: string[], run: OpensslRun): Promise<string> {
  const r = await execa('openssl', args, {
    cwd: run.cwd,
    env: run.env ?? {},
    stdin: 'ignore',
    reject: false,
    timeout: 60_000,
  });
  if (r.exitCode !== 0 || r.failed) {
    const msg = lastLines(String(r.stderr || r.stdout || r.message), 6);
    throw new PkiError(`${run.what}: \`openssl ${args.join(' ')}\` failed (exit ${r.exitCode ?? 'none'}): ${msg}`);
  }
  return String(r.stdout);
}

export function lastLines(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join('\n');
}

export interface OpensslVersion {
  /** Full `openssl version` line, e.g. "OpenSSL 3.0.19 27 Jan 2026 (Library: …)". */
  text: string;
  major: number;
  minor: number;
  patch: number;
}

export function parseOpensslVersion(text: string): OpensslVersion {
  const m = /^OpenSSL (\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  if (!m) throw new PkiError(`unrecognised \`openssl version\` output: ${text.trim()}`);
  return { text: text.trim(), major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

const VersionMemo = z.object({ binary: z.string(), size: z.number(), mtimeMs: z.number(), text: z.string() });

/** Finds the openssl binary on PATH without spawning anything. */
async function whichOpenssl(): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'openssl');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* try the next PATH entry */
    }
  }
  throw new PkiError('openssl not found on PATH (Debian: apt-get install openssl)');
}

/**
 * `openssl version`, memoised in `<cacheDir>/.openssl-version.json` keyed by the binary's path, size and
 * mtime: a warm cache hit must not spawn openssl, yet the version is part of the cache key.
 */
export async function opensslVersion(cacheDir: string): Promise<OpensslVersion> {
  const binary = await whichOpenssl();
  const st = await stat(binary);
  const memoFile = path.join(cacheDir, '.openssl-version.json');
  try {
    const memo = VersionMemo.parse(JSON.parse(await readFile(memoFile, 'utf8')));
    if (memo.binary === binary && memo.size === st.size && memo.mtimeMs === st.mtimeMs)
      return parseOpensslVersion(memo.text);
  } catch {
    /* missing or stale memo: probe below */
  }
  await mkdir(cacheDir, { recursive: true });
  const text = await openssl(['version'], { cwd: cacheDir, what: 'probing the openssl version' });
  const v = parseOpensslVersion(text);
  const tmp = `${memoFile}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, JSON.stringify({ binary, size: st.size, mtimeMs: st.mtimeMs, text: v.text }));
  await rename(tmp, memoFile);
  return v;
}
