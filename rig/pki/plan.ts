// Turns a declarative PKI spec into an issuing plan: defaults, issuer of each certificate,
// dependency order, exact validity dates and extension text. Pure: no files, no openssl.
import { createHash } from 'node:crypto';
import type { CertSpec, PkiSpec } from '../scenario/schema.ts';
import { PkiError } from './errors.ts';

const DAY_MS = 86_400_000;
const DEFAULT_DAYS = 365;

export interface CertPlan {
  name: string;
  spec: CertSpec;
  /** Issuer name, or undefined when self-signed. */
  issuer: string | undefined;
  isCA: boolean;
  version: 1 | 3;
  hash: 'sha1' | 'sha256' | 'sha384' | 'sha512';
  notBefore: Date;
  notAfter: Date;
  /** Hex serial, distinct per certificate (so CA and server may share a DN). */
  serial: string;
  /** `-subj` argument. */
  subj: string;
  /** openssl extension section body (v3 only; empty for v1). */
  extensions: string[];
  /** `genpkey` arguments for the key. */
  keyArgs: string[];
  passphrase: string | undefined;
}

/** Certificate names become file names: keep them plain. */
export function checkCertName(name: string, where: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new PkiError(
      `${where}: certificate name "${name}" must be letters, digits, ".", "_" or "-" (it becomes a file name)`,
    );
  }
}

/** The named certificates of a spec (everything but `verbatim`). */
export function certEntries(spec: PkiSpec): [string, CertSpec][] {
  return Object.entries(spec).filter(([k]) => k !== 'verbatim') as [string, CertSpec][];
}

/** True when any date depends on "now", so the cache key must include the day. */
export function usesRelativeDates(spec: PkiSpec): boolean {
  if (spec.verbatim) return true; // `-days N` in a script is relative too
  return certEntries(spec).some(([, c]) => !(c.validity?.notBefore && c.validity?.notAfter));
}

/** Midnight UTC of `now`: relative dates start there so one day's builds share a cache entry. */
export function dayStart(now: Date): Date {
  return new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
}

/** Orders certificates issuer-first; throws on unknown issuers and cycles. */
export function planPki(spec: PkiSpec, now: Date, specHash: string): CertPlan[] {
  const entries = certEntries(spec);
  if (entries.length === 0) throw new PkiError('pki: no certificates and no verbatim script');
  for (const [name] of entries) checkCertName(name, `pki.${name}`);
  const byName = new Map(entries);
  const issuerOf = new Map<string, string | undefined>();
  for (const [name, c] of entries) issuerOf.set(name, resolveIssuer(name, c, byName));
  const issuers = new Set([...issuerOf.values()].filter((v): v is string => v !== undefined));

  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const loop = [...trail.slice(trail.indexOf(name)), name];
      throw new PkiError(`pki: issuer cycle ${loop.join(' → ')} (each certificate names the next as issuer)`);
    }
    state.set(name, 'visiting');
    const issuer = issuerOf.get(name);
    if (issuer !== undefined) visit(issuer, [...trail, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const [name] of entries) visit(name, []);

  return order.map((name) =>
    planOne(name, byName.get(name) as CertSpec, issuerOf.get(name), issuers.has(name), now, specHash),
  );
}

function resolveIssuer(name: string, c: CertSpec, byName: Map<string, CertSpec>): string | undefined {
  if (c.selfSigned && c.issuer)
    throw new PkiError(`pki.${name}: selfSigned and issuer "${c.issuer}" contradict each other`);
  if (c.selfSigned) return undefined;
  if (c.issuer === name) return undefined; // issuer: itself = self-signed, said the long way
  const issuer = c.issuer ?? (name === 'ca' ? undefined : 'ca');
  if (issuer !== undefined && !byName.has(issuer)) {
    const have = [...byName.keys()].join(', ');
    throw new PkiError(
      c.issuer
        ? `pki.${name}.issuer: no certificate named "${issuer}" (have: ${have})`
        : `pki.${name}: no issuer given and no certificate named "ca" to default to (have: ${have}); set issuer or selfSigned`,
    );
  }
  return issuer;
}

function planOne(
  name: string,
  c: CertSpec,
  issuer: string | undefined,
  issuesOthers: boolean,
  now: Date,
  specHash: string,
): CertPlan {
  const version = c.version ?? 3;
  const isCA = c.ca ?? (name === 'ca' || issuesOthers);
  if (version === 1) {
    for (const f of ['san', 'basicConstraints', 'keyUsage', 'extendedKeyUsage'] as const) {
      if (c[f] !== undefined)
        throw new PkiError(`pki.${name}.${f}: a version 1 certificate has no extensions; drop ${f} or use version 3`);
    }
  }
  const [notBefore, notAfter] = validity(name, c, now);
  return {
    name,
    spec: c,
    issuer,
    isCA,
    version,
    hash: c.hash ?? 'sha256',
    notBefore,
    notAfter,
    serial: serialFor(specHash, name),
    subj: subjectArg(name, c),
    extensions: version === 1 ? [] : extensionLines(name, c, isCA, issuer === undefined),
    keyArgs: keyArgs(name, c),
    passphrase: c.key?.passphrase,
  };
}

function validity(name: string, c: CertSpec, now: Date): [Date, Date] {
  const v = c.validity ?? {};
  const days = v.days ?? DEFAULT_DAYS;
  const today = dayStart(now).getTime();
  const plus = (t: number, d: number): Date => new Date(t + d * DAY_MS);
  if (v.expired && v.notYetValid)
    throw new PkiError(`pki.${name}.validity: expired and notYetValid contradict each other`);
  if ((v.expired || v.notYetValid) && (v.notBefore || v.notAfter)) {
    throw new PkiError(`pki.${name}.validity: use either expired/notYetValid or notBefore/notAfter`);
  }
  let nb: Date;
  let na: Date;
  if (v.expired) {
    // Ended yesterday; started `days` (default a year) before that.
    na = plus(today, -1);
    nb = plus(na.getTime(), -days);
  } else if (v.notYetValid) {
    nb = plus(today, 1);
    na = plus(nb.getTime(), days);
  } else if (v.notBefore && v.notAfter) {
    nb = new Date(v.notBefore);
    na = new Date(v.notAfter);
  } else if (v.notBefore) {
    nb = new Date(v.notBefore);
    na = plus(nb.getTime(), days);
  } else if (v.notAfter) {
    na = new Date(v.notAfter);
    nb = new Date(Math.min(today, plus(na.getTime(), -days).getTime()));
  } else {
    nb = new Date(today);
    na = plus(today, days);
  }
  if (na.getTime() <= nb.getTime())
    throw new PkiError(
      `pki.${name}.validity: notAfter (${na.toISOString()}) is not after notBefore (${nb.toISOString()})`,
    );
  return [nb, na];
}

/** Deterministic positive 64-bit serial per (spec, name): reproducible builds, never equal for two names. */
function serialFor(specHash: string, name: string): string {
  const h = createHash('sha256').update(`${specHash}\0${name}`).digest();
  h[0] = 0x10 | (h[0] & 0x6f); // top bit clear (positive), no leading zero byte
  return h.subarray(0, 8).toString('hex').toUpperCase();
}

const DN_ORDER = ['C', 'ST', 'L', 'O', 'OU', 'CN', 'emailAddress'] as const;

/** `-subj` text in the conventional order; "/" and "\" in values escaped; empty subject → CN=<name>. */
function subjectArg(name: string, c: CertSpec): string {
  const parts: string[] = [];
  for (const k of DN_ORDER) {
    const v = c.subject?.[k];
    if (v === undefined) continue;
    if (v === '' || /[\n\r]/.test(v)) throw new PkiError(`pki.${name}.subject.${k}: must be a non-empty single line`);
    parts.push(`/${k}=${v.replace(/[\\/+]/g, (ch) => `\\${ch}`)}`);
  }
  return parts.length ? parts.join('') : `/CN=${name}`;
}

function extensionLines(name: string, c: CertSpec, isCA: boolean, selfSigned: boolean): string[] {
  const safe = (field: string, v: string): string => {
    // Values go into an openssl config file: a newline would start a new setting and "$" expands variables.
    if (/[\n\r$]/.test(v)) throw new PkiError(`pki.${name}.${field}: "${v}" may not contain a newline or "$"`);
    return v;
  };
  const lines = [
    `basicConstraints = ${safe('basicConstraints', c.basicConstraints ?? (isCA ? 'critical,CA:TRUE' : 'CA:FALSE'))}`,
  ];
  const ku = c.keyUsage ?? (isCA ? ['critical', 'keyCertSign', 'cRLSign'] : undefined);
  if (ku) lines.push(`keyUsage = ${safe('keyUsage', ku.join(','))}`);
  if (c.extendedKeyUsage) lines.push(`extendedKeyUsage = ${safe('extendedKeyUsage', c.extendedKeyUsage.join(','))}`);
  if (c.san?.length) lines.push(`subjectAltName = ${safe('san', c.san.join(','))}`);
  lines.push('subjectKeyIdentifier = hash');
  // AKID lets verifiers tell issuer from subject when both carry the same DN.
  lines.push(selfSigned ? 'authorityKeyIdentifier = keyid:always' : 'authorityKeyIdentifier = keyid:always,issuer');
  return lines;
}

function keyArgs(name: string, c: CertSpec): string[] {
  const k = c.key ?? { type: 'rsa' as const };
  if (k.type === 'ec') {
    if (k.bits !== undefined) throw new PkiError(`pki.${name}.key.bits: only for RSA keys; EC keys take curve`);
    return ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${k.curve ?? 'P-256'}`];
  }
  if (k.curve !== undefined) throw new PkiError(`pki.${name}.key.curve: only for EC keys (set type: ec)`);
  return ['-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${k.bits ?? 2048}`];
}
