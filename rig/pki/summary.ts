// Certificate facts for results.json, read back from the file with `openssl x509` so a summary
// describes what was really written (verbatim scripts included). Never touches keys.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CertSummary } from '../results/schema.ts';
import { PkiError } from './errors.ts';
import { openssl } from './openssl.ts';

/** Reads one certificate (PEM or DER) and returns its summary, validated against CertSummary. */
export async function summarizeCert(file: string, name: string): Promise<CertSummary> {
  const abs = path.resolve(file);
  const head = await readFile(abs).catch((e: unknown) => {
    throw new PkiError(`cert "${name}": cannot read ${abs}: ${(e as Error).message}`);
  });
  const isPem = head.includes('-----BEGIN');
  // -nameopt RFC2253 gives one-line DNs (most specific RDN first); -dateopt iso_8601 exists since 3.0.
  // openssl prints these fields in a fixed order before -text, whatever the argument order.
  const out = await openssl(
    [
      'x509',
      '-in',
      abs,
      '-inform',
      isPem ? 'PEM' : 'DER',
      '-noout',
      '-nameopt',
      'RFC2253',
      '-dateopt',
      'iso_8601',
      '-subject',
      '-issuer',
      '-serial',
      '-fingerprint',
      '-sha256',
      '-startdate',
      '-enddate',
      '-text',
    ],
    { cwd: path.dirname(abs), what: `cert "${name}" (${abs})` },
  );
  return CertSummary.parse(parseX509Text(out, name));
}

/** Parses the output of the command above; exported for unit tests. */
function parseX509Text(out: string, name: string): CertSummary {
  const lines = out.split('\n');
  const field = (prefix: string): string | undefined =>
    lines
      .find((l) => l.startsWith(prefix))
      ?.slice(prefix.length)
      .trim();
  const need = (prefix: string): string => {
    const v = field(prefix);
    if (v === undefined) throw new PkiError(`cert "${name}": openssl output has no "${prefix}" line`);
    return v;
  };
  const textIdx = lines.findIndex((l) => l.startsWith('Certificate:'));
  const text = textIdx >= 0 ? lines.slice(textIdx) : [];
  const textLine = (re: RegExp): RegExpExecArray | undefined => {
    for (const l of text) {
      const m = re.exec(l);
      if (m) return m;
    }
    return undefined;
  };

  const versionMatch = textLine(/^\s+Version:\s*(\d+)/);
  const sig = textLine(/^\s+Signature Algorithm:\s*(\S+)/);
  const fingerprint = field('sha256 Fingerprint=') ?? field('SHA256 Fingerprint=');

  return {
    name,
    subject: need('subject='),
    issuer: need('issuer='),
    san: parseSan(extensionValue(text, 'X509v3 Subject Alternative Name')),
    notBefore: isoDate(need('notBefore='), name),
    notAfter: isoDate(need('notAfter='), name),
    key: keyDescription(text),
    signature: sig?.[1] ?? 'unknown',
    version: versionMatch ? Number(versionMatch[1]) : 1,
    isCA: /CA:TRUE/.test(extensionValue(text, 'X509v3 Basic Constraints') ?? ''),
    serial: need('serial=').toUpperCase(),
    ...(fingerprint ? { fingerprintSha256: fingerprint.toUpperCase() } : {}),
  };
}

/** The indented line(s) after an extension header such as "X509v3 Basic Constraints: critical". */
function extensionValue(text: string[], header: string): string | undefined {
  const i = text.findIndex((l) => l.trim().startsWith(`${header}:`));
  if (i < 0) return undefined;
  const indent = text[i].length - text[i].trimStart().length;
  const body: string[] = [];
  for (const l of text.slice(i + 1)) {
    if (l.trim() === '' || l.length - l.trimStart().length <= indent) break;
    body.push(l.trim());
  }
  return body.join(' ');
}

/** "DNS:a, IP Address:1.2.3.4, email:x@y" → ["DNS:a", "IP:1.2.3.4", "email:x@y"]. */
function parseSan(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(/,\s*/)
    .filter(Boolean)
    .map((e) => e.replace(/^IP Address:/, 'IP:'));
}

function keyDescription(text: string[]): string {
  const alg =
    text
      .find((l) => /^\s+Public Key Algorithm:/.test(l))
      ?.split(':')[1]
      ?.trim() ?? 'unknown';
  const bits = /\((\d+) bit\)/.exec(text.find((l) => /Public-Key:/.test(l)) ?? '')?.[1];
  if (alg === 'rsaEncryption' || alg === 'rsassaPss') return `RSA ${bits ?? '?'}`;
  if (alg === 'id-ecPublicKey') {
    const nist = text
      .find((l) => /NIST CURVE:/.test(l))
      ?.split(':')[1]
      ?.trim();
    const oid = text
      .find((l) => /ASN1 OID:/.test(l))
      ?.split(':')[1]
      ?.trim();
    return `EC ${nist ?? oid ?? `${bits ?? '?'} bit`}`;
  }
  if (alg === 'ED25519' || alg === 'ED448') return alg;
  return bits ? `${alg} ${bits}` : alg;
}

/** openssl -dateopt iso_8601 prints "2030-01-01 00:00:00Z". */
function isoDate(s: string, name: string): string {
  const d = new Date(s.replace(' ', 'T'));
  if (Number.isNaN(d.getTime())) throw new PkiError(`cert "${name}": cannot parse date "${s}"`);
  return d.toISOString();
}
