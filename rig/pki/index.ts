// PKI helper: builds the certificates a scenario asks for with the openssl CLI and caches them by
// content hash. Entry point of rig/pki; see README.md for the layout and the verbatim file mapping.
//
// Private keys stay in <hash>/private (0700, keys 0600). Mosquitto drops privileges before it
// reads its key, so the broker helper makes broker-readable copies itself; this module does not
// loosen permissions. Mosquitto cannot unlock an encrypted key unattended either: for a key with
// a passphrase, `key` is the encrypted PEM and `keyPlain` an unencrypted copy meant for the broker.
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { type CertSummary } from '../results/schema.ts';
import { PkiSpec } from '../scenario/schema.ts';
import {
  cacheKey,
  loadEntry,
  makeBuildDir,
  PKI_SCHEMA_VERSION,
  publish,
  type ManifestCert,
  type PkiManifest,
} from './cache.ts';
import { PkiError } from './errors.ts';
import { issueAll } from './issue.ts';
import { opensslVersion } from './openssl.ts';
import { fillDeep } from './placeholders.ts';
import { certEntries, dayStart, planPki, usesRelativeDates } from './plan.ts';
import { summarizeCert } from './summary.ts';
import { mapFiles, runVerbatim } from './verbatim.ts';

export { summarizeCert } from './summary.ts';
export { PkiError } from './errors.ts';
export { makeCrl, type CrlRequest, type CrlSigner } from './crl.ts';
export { PKI_SCHEMA_VERSION, PkiManifest } from './cache.ts';

export interface PkiCert {
  name: string;
  /** Absolute path of the PEM certificate. */
  crt: string;
  /** Absolute path of the PEM private key in private/ (0700); encrypted when keyPassphrase is set. */
  key?: string;
  keyPassphrase?: string;
  /** The key file is encrypted (declarative: a passphrase was set; verbatim: the script encrypted it,
   * e.g. `genrsa -des3`, and keyPassphrase is then unknown). */
  keyEncrypted?: boolean;
  /** Unencrypted copy of an encrypted key, for the broker only (mosquitto cannot prompt). */
  keyPlain?: string;
  /** Certificate followed by its intermediates (not the root); only for certificates with an issuer. */
  chain?: string;
  summary: CertSummary;
}

export interface PkiBundle {
  dir: string;
  hash: string;
  certs: Record<string, PkiCert>;
  cached: boolean;
}

export interface PkiContext {
  /** Placeholder values, e.g. { 'broker.ip': '127.0.0.1' }. */
  vars: Record<string, string>;
  cacheDir: string;
  /** Clock for relative validity (default: the real time). */
  now?: Date;
}

/** Builds (or finds in the cache) the PKI for a spec. */
export async function buildPki(spec: PkiSpec, ctx: PkiContext): Promise<PkiBundle> {
  const now = ctx.now ?? new Date();
  const cacheDir = path.resolve(ctx.cacheDir);
  const filled = parseSpec(fillDeep(spec, ctx.vars, 'pki'));
  const version = await opensslVersion(cacheDir);
  const day = usesRelativeDates(filled) ? dayStart(now).toISOString().slice(0, 10) : null;
  const hash = cacheKey({ spec: filled, openssl: version.text, day });
  const finalDir = path.join(cacheDir, hash);

  const hit = await loadEntry(finalDir);
  if (hit) return toBundle(hit, finalDir, filled, true);
  if (
    await stat(finalDir).then(
      () => true,
      () => false,
    )
  ) {
    // Another build may have renamed its entry in since the first look; entries appear complete.
    const late = await loadEntry(finalDir);
    if (late) return toBundle(late, finalDir, filled, true);
    // A folder without a valid summary.json can only be damage: rebuild it.
    await rm(finalDir, { recursive: true, force: true });
  }

  const buildDir = await makeBuildDir(cacheDir, hash);
  try {
    const certs = filled.verbatim
      ? await buildVerbatim(filled, buildDir)
      : await buildDeclarative(filled, buildDir, now, hash);
    await publish(buildDir, finalDir, {
      schema: PKI_SCHEMA_VERSION,
      hash,
      mode: filled.verbatim ? 'verbatim' : 'declarative',
      openssl: version.text,
      createdAt: new Date().toISOString(),
      certs,
    });
  } catch (e) {
    await rm(buildDir, { recursive: true, force: true });
    throw e;
  }
  const entry = await loadEntry(finalDir);
  if (!entry) throw new PkiError(`PKI cache entry ${finalDir} vanished after it was written`);
  return toBundle(entry, finalDir, filled, false);
}

/**
 * What buildPki would reject before running openssl, checked without running it: placeholders, the spec's shape
 * (a verbatim script and named certificates at once), the declarative plan (issuers, cycles, contradictions) and
 * the verbatim script's file map. Throws the PkiError buildPki would throw.
 */
export function checkPkiSpec(spec: PkiSpec, vars: Record<string, string>, now = new Date()): void {
  const filled = parseSpec(fillDeep(spec, vars, 'pki'));
  if (filled.verbatim) mapFiles(filled.verbatim.files, []);
  else planPki(filled, now, 'check');
}

function parseSpec(value: unknown): PkiSpec {
  const r = PkiSpec.safeParse(value);
  if (!r.success) {
    throw new PkiError(
      r.error.issues
        .map(
          (i) => `pki${i.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('')}: ${i.message}`,
        )
        .join('\n'),
    );
  }
  if (r.data.verbatim && certEntries(r.data).length > 0) {
    throw new PkiError('pki: give either a verbatim script or named certificates, not both');
  }
  return r.data;
}

async function buildDeclarative(
  spec: PkiSpec,
  dir: string,
  now: Date,
  hash: string,
): Promise<Record<string, ManifestCert>> {
  const plans = planPki(spec, now, hash);
  const issued = await issueAll(plans, dir);
  const out: Record<string, ManifestCert> = {};
  for (const p of plans) {
    const f = issued[p.name];
    const summary = await summarizeCert(path.join(dir, f.crt), p.name);
    // Guards against openssl releases whose `ca` no longer writes v1 without extensions.
    if (summary.version !== p.version) {
      throw new PkiError(`pki.${p.name}: asked for version ${p.version}, openssl wrote version ${summary.version}`);
    }
    out[p.name] = {
      crt: f.crt,
      key: f.key,
      keyEncrypted: p.passphrase !== undefined,
      summary,
      ...(f.keyPlain ? { keyPlain: f.keyPlain } : {}),
      ...(f.chain ? { chain: f.chain } : {}),
    };
  }
  await rm(path.join(dir, 'work'), { recursive: true, force: true });
  return out;
}

async function buildVerbatim(spec: PkiSpec, dir: string): Promise<Record<string, ManifestCert>> {
  const files = await runVerbatim(spec.verbatim as NonNullable<PkiSpec['verbatim']>, dir);
  const out: Record<string, ManifestCert> = {};
  for (const [name, f] of Object.entries(files)) {
    out[name] = {
      crt: f.crt,
      keyEncrypted: f.keyEncrypted,
      summary: await summarizeCert(path.join(dir, f.crt), name),
      ...(f.key ? { key: f.key } : {}),
    };
  }
  return out;
}

function toBundle(m: PkiManifest, dir: string, spec: PkiSpec, cached: boolean): PkiBundle {
  const abs = (rel: string | undefined): string | undefined => (rel === undefined ? undefined : path.join(dir, rel));
  const certs: Record<string, PkiCert> = {};
  for (const [name, c] of Object.entries(m.certs)) {
    const passphrase = spec.verbatim ? undefined : certEntries(spec).find(([n]) => n === name)?.[1].key?.passphrase;
    const cert: PkiCert = { name, crt: path.join(dir, c.crt), summary: c.summary };
    if (c.key) cert.key = abs(c.key);
    if (passphrase !== undefined) cert.keyPassphrase = passphrase;
    if (c.keyEncrypted) cert.keyEncrypted = true;
    if (c.keyPlain) cert.keyPlain = abs(c.keyPlain);
    if (c.chain) cert.chain = abs(c.chain);
    certs[name] = cert;
  }
  return { dir, hash: m.hash, certs, cached };
}
