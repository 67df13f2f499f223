// Puts the broker's files (certificates, plain keys, password and ACL files) into the broker's own folder.
// Why a copy: mosquitto drops root privileges to the `mosquitto` user before it reads certificates and
// keys (ChangeLog 2.0.0), and the PKI keeps keys in a 0700 folder, so the broker gets its own readable copy
// instead of running as root (`user root`), which would hide permission bugs real installs hit.
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync, chmodSync, chownSync, statSync, readdirSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import { makeCrl } from '../pki/index.ts';
import type { BrokerPki } from './types.ts';

export interface StagedFiles {
  /** Folder on the host holding the files. */
  hostDir: string;
  /** The same folder as the broker sees it (equal to hostDir for `local`, /mosquitto for containers). */
  targetDir: string;
  /** PKI name → target paths of its certificate and (plain) key. */
  certs: Record<string, { crt: string; key?: string; chain?: string }>;
  /** File name as written by the PKI (server.crt, ca.pem…) → target path, for mapping verbatim confs. */
  byFileName: Record<string, string>;
  passwd?: string;
  acl?: string;
  /** Listener index → target path of its CRL (crlfile). */
  crls?: Record<number, string>;
  dataDir: string;
  /** Host paths of every staged file relative to hostDir (for copying into a container). */
  files: string[];
  notes: string[];
}

export interface StageOptions {
  pki: BrokerPki;
  users?: Record<string, string>;
  acl?: string[];
  hostDir: string;
  targetDir: string;
  /** Always write a password/ACL file (a verbatim conf names one), even with no users or ACL lines. */
  wantPasswd?: boolean;
  wantAcl?: boolean;
  /** Which private keys the broker may need (default all); the CA's signing key never has to leave the PKI. */
  wantKey?: (name: string, keyFileName: string) => boolean;
  /** CRLs to sign (a listener's `revoked`): by the PKI certificate `ca`, listing the PKI certificates `revoked`. */
  crls?: CrlWanted[];
}

export interface CrlWanted {
  listener: number;
  ca: string;
  revoked: string[];
}

export async function stageBrokerFiles(o: StageOptions): Promise<StagedFiles> {
  mkdirSync(join(o.hostDir, 'certs'), { recursive: true });
  mkdirSync(join(o.hostDir, 'data'), { recursive: true });
  const target = (rel: string) => join(o.targetDir, rel);
  const files: string[] = [];
  const notes: string[] = [];
  const certs: StagedFiles['certs'] = {};
  const byFileName: Record<string, string> = {};

  // Copied off the rig's thread, all at once (a session's PKI is a handful of files).
  const copies: Promise<void>[] = [];
  const keys: string[] = [];
  const copy = (from: string, rel: string): void => void copies.push(copyFile(from, join(o.hostDir, rel)));
  for (const [name, c] of Object.entries(o.pki.certs)) {
    const crtRel = `certs/${name}.crt`;
    copy(c.crt, crtRel);
    files.push(crtRel);
    certs[name] = { crt: target(crtRel) };
    byFileName[basename(c.crt)] ??= target(crtRel);
    byFileName[`${name}.crt`] ??= target(crtRel);
    byFileName[`${name}.pem`] ??= target(crtRel);
    if (c.chain) {
      const chainRel = `certs/${name}.chain.crt`;
      copy(c.chain, chainRel);
      files.push(chainRel);
      certs[name].chain = target(chainRel);
      byFileName[basename(c.chain)] ??= target(chainRel);
    }
    if (c.key && (o.wantKey?.(name, basename(c.key)) ?? true)) {
      const keyRel = `certs/${name}.key`;
      if (c.keyPlain) {
        copy(c.keyPlain, keyRel);
      } else if (c.keyPassphrase !== undefined) {
        // mosquitto cannot be given a passphrase (it would prompt "Enter PEM pass phrase:"), so decrypt.
        await execa('openssl', ['pkey', '-in', c.key, '-out', join(o.hostDir, keyRel), '-passin', 'env:RIG_KEY_PASS'], {
          env: { RIG_KEY_PASS: c.keyPassphrase },
        });
        notes.push(
          `key of "${name}" is encrypted: the broker gets a decrypted copy (mosquitto cannot take a passphrase)`,
        );
      } else {
        copy(c.key, keyRel);
        if (c.keyEncrypted)
          notes.push(
            `key of "${name}" is encrypted with an unknown passphrase: mosquitto will fail to load it (as on a real install)`,
          );
      }
      keys.push(join(o.hostDir, keyRel));
      files.push(keyRel);
      certs[name].key = target(keyRel);
      byFileName[basename(c.key)] ??= target(keyRel);
      byFileName[`${name}.key`] ??= target(keyRel);
    }
  }

  await Promise.all(copies);
  for (const k of keys) chmodSync(k, 0o600);

  const crls: Record<number, string> = {};
  for (const w of o.crls ?? []) {
    const rel = `certs/listener-${w.listener}.crl.pem`;
    await signCrl(o.pki, w, join(o.hostDir, rel));
    files.push(rel);
    crls[w.listener] = target(rel);
  }

  let passwd: string | undefined;
  if (o.users || o.wantPasswd) {
    writePasswd(join(o.hostDir, 'passwd'), o.users ?? {});
    files.push('passwd');
    passwd = target('passwd');
  }
  let acl: string | undefined;
  if (o.acl || o.wantAcl) {
    writeFileSync(join(o.hostDir, 'acl'), (o.acl ?? []).map((l) => `${l}\n`).join(''), { mode: 0o600 });
    files.push('acl');
    acl = target('acl');
  }
  return {
    hostDir: o.hostDir,
    targetDir: o.targetDir,
    certs,
    byFileName,
    passwd,
    acl,
    crls,
    dataDir: target('data'),
    files,
    notes,
  };
}

/** The CRL of one listener, signed with the CA's key where the PKI keeps it (the key is not copied). */
async function signCrl(pki: BrokerPki, w: CrlWanted, out: string): Promise<void> {
  const pick = (name: string, what: string) => {
    const c = pki.certs[name];
    if (!c) throw new Error(`broker.listeners[${w.listener}].tls: no PKI certificate named "${name}" (${what})`);
    return c;
  };
  const ca = pick(w.ca, 'the CRL signer');
  const key = ca.keyPlain ?? ca.key;
  if (!key) throw new Error(`broker.listeners[${w.listener}].tls: the CRL signer "${w.ca}" has no private key in pki`);
  await makeCrl({
    ca: {
      crt: ca.crt,
      key,
      ...(ca.keyPlain ? {} : ca.keyPassphrase !== undefined ? { passphrase: ca.keyPassphrase } : {}),
    },
    revoked: w.revoked.map((n) => pick(n, 'revoked').crt),
    out,
  });
}

/**
 * A password file for `users`, in the format of mosquitto 2.0's `mosquitto_passwd` (apps/mosquitto_passwd/
 * mosquitto_passwd.c, output_new_password, v2.0.11): `user:$7$101$<salt>$<hash>`, PBKDF2-HMAC-SHA512 over the whole
 * password, 101 iterations, a 12-byte salt, base64. Hashed here, not by `mosquitto_passwd -U`: that one reads
 * `user:password` lines with strtok(":") and trims blanks (pwfile_iterate), so "p:ss" became "p" and " pw " "pw",
 * and the broker refused the password the board sends; `-b` would put the password on argv, seen by `ps`.
 */
function writePasswd(file: string, users: Record<string, string>): void {
  const text = Object.entries(users)
    .map(([u, p]) => `${passwdLine(u, p)}\n`)
    .join('');
  writeFileSync(file, text, { mode: 0o600 });
}

/** One line of a mosquitto password file; `salt` for tests that compare with `mosquitto_passwd`. */
export function passwdLine(user: string, password: string, salt: Buffer = randomBytes(12)): string {
  // The broker splits each line at its first ':', so a name with one would never match (mosquitto_passwd refuses it).
  const bad = [...user].some((ch) => ch === ':' || ch.charCodeAt(0) < 32 || ch.charCodeAt(0) === 127);
  if (bad || user === '')
    throw new Error(
      `broker.users: user name ${JSON.stringify(user)} cannot go in a mosquitto password file (':' or a control character)`,
    );
  const hash = pbkdf2Sync(password, salt, 101, 64, 'sha512');
  return `${user}:$7$101$${salt.toString('base64')}$${hash.toString('base64')}`;
}

let mosquittoUser: Promise<{ uid: number; gid: number } | undefined> | undefined;

/** The numeric ids of the `mosquitto` system user, or undefined when it does not exist (looked up once). */
export function mosquittoIds(): Promise<{ uid: number; gid: number } | undefined> {
  mosquittoUser ??= (async () => {
    const r = await execa('id', ['mosquitto'], { reject: false });
    const uid = /uid=(\d+)/.exec(r.stdout)?.[1];
    const gid = /gid=(\d+)/.exec(r.stdout)?.[1];
    return r.exitCode === 0 && uid && gid ? { uid: Number(uid), gid: Number(gid) } : undefined;
  })();
  return mosquittoUser;
}

/** chown -R, so the broker running as that user can read its keys (0600) and write its data folder. */
export function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, uid, gid);
    else chownSync(p, uid, gid);
  }
}

/** Whether a user can reach `dir`: every ancestor of it needs search (x) permission for that user. */
export function traversableBy(dir: string, uid: number, gid: number): boolean {
  let d = dirname(dir);
  for (;;) {
    const st = statSync(d);
    const bit = st.uid === uid ? 0o100 : st.gid === gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) return false;
    const up = dirname(d);
    if (up === d) return true;
    d = up;
  }
}
