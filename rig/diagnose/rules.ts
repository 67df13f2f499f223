// Explanation rules: pure functions (certificate summaries, client settings, board, outcome) → Explanation.
// One rule per failure mode; each cites the TLS stack behaviour it relies on, from
// docs/tls-esp32.md (mbedTLS 2.28 / arduino-esp32 2.0.x) and docs/tls-bearssl.md (BearSSL 0.6).
import { BUILD_RULES } from './build-rules.ts';
import { isIPv4 } from 'node:net';
import { basename } from 'node:path';
import type { BoardProfile } from '../boards/profile.ts';
import type { CertSummary, Outcome } from '../results/schema.ts';
import type { Explanation } from './types.ts';

export interface RuleClient {
  /** Host the sketch connects to, as written (name or dotted quad). */
  connect: string;
  /** The sketch passes an IPAddress (setServer(IPAddress) / connect(IPAddress)). */
  byIp: boolean;
  caGiven: boolean;
  insecure: boolean;
  clientCert: boolean;
  clock: { ntp: boolean; date?: string };
  /** From the broker conf / listener: tls_version and require_certificate. */
  brokerTlsVersion?: string;
  requireCertificate?: boolean;
  username?: string;
  /** The listener refuses clients without a login (allow_anonymous false, mosquitto 2.0's default in a conf). */
  loginRequired?: boolean;
  /** The conf's password_file, as written. */
  passwordFile?: string;
}

/** What the run found out about the server's chain beyond the outcome (diagnose computes it with openssl). */
export interface ChainFacts {
  /** `openssl verify` of the leaf, with what the broker sends, against the CA given to the board. */
  verify?: { ok: boolean; error?: string };
  /** A CA certificate among the user's files that issued the leaf but is not sent by the broker. */
  missingIntermediate?: { subject: string; issuer: string; file: string; completes: boolean; fileHoldsChain: boolean };
}

export interface RuleBoard {
  id: string;
  family: BoardProfile['family'];
  stack: BoardProfile['stack'];
}

export interface RuleInput {
  certs: CertSummary[];
  client: RuleClient;
  board: RuleBoard;
  outcome: Outcome;
  /** Time the certificates are judged at (default: now). */
  now?: Date;
  chain?: ChainFacts;
}

export type Rule = (i: RuleInput) => Explanation | undefined;

// ---------- certificate helpers ----------

/** A field of an RFC 2253 DN as `openssl -nameopt RFC2253` prints it ("CN=home,OU=PSS,…"). */
export function dnField(dn: string, field: string): string | undefined {
  for (const part of dn.split(/(?<!\\),/)) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim().toUpperCase() === field.toUpperCase())
      return part.slice(eq + 1).replace(/\\(.)/g, '$1');
  }
  return undefined;
}

export function serverCert(certs: CertSummary[]): CertSummary | undefined {
  return (
    certs.find((c) => c.name === 'server') ??
    certs.find((c) => !c.isCA && c.name !== 'client' && !/client/i.test(c.name))
  );
}

function caCert(certs: CertSummary[]): CertSummary | undefined {
  return certs.find((c) => c.name === 'ca') ?? certs.find((c) => c.isCA);
}

/** The certificates the broker sends after the leaf (a full-chain certfile: "server-chain-1", …). */
function sentChain(certs: CertSummary[]): CertSummary[] {
  return certs.filter((c) => /^server-chain-\d+$/.test(c.name));
}

/** Every certificate of the CA file given to the board ("ca", then "ca-2", … of a bundle). */
function caBundle(certs: CertSummary[]): CertSummary[] {
  return certs.filter((c) => c.name === 'ca' || /^ca-\d+$/.test(c.name));
}

/** The issuer names from the leaf up through what the broker sends: the last is the one an anchor must match. */
function issuerPath(server: CertSummary, sent: CertSummary[]): string[] {
  const names = [server.issuer];
  let at = server;
  for (let guard = 0; guard < 8; guard++) {
    const next = sent.find((c) => c.subject === at.issuer && c !== at);
    if (!next || next.subject === next.issuer) break;
    names.push(next.issuer);
    at = next;
  }
  return names;
}

function describeNames(c: CertSummary): string {
  const cn = dnField(c.subject, 'CN');
  return `${cn !== undefined ? `CN=${cn}` : 'no CN'}, ${c.san.length ? `SAN ${c.san.join(', ')}` : 'no SAN'}`;
}

/** mbedTLS 2.28 / BearSSL 0.6 wildcard rule: "*." as the whole first label, matching exactly one label. */
function wildcardMatch(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  if (p === n) return true;
  if (!p.startsWith('*.')) return false;
  const dot = n.indexOf('.');
  return dot > 0 && n.slice(dot + 1) === p.slice(2);
}

/**
 * The name check of mbedTLS 2.28 and BearSSL 0.6 (the same rule): with a SAN extension only dNSName entries
 * count (text compare, IP entries never match); without one, the subject CN is compared as text.
 */
export function embeddedNameMatches(cert: CertSummary, name: string): boolean {
  if (cert.san.length > 0)
    return cert.san.filter((s) => s.startsWith('DNS:')).some((s) => wildcardMatch(s.slice(4), name));
  const cn = dnField(cert.subject, 'CN');
  return cn !== undefined && wildcardMatch(cn, name);
}

/** The name the board's TLS stack checks, or undefined when it checks none. */
export function checkedName(i: Pick<RuleInput, 'client' | 'board' | 'outcome'>): string | undefined {
  const fact = i.outcome.facts?.find((f) => f.startsWith('tls-name:'));
  if (fact) return fact.slice('tls-name:'.length);
  // BearSSL with connect(IPAddress): no server name at all (docs/tls-bearssl.md §1, §3).
  if (i.client.byIp && (i.board.stack === 'bearssl-esp8266' || i.board.stack === 'arduinobearssl')) return undefined;
  return i.client.connect;
}

function isBearSsl(b: RuleBoard): boolean {
  return b.stack === 'bearssl-esp8266' || b.stack === 'arduinobearssl';
}
function isMbedTls(b: RuleBoard): boolean {
  return b.stack === 'mbedtls' || b.stack === 'esp-tls';
}
function isOpenSsl(b: RuleBoard): boolean {
  return b.stack === 'openssl-node' || b.stack === 'openssl-mosquitto';
}

function codeIs(o: Outcome, ...codes: string[]): boolean {
  return [o.code, ...(o.facts ?? [])].some((c) => c !== undefined && codes.includes(c));
}
function mbedFlags(o: Outcome): number {
  const f = [o.code, ...(o.facts ?? [])].find((c) => c?.startsWith('mbedtls-flags:0x'));
  return f ? parseInt(f.slice('mbedtls-flags:0x'.length), 16) : 0;
}

const STACK_NAME: Record<RuleBoard['stack'], string> = {
  mbedtls: 'mbedTLS 2.28 (arduino-esp32 2.0.x WiFiClientSecure)',
  'esp-tls': 'mbedTLS via esp-tls',
  'bearssl-esp8266': 'BearSSL (ESP8266 core 3.1.x WiFiClientSecure)',
  arduinobearssl: 'BearSSL (ArduinoBearSSL 1.7.7)',
  'openssl-node': 'OpenSSL (Node.js / mqtt.js)',
  'openssl-mosquitto': 'OpenSSL (mosquitto_pub/sub)',
};

// ---------- rules ----------

/** Name mismatch: the checked name is not among the names the stack looks at. */
export const nameMismatch: Rule = (i) => {
  const { outcome: o, board: b, client: c } = i;
  const hit = o.kind === 'tls/name-mismatch' || codeIs(o, 'bearssl:56') || (mbedFlags(o) & 0x4) !== 0;
  if (!hit) return undefined;
  const server = serverCert(i.certs);
  if (!server) return undefined;
  const name = checkedName(i) ?? c.connect;
  const nameIsIp = isIPv4(name);
  const cn = dnField(server.subject, 'CN');
  const dnsNames = server.san.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
  const ipSans = server.san.filter((s) => s.startsWith('IP:')).map((s) => s.slice(3));
  const evidence = [
    `server certificate: ${describeNames(server)}`,
    c.byIp
      ? `the sketch connects by IPAddress, so the name checked is ${isMbedTls(b) ? 'its dotted quad ' : ''}"${name}"`
      : `the sketch connects to "${c.connect}", which is the name checked`,
    ...(o.code ? [`${b.id} failed with ${o.code}${o.detail ? ` (${o.detail})` : ''}`] : []),
  ];
  let stackRule: string;
  let why: string;
  if (isOpenSsl(b)) {
    stackRule =
      'OpenSSL/Node checkServerIdentity: an IP is matched only against IP SAN entries, a name only against DNS SAN entries (the CN only when there is no SAN)';
    why = `The PC client checks "${name}" but the certificate names ${describeNames(server)}.`;
  } else {
    stackRule = isBearSsl(b)
      ? 'BearSSL x509_minimal matches only dNSName SAN entries; the CN is used only when the certificate has no SAN extension, and IP SAN entries never match (x509_minimal.t0, docs/tls-bearssl.md §5)'
      : 'mbedTLS 2.28 x509_crt_verify_name compares only dNSName SAN entries when a SAN exists (the CN is then ignored), else the CN as text; IP SAN entries are ignored on arduino-esp32 2.0.x (matched only from mbedTLS 3.5, arduino-esp32 3.1+) (docs/tls-esp32.md §4)';
    const lib = isBearSsl(b) ? 'BearSSL' : 'mbedTLS';
    const parts: string[] = [];
    if (server.san.length > 0) {
      parts.push(`ignores the CN${cn ? ` "${cn}"` : ''}`);
      if (ipSans.length) parts.push(`never matches ${ipSans.map((x) => `IP:${x}`).join(', ')}`);
      parts.push(
        dnsNames.length
          ? `compares "${name}" only with ${dnsNames.map((x) => `DNS:${x}`).join(', ')}`
          : 'finds no DNS entry at all',
      );
    }
    const has =
      server.san.length > 0
        ? `your certificate has a SAN (${server.san.join(', ')}), so ${lib} ${parts.join(', ')}`
        : `your certificate has no SAN, so ${lib} compares its CN "${cn ?? ''}" with "${name}" as text`;
    why = `${isBearSsl(b) ? 'BearSSL matches only DNS names in the SAN (the CN only when there is no SAN)' : 'mbedTLS on arduino-esp32 2.0.x matches only DNS names in the SAN (the CN only when there is no SAN)'}; ${has}; the sketch connects to ${name}, which is none of them.`;
  }
  const fixes: string[] = [];
  const names = [...new Set([...dnsNames, ...(server.san.length === 0 && cn && !isIPv4(cn) ? [cn] : [])])].filter(
    (n) => !n.startsWith('*'),
  );
  for (const n of names)
    fixes.push(
      `connect to ${n} (setServer("${n}")${c.byIp ? ' with the name instead of an IPAddress' : ''}; the board must resolve it, e.g. mDNS ${n}.local or a DNS entry)`,
    );
  if (nameIsIp && isOpenSsl(b)) {
    // OpenSSL/Node never match an IP against the CN or a DNS entry: only an IP SAN entry works.
    fixes.push(
      `reissue the server certificate with IP:${name} in the SAN (OpenSSL matches an address only against IP SAN entries, never the CN)`,
    );
    fixes.push(
      `to serve PC clients and boards alike: SAN IP:${name}, DNS:${name} (embedded stacks compare the dNSName text, PC clients use the IP entry)`,
    );
  } else if (nameIsIp) {
    fixes.push(
      `reissue the server certificate with CN=${name} and no SAN (works on ESP32 2.0.x and BearSSL; PC clients then fail: they match an address only against an IP SAN entry)`,
    );
    fixes.push(
      `or keep a SAN and add DNS:${name} next to IP:${name} (embedded stacks compare the dNSName text, PC clients use the IP entry)`,
    );
    if (isBearSsl(b) && !c.byIp)
      fixes.push(
        `(BearSSL only) connect(IPAddress) skips the name check entirely: it removes the error but also the protection`,
      );
  } else {
    fixes.push(
      `reissue the server certificate with DNS:${name} in the SAN${server.san.length === 0 ? ` (or CN=${name} and no SAN)` : ''}`,
    );
  }
  return {
    rule: 'name-mismatch',
    title: `name mismatch: "${name}" is not a name ${STACK_NAME[b.stack]} accepts in this certificate`,
    why,
    evidence,
    stackRule,
    fixes,
  };
};

/** Untrusted: the chain does not lead to an anchor the board has. */
export const untrusted: Rule = (i) => {
  const o = i.outcome;
  const hit = o.kind === 'tls/untrusted' || codeIs(o, 'bearssl:62') || (mbedFlags(o) & 0x8) !== 0;
  if (!hit) return undefined;
  const t = untrustedFacts(i);
  return (
    untrustedNoCa(t) ??
    untrustedSameDn(t) ??
    missingIntermediate(t) ??
    wrongCa(t) ??
    notMarkedCa(t) ??
    untrustedOther(t)
  );
};

/** What the untrusted rules look at: the certificates, what the broker sends, and how the stack chains. */
interface UntrustedFacts {
  i: RuleInput;
  server: CertSummary | undefined;
  ca: CertSummary | undefined;
  bundle: CertSummary[];
  sent: CertSummary[];
  evidence: string[];
  who: 'client' | 'board';
  chainRule: string;
  /** The issuers from the server certificate up through what the broker sends. */
  path: string[];
  /** An anchor the board has is on that path. */
  reached: boolean;
}

function untrustedFacts(i: RuleInput): UntrustedFacts {
  const { outcome: o, board: b } = i;
  const server = serverCert(i.certs);
  const bundle = caBundle(i.certs);
  const sent = sentChain(i.certs);
  const evidence: string[] = [];
  if (server) evidence.push(`server certificate: subject ${server.subject}, issuer ${server.issuer}`);
  for (const s of sent) evidence.push(`the broker also sends: ${s.subject} (issuer ${s.issuer})`);
  for (const a of bundle)
    evidence.push(
      `CA certificate${bundle.length > 1 ? ` (${a.name})` : ''}: subject ${a.subject}${a.isCA ? '' : ' (not marked CA:TRUE)'}`,
    );
  if (i.chain?.verify)
    evidence.push(
      `openssl verify -CAfile <your CA> on the chain the broker sends: ${i.chain.verify.ok ? 'OK' : (i.chain.verify.error ?? 'fails')}`,
    );
  if (o.code) evidence.push(`${b.id} failed with ${o.code}${o.detail ? ` (${o.detail})` : ''}`);
  const chainRule = isBearSsl(b)
    ? 'BearSSL x509_minimal: a chain that never reaches a trust anchor → 62 X509_NOT_TRUSTED (docs/tls-bearssl.md §5)'
    : isMbedTls(b)
      ? 'mbedTLS 2.28: no trusted issuer → flag 0x08 NOT_TRUSTED, handshake -9984 (docs/tls-esp32.md §4)'
      : 'OpenSSL: the issuer of the last certificate the server sends is not in the CA file → unable to get local issuer certificate / UNABLE_TO_VERIFY_LEAF_SIGNATURE';
  // The anchor must be the issuer of the leaf or of a certificate the broker sends after it.
  const path = server ? issuerPath(server, sent) : [];
  const reached = bundle.some((a) => path.includes(a.subject) || sent.some((x) => x.subject === a.subject));
  const who = isOpenSsl(b) ? 'client' : 'board';
  return { i, server, ca: caCert(i.certs), bundle, sent, evidence, who, chainRule, path, reached };
}

function untrustedNoCa(t: UntrustedFacts): Explanation | undefined {
  const { board: b, client: c } = t.i;
  if (c.caGiven || c.insecure) return undefined;
  const stackRule =
    b.stack === 'arduinobearssl'
      ? 'ArduinoBearSSL BearSSLClient(Client&) uses only its built-in trust anchors (13 public roots since 1.7.4); a private CA is never among them → 62 (docs/tls-bearssl.md §3)'
      : isOpenSsl(b)
        ? 'OpenSSL verifies against the system CA store unless given a CA file; a private CA is not in it'
        : isBearSsl(b)
          ? 'BearSSL with no trust anchors reports 62 after the date and name checks (docs/tls-bearssl.md §1)'
          : 'mbedTLS: no trusted issuer → NOT_TRUSTED (0x08), -9984 (docs/tls-esp32.md §4)';
  const fix =
    b.stack === 'arduinobearssl'
      ? 'pass your CA as a trust anchor: BearSSLClient(client, TAs, TAs_NUM) with TAs made from ca.crt (brssl ta ca.crt)'
      : isOpenSsl(b)
        ? 'give the PC client your CA: mosquitto_pub --cafile ca.crt, or mqtt.js { ca: fs.readFileSync("ca.crt") }'
        : isBearSsl(b)
          ? 'give the board your CA: espClient.setTrustAnchors(new BearSSL::X509List(ca_cert))'
          : 'give the board your CA: espClient.setCACert(ca_cert)';
  return {
    rule: 'untrusted-no-ca',
    title: `untrusted: the ${t.who} was not given your CA`,
    evidence: t.evidence,
    stackRule,
    why: `The ${t.who} has no anchor for the CA that issued your server certificate (${t.server?.issuer ?? 'unknown issuer'}).`,
    fixes: [fix],
  };
}

function untrustedSameDn(t: UntrustedFacts): Explanation | undefined {
  const { server, ca } = t;
  const selfSignedLook = server && ca && server.subject === ca.subject && server.name !== ca.name;
  if (!isOpenSsl(t.i.board) || !selfSignedLook || !codeIs(t.i.outcome, 'openssl:DEPTH_ZERO_SELF_SIGNED_CERT'))
    return undefined;
  return {
    rule: 'untrusted-same-dn',
    title: 'untrusted: CA and server certificate have the same subject DN',
    evidence: t.evidence,
    stackRule:
      'OpenSSL treats a certificate whose issuer equals its own subject as self-signed (DEPTH_ZERO_SELF_SIGNED_CERT) unless an authority key identifier names another key (an X.509 v1 certificate, as `openssl x509 -req` makes without -extfile, has none); embedded stacks chain by DN and do not care',
    why: `Your CA and server certificates both have the subject ${ca!.subject}, so OpenSSL takes the server certificate for a self-signed one that is not your CA.`,
    fixes: [
      'give the CA and the server certificate different subjects, e.g. OU=CA and OU=Server (this is what the "different OU" advice fixes: PC clients, not the ESP32 name check)',
    ],
  };
}

function missingIntermediate(t: UntrustedFacts): Explanation | undefined {
  const missing = t.i.chain?.missingIntermediate;
  if (!t.server || !t.bundle.length || t.reached || !missing?.completes || !t.path.includes(missing.subject))
    return undefined;
  const file = basename(missing.file);
  return {
    rule: 'untrusted-missing-intermediate',
    title: `untrusted: the broker does not send the intermediate CA ${missing.subject}`,
    evidence: [
      ...t.evidence,
      `${missing.file}: subject ${missing.subject}, issuer ${missing.issuer}; with it, openssl verify -CAfile <your CA> -untrusted ${file}: OK`,
    ],
    stackRule: `${t.chainRule}; a ${t.who} only has what the server sends plus its anchors, so an intermediate CA must come from the broker's certfile (mosquitto sends every certificate in certfile)`,
    why: `Your server certificate was issued by the intermediate CA ${missing.subject}, which your CA ${t.bundle.map((a) => a.subject).join(', ')} issued; the broker sends the server certificate alone, so the ${t.who} cannot link it to your CA.`,
    fixes: [
      missing.fileHoldsChain
        ? `the broker does not send the intermediate CA ${missing.subject}: put the chain in certfile (certfile ${file}: it holds the server certificate and the intermediate)`
        : `the broker does not send the intermediate CA ${missing.subject}: put the chain in certfile (cat server.crt ${file} > server-chain.crt; certfile server-chain.crt)`,
      `or give the ${t.who} a CA file with both your CA and the intermediate (every stack then finds the intermediate among its anchors)`,
    ],
  };
}

function wrongCa(t: UntrustedFacts): Explanation | undefined {
  const { server, bundle, sent, who } = t;
  if (!server || !bundle.length || t.reached) return undefined;
  const top = t.path[t.path.length - 1]!;
  const bundleNames = bundle.map((a) => `"${a.subject}"`).join(', ');
  if (server.subject === server.issuer && !sent.length) {
    return {
      rule: 'untrusted-wrong-ca',
      title: `untrusted: the server certificate is self-signed, not issued by the CA given to the ${who}`,
      evidence: t.evidence,
      stackRule: t.chainRule,
      why: `Your server certificate is its own issuer ("${server.subject}"); the ${who} trusts only ${bundleNames}, which did not sign it.`,
      fixes: [
        'reissue the server certificate from your CA (openssl x509 -req -CA ca.crt -CAkey ca.key …)',
        `or give the ${who} the server certificate itself as the CA file (it is its own issuer)`,
      ],
    };
  }
  return {
    rule: 'untrusted-wrong-ca',
    title: `untrusted: the CA given to the ${who} did not issue the server certificate`,
    evidence: t.evidence,
    stackRule: t.chainRule,
    why: `The server certificate${sent.length ? ' chain' : ''} was issued by "${top}", but the CA you give the ${who} is ${bundleNames}.`,
    fixes: [
      `give the ${who} the CA whose subject is "${top}"`,
      'or reissue the server certificate from the CA the board has',
      `if "${top}" is an intermediate CA issued by your CA, the broker must send it: put it in certfile after the server certificate (cat server.crt intermediate.crt)`,
    ],
  };
}

function notMarkedCa(t: UntrustedFacts): Explanation | undefined {
  const b = t.i.board;
  const issuing = t.bundle.find((a) => t.path.includes(a.subject)) ?? t.ca;
  if (!issuing || issuing.isCA || !isBearSsl(b)) return undefined;
  return {
    rule: 'untrusted-not-ca',
    title: 'untrusted: your CA certificate is not marked as a CA',
    evidence: t.evidence,
    stackRule:
      b.stack === 'arduinobearssl'
        ? 'BearSSL x509_minimal checks basicConstraints of every issuer in the chain: an issuer without CA:TRUE → 58 X509_NOT_CA (docs/tls-bearssl.md §5)'
        : 'ESP8266 X509List makes a BR_X509_TA_CA anchor only for CA:TRUE certificates; without it the anchor can only match the server certificate itself → 58 "Not a CA, or path length constraint violation." (docs/tls-bearssl.md §1)',
    why: `The certificate given as CA (${issuing.subject}) ${issuing.version === 1 ? 'is an X.509 v1 certificate, so it has no extensions and no' : 'has no'} basicConstraints CA:TRUE, so BearSSL will not accept it as an issuer (mbedTLS and OpenSSL may still accept it).`,
    fixes: [
      'reissue the CA with -addext basicConstraints=critical,CA:TRUE (openssl req -x509 does this by default; `openssl x509 -req` without -extfile makes a v1 certificate)',
    ],
  };
}

function untrustedOther(t: UntrustedFacts): Explanation {
  const i = t.i;
  const verifyErr = i.chain?.verify && !i.chain.verify.ok ? (i.chain.verify.error ?? '') : '';
  // The issuer's name is among the anchors (else a rule above answered), yet openssl finds no issuer or a bad
  // signature: the CA of that name has another key (its key identifier or signature does not match).
  const badSignature = /signature|unable to get (local )?issuer/i.test(verifyErr);
  return {
    rule: 'untrusted',
    title: badSignature
      ? 'untrusted: your CA has the right name but did not sign the server certificate'
      : `untrusted: the chain does not reach a trust anchor the ${t.who} has`,
    evidence: t.evidence,
    stackRule: badSignature
      ? `${t.chainRule}; the issuer is looked up by name, then its key must verify the signature (and, where present, its key identifier must match the certificate's authority key identifier)`
      : t.chainRule,
    why: badSignature
      ? `The server certificate names "${t.server?.issuer ?? '?'}" as its issuer and your CA has that name, but your CA's key did not make the signature: the CA was made again with the same name (a new ca.key), or the server certificate comes from another CA of that name.`
      : `The ${t.who} could not link the server certificate to the CA it was given${verifyErr ? ` (openssl: ${verifyErr})` : ''}.`,
    fixes: badSignature
      ? [
          'give the board the ca.crt that was made together with the ca.key that signed server.crt',
          'or reissue server.crt with the CA you give the board (openssl x509 -req -CA ca.crt -CAkey ca.key …)',
        ]
      : ['check that the broker serves the certificate issued by the CA you give the board (cafile/certfile pair)'],
  };
}

/** Expired / not yet valid: BearSSL checks dates against the board clock; ESP32 never does. */
export const dates: Rule = (i) => {
  const { outcome: o, board: b, client: c } = i;
  const hit =
    o.kind === 'tls/expired' ||
    o.kind === 'tls/not-yet-valid' ||
    codeIs(o, 'bearssl:54') ||
    (mbedFlags(o) & 0x201) !== 0;
  if (!hit) return undefined;
  const now = i.now ?? new Date();
  const bad = i.certs.filter((x) => Date.parse(x.notAfter) < now.getTime() || Date.parse(x.notBefore) > now.getTime());
  const evidence = i.certs.map((x) => `${x.name}: valid ${x.notBefore.slice(0, 10)} → ${x.notAfter.slice(0, 10)}`);
  if (o.code) evidence.push(`${b.id} failed with ${o.code}${o.detail ? ` (${o.detail})` : ''}`);
  const clockUnset = !c.clock.ntp && !c.clock.date;
  if (isBearSsl(b) && bad.length === 0 && clockUnset) {
    return {
      rule: 'clock-unset',
      title: 'certificate "not yet valid": the board clock is at 1970',
      evidence,
      stackRule:
        b.stack === 'arduinobearssl'
          ? 'ArduinoBearSSL calls br_x509_minimal_set_time with ArduinoBearSSL.getTime(), 0 (1970-01-01) without an onGetTime callback → 54 (docs/tls-bearssl.md §3)'
          : 'ESP8266 BearSSL checks notBefore/notAfter against time(), which counts from boot (1970) until configTime()/SNTP sets it → 54, and dates are checked before trust (docs/tls-bearssl.md §1)',
      why: 'Your certificates are valid today, but the board has no real time, so every certificate looks "not yet valid".',
      fixes: [
        b.stack === 'arduinobearssl'
          ? 'ArduinoBearSSL.onGetTime(getTime) with WiFi.getTime() after NTP synced (non-zero)'
          : 'call configTime(0, 0, "pool.ntp.org") and wait until time(nullptr) > 1700000000 before connecting (or setX509Time())',
      ],
    };
  }
  const which = bad.map(
    (x) =>
      `${x.name} (${Date.parse(x.notAfter) < now.getTime() ? `expired ${x.notAfter.slice(0, 10)}` : `valid only from ${x.notBefore.slice(0, 10)}`})`,
  );
  // BearSSL has one code (54) for both: the certificates' dates tell which it is.
  const early =
    bad.length > 0 ? bad.every((x) => Date.parse(x.notBefore) > now.getTime()) : o.kind === 'tls/not-yet-valid';
  return {
    rule: early ? 'not-yet-valid' : 'expired',
    title: which.length ? `certificate dates: ${which.join(', ')}` : 'certificate dates do not cover the board clock',
    evidence,
    stackRule: isBearSsl(b)
      ? 'BearSSL x509_minimal reads the dates first: notBefore > now or notAfter < now → 54 (docs/tls-bearssl.md §5)'
      : isMbedTls(b)
        ? 'a real ESP32 never checks dates (MBEDTLS_HAVE_TIME_DATE off, docs/tls-esp32.md §3); only IDF builds with it on do'
        : 'OpenSSL checks notBefore/notAfter against the PC clock',
    why: which.length
      ? `The certificate validity does not include the board's date: ${which.join(', ')}.`
      : `The board's clock (${c.clock.date ?? 'unset'}) is outside the certificates' validity.`,
    fixes: [
      which.length
        ? `reissue ${bad.map((x) => x.name).join(' and ')} with fresh dates (e.g. -days 365 from today)`
        : 'set the board clock from NTP (configTime) before connecting',
    ],
  };
};

/** Weak signature hash: SHA-1 (or MD5) signatures. */
export const weakSignature: Rule = (i) => {
  const { outcome: o, board: b } = i;
  if (!(o.kind === 'tls/weak-signature' || (mbedFlags(o) & 0x4000) !== 0)) return undefined;
  const weak = i.certs.filter((x) => /sha1|md5/i.test(x.signature));
  return {
    rule: 'weak-signature',
    title: `weak signature hash${weak.length ? `: ${weak.map((x) => `${x.name} ${x.signature}`).join(', ')}` : ''}`,
    evidence: i.certs.map((x) => `${x.name}: ${x.signature}`),
    stackRule: isMbedTls(b)
      ? 'mbedTLS PRESET_DEFAULT profile accepts SHA-224..SHA-512 signatures only → flag 0x4000 BAD_MD, -9984 (docs/tls-esp32.md §4)'
      : isBearSsl(b)
        ? 'BearSSL: unsupported hash/signature → 52/26'
        : 'OpenSSL security level 1+ rejects SHA-1 signatures',
    why: `${weak.map((x) => x.name).join(' and ') || 'A certificate'} is signed with ${weak[0]?.signature ?? 'a weak hash'}, which ${STACK_NAME[b.stack]} refuses.`,
    fixes: ['reissue with -sha256 (openssl x509 -req -sha256 … / req -x509 -sha256)'],
  };
};

/** Weak key: RSA below 2048 bits. */
export const weakKey: Rule = (i) => {
  const { outcome: o, board: b } = i;
  if (!(o.kind === 'tls/weak-key' || (mbedFlags(o) & 0x18000) !== 0 || codeIs(o, 'bearssl:60'))) return undefined;
  const weak = i.certs.filter((x) => {
    const m = /^RSA (\d+)/.exec(x.key);
    return m !== null && Number(m[1]) < 2048;
  });
  return {
    rule: 'weak-key',
    title: `weak key${weak.length ? `: ${weak.map((x) => `${x.name} ${x.key}`).join(', ')}` : ''}`,
    evidence: i.certs.map((x) => `${x.name}: ${x.key}`),
    stackRule: isMbedTls(b)
      ? 'mbedTLS PRESET_DEFAULT profile requires RSA ≥ 2048 bits for the CA and the leaf → flag 0x10000 BAD_KEY, -9984 (docs/tls-esp32.md §4)'
      : isBearSsl(b)
        ? 'BearSSL → 60 X509_WEAK_PUBLIC_KEY'
        : 'OpenSSL security level 2 requires RSA ≥ 2048',
    why: `${weak.map((x) => `${x.name} has ${x.key}`).join(', ') || 'A key is too small'}; ${STACK_NAME[b.stack]} refuses RSA keys under 2048 bits.`,
    fixes: ['reissue with openssl genrsa 2048 (or an EC P-256 key: openssl ecparam -genkey -name prime256v1)'],
  };
};

/** The broker requires a client certificate and the board sends none. */
export const clientCertRequired: Rule = (i) => {
  const { outcome: o, board: b, client: c } = i;
  const hit =
    o.kind === 'tls/client-cert-required' ||
    (c.requireCertificate === true &&
      !c.clientCert &&
      (o.kind === 'tls/handshake-failed' ||
        o.kind === 'tcp/reset' ||
        codeIs(o, 'mbedtls:-30592') ||
        codeIs(o, 'mbedtls:-80')));
  if (!hit) return undefined;
  return {
    rule: 'client-cert-required',
    title: 'the broker requires a client certificate and the board sends none',
    evidence: [
      `broker: require_certificate ${c.requireCertificate === true ? 'true' : '(required by the broker)'}`,
      `board: ${c.clientCert ? 'a client certificate is set' : 'no client certificate set'}`,
      ...(o.code ? [`${b.id} failed with ${o.code}${o.detail ? ` (${o.detail})` : ''}`] : []),
    ],
    stackRule: isBearSsl(b)
      ? 'OpenSSL (mosquitto) answers a missing client certificate with alert 40; ESP8266 prints it as "SSL received fatal alert - Decoding error: extraneous element." (getLastSSLError looks the alert number up in the error table, docs/tls-bearssl.md §1, §6 row 7)'
      : isMbedTls(b)
        ? 'the broker aborts the handshake; mbedTLS shows the fatal alert as -30592 "SSL - A fatal alert message was received from our peer", or the reset as -80, printed "UNKNOWN ERROR CODE (0050)" on an ESP32 (docs/tls-esp32.md §4, §6)'
        : 'TLS: the server requested a certificate and none was sent (TLS 1.3: alert 116 certificate_required)',
    why: "Your broker listener has require_certificate true, so the handshake fails before MQTT unless the board presents a certificate signed by the broker's cafile CA.",
    fixes: [
      isBearSsl(b)
        ? 'espClient.setClientRSACert(new X509List(client_cert), new PrivateKey(client_key)) with a client certificate issued by your CA'
        : isOpenSsl(b)
          ? 'give the PC client a certificate and key issued by your CA (mosquitto_pub --cert client.crt --key client.key)'
          : 'espClient.setCertificate(client_cert); espClient.setPrivateKey(client_key) with a client certificate issued by your CA',
      'or set require_certificate false on that listener',
    ],
  };
};

/** The broker only speaks TLS 1.3; the boards speak up to TLS 1.2. */
export const protocolVersion: Rule = (i) => {
  const { outcome: o, board: b, client: c } = i;
  // As with a missing client certificate, the broker's close can overtake its alert: -80 instead of -30592.
  const hit =
    o.kind === 'tls/protocol-version' ||
    (c.brokerTlsVersion === 'tlsv1.3' &&
      (o.kind === 'tls/handshake-failed' ||
        o.kind === 'tcp/reset' ||
        codeIs(o, 'mbedtls:-30592') ||
        codeIs(o, 'mbedtls:-80')));
  if (!hit) return undefined;
  return {
    rule: 'protocol-version',
    title: 'TLS version: the broker requires TLS 1.3, the board speaks TLS 1.2 at most',
    evidence: [
      `broker: tls_version ${c.brokerTlsVersion ?? '(1.3 only)'}`,
      ...(o.code ? [`${b.id} failed with ${o.code}${o.detail ? ` (${o.detail})` : ''}`] : []),
    ],
    stackRule: isBearSsl(b)
      ? 'BearSSL 0.6 implements TLS 1.0–1.2 only; a 1.3-only server answers protocol_version (alert 70 → ESP8266 "SSL received fatal alert - Unknown error code.", MKR 326) (docs/tls-bearssl.md §5, §6 row 9)'
      : "mbedTLS 2.28 on arduino-esp32 2.0.x has no TLS 1.3 (and 3.x has it off in sdkconfig) → the broker's alert, -30592 (docs/tls-esp32.md §2, §6)",
    why: "Your broker listener accepts only TLS 1.3, which the board's TLS library cannot speak.",
    fixes: ['set tls_version tlsv1.2 on the listener (mosquitto accepts 1.2 and 1.3 with it)'],
  };
};

/** ESP32 without setCACert / setInsecure: -1 before any socket is opened. */
export const noTrustConfigured: Rule = (i) => {
  const { outcome: o, board: b, client: c } = i;
  const hit = o.kind === 'tls/no-trust-configured' || codeIs(o, 'tls-no-trust');
  if (!hit) return undefined;
  return {
    rule: 'no-trust-configured',
    title: 'no CA and no setInsecure(): WiFiClientSecure gives up before connecting',
    evidence: [
      `board: ${c.caGiven ? 'a CA is set' : 'no CA set'}, ${c.insecure ? 'setInsecure()' : 'no setInsecure()'}`,
      ...(o.code ? [`${b.id} failed with ${o.code}`] : []),
    ],
    stackRule:
      'arduino-esp32 ssl_client.cpp l.64: no CA, no PSK, no bundle and not insecure → return -1 before any socket is opened, printed only as "start_ssl_client: -1" (since core 1.0.5; docs/tls-esp32.md §1.2)',
    why: 'The sketch never gives WiFiClientSecure a way to check the broker, so it refuses to try.',
    fixes: [
      'espClient.setCACert(ca_cert) with the PEM of your ca.crt (setInsecure() would also connect, without any check)',
    ],
  };
};

/** How each stack's MQTT client reports a refused login, and how it sends one. */
function mqttLogin(b: RuleBoard): { rule: string; send: string } {
  switch (b.stack) {
    case 'openssl-node':
      return {
        rule: 'mqtt.js: CONNACK return code 4/5 → error "Connection refused: Bad username or password" / "Not authorized" (error.code 4/5)',
        send: 'mqtt.connect(url, { username, password })',
      };
    case 'openssl-mosquitto':
      return {
        rule: 'mosquitto_pub/sub: CONNACK 4/5 → "Connection error: Connection Refused: bad user name or password / not authorised."',
        send: 'mosquitto_pub -u USER -P PASS',
      };
    case 'esp-tls':
      return {
        rule: 'ESP-IDF esp-mqtt: CONNACK return code 4/5 → MQTT_EVENT_ERROR with error_type MQTT_ERROR_TYPE_CONNECTION_REFUSED, connect_return_code 4/5',
        send: 'esp_mqtt_client_config_t .credentials.username / .credentials.authentication.password',
      };
    default:
      return {
        rule: 'PubSubClient 2.8: CONNACK return code 4 (bad credentials) or 5 (not authorized) becomes state() 4/5 (docs/tls-bearssl.md §2)',
        send: 'client.connect(id, user, pass)',
      };
  }
}

/** The broker wants a login and diagnose was run without one: the user's omission, not the board's. */
export const loginNotGiven: Rule = (i) => {
  const { outcome: o, board: b, client: c } = i;
  if (
    !(o.kind === 'mqtt/not-authorized' || o.kind === 'mqtt/bad-credentials') ||
    c.username !== undefined ||
    !c.loginRequired
  )
    return undefined;
  const login = mqttLogin(b);
  return {
    rule: 'login-not-given',
    title: 'TLS is fine; the broker requires a username and password and none was given to diagnose',
    evidence: [
      c.passwordFile
        ? `conf: password_file ${c.passwordFile}`
        : 'conf: allow_anonymous is not true on the listener (mosquitto 2.0 then refuses anonymous clients)',
      'diagnose: no --username/--password, so the board connected without a login',
      ...(o.code ? [`${b.id}: ${o.code}`] : []),
    ],
    stackRule: login.rule,
    why: 'Your broker refuses clients without a login, and diagnose ran the board without one because no --username was given. The TLS part of your setup worked.',
    fixes: [
      "run diagnose again with --username USER --password PASS as the sketch logs in (they become the run's only user)",
      `if the board really sends no login: make it send one (${login.send}) with a user from ${c.passwordFile ?? 'the password_file'}, or allow_anonymous true on that listener`,
    ],
  };
};

/** TLS worked; the broker refused the MQTT login. */
export const notAuthorized: Rule = (i) => {
  const { outcome: o, board: b, client: c } = i;
  if (!(o.kind === 'mqtt/not-authorized' || o.kind === 'mqtt/bad-credentials')) return undefined;
  const login = mqttLogin(b);
  return {
    rule: 'not-authorized',
    title: 'TLS is fine; the broker refused the MQTT login',
    evidence: [`MQTT user: ${c.username ?? '(none sent)'}`, ...(o.code ? [`${b.id}: ${o.code}`] : [])],
    stackRule: login.rule,
    why:
      o.kind === 'mqtt/bad-credentials'
        ? "The username/password is not in the broker's password_file."
        : c.username === undefined
          ? 'The broker requires a login (allow_anonymous false) and the client sent none.'
          : `The broker refused the user "${c.username}": the password does not match its password_file entry, or the ACL does not allow it.`,
    fixes: [
      `send a username and password that are in the broker's password_file (${login.send})`,
      'or allow_anonymous true on that listener',
    ],
  };
};

/** MKR1000: the client key lives in the ECC508, which holds NIST P-256 keys only. */
export const mkrClientKey: Rule = (i) => {
  const { board: b, client: c } = i;
  if (b.family !== 'mkr1000' || !c.clientCert) return undefined;
  const cert = i.certs.find((x) => x.name === 'client');
  if (!cert || /^EC (P-256|prime256v1)/.test(cert.key)) return undefined;
  return {
    rule: 'mkr-client-key',
    title: `MKR1000: a ${cert.key} client key cannot live in the ECC508`,
    evidence: [`client certificate: ${cert.subject}, key ${cert.key}`],
    stackRule:
      'ArduinoBearSSL setEccSlot(slot, cert) signs with ECCX08.ecSign: a P-256 key in an ECC508 slot (curve secp256r1), nothing else (docs/tls-bearssl.md §3-4)',
    why: `Your client certificate has a ${cert.key} key; the MKR1000 keeps its client key in the ECC508 crypto chip and signs the TLS handshake there, and the chip holds only NIST P-256 keys, so this key cannot be put on the board at all${i.outcome.kind === 'crash' ? ' (the twin refuses to load it into its ECC508 slot, as the chip would)' : ''}.`,
    fixes: [
      'make the key on the board: run the ECCX08CSR example (P-256 key in a slot), sign its CSR with your CA, and use setEccSlot(slot, cert)',
      'or give the broker listener require_certificate false and authenticate the MKR1000 with a username/password',
    ],
  };
};

/** Every rule in the order they are tried; the first that applies explains the outcome. */
const RULES: readonly Rule[] = [
  ...BUILD_RULES,
  mkrClientKey,
  noTrustConfigured,
  protocolVersion,
  clientCertRequired,
  dates,
  weakSignature,
  weakKey,
  nameMismatch,
  untrusted,
  loginNotGiven,
  notAuthorized,
];

export function explain(i: RuleInput): Explanation | undefined {
  if (i.outcome.kind === 'connected') return undefined;
  for (const r of RULES) {
    const e = r(i);
    if (e) return e;
  }
  return undefined;
}

/** What mosquitto's OpenSSL said when it refused a certificate at its security level. */
export type SecLevelRefusal = 'ca md too weak' | 'ee key too small' | 'ca key too small';

/** The security-level refusal in a broker log, if that is why it did not start. */
export function secLevelRefusal(log: string[]): SecLevelRefusal | undefined {
  for (const l of log) {
    const m = /SSL routines::(ca md too weak|ee key too small|ca key too small)/i.exec(l);
    if (m) return m[1]!.toLowerCase() as SecLevelRefusal;
  }
  return undefined;
}

/**
 * The user's broker does not start: mosquitto's own error lines as evidence. A certificate its OpenSSL
 * refuses at the security level (SHA-1 signature, RSA key under 2048 bits) gets the reissue fix.
 */
export function brokerRefused(log: string[], certs: CertSummary[]): Explanation {
  // The broker's own copy lives in a rig temp folder: show the file name the user knows.
  const errors = log
    .filter((l) => /Error|OpenSSL/i.test(l))
    .map((l) => l.replace(/^\d+:\s*/, '').replace(/\/\S*\/rig-broker-[^/\s"]+\/(?:certs|private)\//g, ''));
  const evidence = errors.length ? errors.map((l) => `mosquitto: ${l}`) : log.slice(-4).map((l) => `mosquitto: ${l}`);
  const refusal = secLevelRefusal(log);
  const seclevel =
    'OpenSSL 3 security levels (SSL_CTX_use_certificate checks the certificate against the level): level 1 and above refuse SHA-1 and MD5 signatures ("ca md too weak"), level 2 refuses RSA keys under 2048 bits ("ee key too small" for the server\'s own key, "ca key too small" for its CA\'s); Debian and Ubuntu build OpenSSL with level 2 as the default';
  if (refusal === 'ca md too weak') {
    const weak = certs.filter((x) => /sha1|md5/i.test(x.signature));
    evidence.push(...weak.map((x) => `${x.name}: ${x.subject}, signed with ${x.signature}`));
    return {
      rule: 'broker-weak-signature',
      title: `your broker does not start: its OpenSSL refuses the ${weak.map((x) => x.name).join(' and ') || 'server'} certificate's ${weak[0]?.signature ?? 'SHA-1'} signature`,
      why: `mosquitto loads certfile with OpenSSL at its default security level, which refuses a certificate signed with ${weak[0]?.signature ?? 'SHA-1'}; mosquitto then exits before it listens, so no board (and no PC client) can connect.`,
      evidence,
      stackRule: seclevel,
      fixes: [
        'reissue the server certificate with SHA-256: openssl x509 -req -sha256 … (and the CA with req -x509 -sha256 if it is SHA-1 too)',
        'only as a stopgap: "ciphers DEFAULT:@SECLEVEL=0" on the listener lets mosquitto load it; the boards below were observed that way',
      ],
    };
  }
  if (refusal === 'ee key too small' || refusal === 'ca key too small') {
    const weak = certs.filter((x) => {
      const m = /^RSA (\d+)/.exec(x.key);
      return m !== null && Number(m[1]) < 2048;
    });
    evidence.push(...weak.map((x) => `${x.name}: ${x.subject}, key ${x.key}`));
    return {
      rule: 'broker-weak-key',
      title: `your broker does not start: its OpenSSL refuses the ${refusal === 'ee key too small' ? 'server' : 'CA'} certificate's ${weak[0]?.key ?? 'small RSA'} key`,
      why: `mosquitto loads certfile with OpenSSL at its default security level (2), which wants RSA keys of at least 2048 bits; ${weak.map((x) => `${x.name} has ${x.key}`).join(', ') || 'a key is smaller'}, so mosquitto exits before it listens and no client can connect.`,
      evidence,
      stackRule: seclevel,
      fixes: [
        'reissue with an RSA 2048 key (openssl genrsa -out server.key 2048) or an EC P-256 key (openssl ecparam -genkey -name prime256v1)',
        'only as a stopgap: "ciphers DEFAULT:@SECLEVEL=0" on the listener lets mosquitto load it; the boards below were observed that way',
      ],
    };
  }
  return {
    rule: 'broker-does-not-start',
    title: 'your broker does not start with these files and conf',
    why: 'mosquitto exited before it listened; its error lines say why. No board can connect until it starts.',
    evidence,
    stackRule:
      "mosquitto 2.0 exits at start-up when it cannot load a listener's certfile, keyfile or cafile, or another conf line is wrong",
    fixes: [
      errors.length ? `fix what mosquitto names: ${errors[0]}` : 'run mosquitto -c your.conf -v and fix what it names',
    ],
  };
}
