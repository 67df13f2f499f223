// Candidate single changes for `rig bisect`, generated from the failing cell's certificates and settings.
// Certificate changes apply to a declarative mirror of the PKI (same subjects, SANs, keys, hashes, dates),
// so a verbatim forum script can be varied one field at a time.
import { isIPv4 } from 'node:net';
import type { BoardProfile } from '../boards/profile.ts';
import type { CertSummary } from '../results/schema.ts';
import type { BrokerSpec, CertSpec, PkiSpec, Variant } from '../scenario/schema.ts';
import { dnField, serverCert } from '../diagnose/rules.ts';
import { CURVES, type TlsBuild } from '../scenario/tls-build.ts';

export interface Candidate {
  id: string;
  description: string;
  /** Changes of one slot never combine with each other in pairs. */
  slot: string;
  patch: Variant;
}

const DN_ORDER = ['C', 'ST', 'L', 'O', 'OU', 'CN', 'emailAddress'] as const;

/** "CN=home,OU=PSS,O=PSS" (RFC 2253) → subject fields. */
function subjectOf(dn: string): CertSpec['subject'] {
  const s: CertSpec['subject'] = {};
  for (const k of DN_ORDER) {
    const v = dnField(dn, k);
    if (v !== undefined) s[k] = v;
  }
  return s;
}

function keyOf(desc: string): CertSpec['key'] {
  const rsa = /^RSA (\d+)/.exec(desc);
  if (rsa) {
    const bits = Number(rsa[1]);
    return { type: 'rsa', ...(bits === 1024 || bits === 2048 || bits === 3072 || bits === 4096 ? { bits } : {}) };
  }
  if (/P-384|secp384r1/.test(desc)) return { type: 'ec', curve: 'P-384' };
  return { type: 'ec', curve: 'P-256' };
}

function hashOf(sig: string): CertSpec['hash'] {
  const m = /sha(1|256|384|512)/i.exec(sig);
  return m ? (`sha${m[1]}` as CertSpec['hash']) : 'sha256';
}

/** A declarative PKI that reissues the same certificates (new keys of the same kind). */
export function mirrorPki(certs: CertSummary[]): PkiSpec {
  const pki: PkiSpec = {};
  for (const c of certs) {
    const selfSigned =
      c.subject === c.issuer && (c.isCA || !certs.some((o) => o !== c && o.isCA && o.subject === c.issuer));
    const issuer = selfSigned
      ? undefined
      : (certs.find((o) => o !== c && o.isCA && o.subject === c.issuer)?.name ??
        certs.find((o) => o !== c && o.subject === c.issuer)?.name);
    const spec: CertSpec = {
      subject: subjectOf(c.subject),
      ...(selfSigned ? { selfSigned: true } : issuer ? { issuer } : {}),
      ca: c.isCA,
      key: keyOf(c.key),
      hash: hashOf(c.signature),
      version: c.version === 1 ? 1 : 3,
      validity: { notBefore: c.notBefore, notAfter: c.notAfter },
      ...(c.san.length ? { san: c.san.filter((s) => /^(DNS|IP|email|URI):/.test(s)) } : {}),
    };
    pki[c.name] = spec;
  }
  return pki;
}

export interface CandidateInput {
  certs: CertSummary[];
  /** The name the board checked (twin fact tls-name), else the host it connects to. */
  checkedName: string;
  /** How to show checkedName to the user (e.g. "the broker's address ({{broker.ip}})"); default: as is. */
  checkedLabel?: string;
  /** The board's TLS stack: what setInsecure() turns off differs (docs/tls-bearssl.md §1, §3). */
  stack?: BoardProfile['stack'];
  connect: string;
  byIp: boolean;
  ca: string | null;
  insecure: boolean;
  clock: { ntp: boolean; date?: string };
  broker: BrokerSpec;
  /** The logical port the board connects to (a personality's ALPN rule is per port). */
  port?: number;
  /** The board's id and its TLS build as the cell resolves it (profile, scenario, variant). */
  board?: string;
  tlsBuild?: TlsBuild;
  /** The board's probe sketch (connects by the name it is given), when the cell uses another sketch. */
  probeSketch?: string;
  currentSketch?: string;
  /** The cell's TLS is a WiFi module's (the baseline's "modelled: WINC1500 19.6.1") and the roots uploaded to it. */
  module?: { label: string; roots?: string[] };
  /** The baseline's code, facts and detail, e.g. "pubsubclient-too-large:connect", "… connect of 343 bytes > …". */
  facts?: string[];
  now: Date;
}

/**
 * The PKI certificate at the top of the server's chain: follow issuers by subject (CAs first) up to a
 * self-signed one. Undefined for a self-signed server certificate or an issuer the PKI does not hold.
 */
export function issuingCa(certs: CertSummary[]): CertSummary | undefined {
  const server = serverCert(certs);
  if (!server) return undefined;
  // Same DN as its issuer: self-signed, unless a CA of that name signed it (seed 000: both CN=home).
  if (server.subject === server.issuer) return certs.find((c) => c !== server && c.isCA && c.subject === server.issuer);
  let at: CertSummary = server;
  let top: CertSummary | undefined;
  for (let guard = 0; guard < 8; guard++) {
    const up =
      certs.find((c) => c !== at && c.isCA && c.subject === at.issuer) ??
      certs.find((c) => c !== at && c !== server && c.subject === at.issuer);
    if (!up) break;
    top = up;
    if (up.subject === up.issuer) break;
    at = up;
  }
  return top;
}

/** Every single change worth trying, in the order they are reported: certificate, host, trust, clock, TLS. */
export function generateCandidates(i: CandidateInput): Candidate[] {
  const server = serverCert(i.certs);
  const viaProbe = probeVariant(i);
  const tls12 = tlsVersionPatch(i.broker);
  return [
    ...(server ? [...sanCandidates(i, server), ...certCandidates(i, server), ...hostCandidates(i, server)] : []),
    ...(isIPv4(i.checkedName)
      ? []
      : [
          {
            id: 'host=ip',
            slot: 'host',
            description: 'connect to the broker by its IP address',
            patch: { connect: '{{broker.ip}}', byIp: false, ...probeSketchPatch(i) },
          },
        ]),
    ...trustCandidates(i, viaProbe),
    ...clockCandidates(i, viaProbe),
    ...(tls12
      ? [{ id: 'tls=1.2', slot: 'tls', description: 'broker listener tls_version tlsv1.2', patch: { broker: tls12 } }]
      : []),
    ...buildCandidates(i),
    ...alpnCandidates(i, viaProbe),
    ...bufferCandidates(i, viaProbe),
  ];
}

/**
 * PubSubClient gave up on a CONNECT over its buffer (a long username or an Azure SAS token): setBufferSize() with the
 * next power of two that holds it, on a probe sketch that takes SECRET_BUFFER_SIZE (the ESP32 and ESP8266 probes).
 */
function bufferCandidates(i: CandidateInput, viaProbe: Variant): Candidate[] {
  if (!i.facts?.includes('pubsubclient-too-large:connect')) return [];
  if (i.stack !== 'mbedtls' && i.stack !== 'bearssl-esp8266') return [];
  const bytes = Number(i.facts.map((f) => /connect of (\d+) bytes/.exec(f)?.[1]).find(Boolean) ?? 0);
  let size = 512;
  while (size < bytes && size < 65536) size *= 2;
  return [
    {
      id: `buffer=${size}`,
      slot: 'buffer',
      description: `PubSubClient setBufferSize(${size}): the CONNECT${bytes ? ` of ${bytes} bytes` : ''} did not fit its buffer`,
      patch: { ...viaProbe, config: { ...(viaProbe.config ?? {}), BUFFER_SIZE: size } },
    },
  ];
}

/** What the firmware's TLS build left out or limited (build.<board>.tls): each put back as the library's default. */
export function buildCandidates(i: CandidateInput): Candidate[] {
  const t = i.tlsBuild;
  if (!t || !i.board) return [];
  const build = (tls: TlsBuild, id: string, description: string): Candidate => ({
    id,
    slot: 'build',
    description,
    patch: { build: { [i.board!]: { tls } } },
  });
  const out: Candidate[] = [];
  if (t.curves && t.curves.length < CURVES.length) {
    out.push(
      build({ curves: [...CURVES] }, 'build=curves', 'build the TLS library with every curve (secp384r1 and the rest)'),
    );
  }
  if (t.inContentLen !== undefined && t.inContentLen < 16384) {
    out.push(
      build(
        { inContentLen: 16384 },
        'build=in-16384',
        'TLS input buffer of 16384 bytes (CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN)',
      ),
    );
  }
  if (t.rsaMaxBits !== undefined && t.rsaMaxBits < 4096) {
    out.push(
      build(
        { rsaMaxBits: 4096 },
        'build=rsa-4096',
        'RSA keys up to 4096 bits in the TLS build (BR_MAX_RSA_SIZE / USE_4K_RSA)',
      ),
    );
  }
  return out;
}

/** A broker personality that routes by ALPN on this port (AWS IoT on 443): offer its protocol. */
function alpnCandidates(i: CandidateInput, viaProbe: Variant): Candidate[] {
  if (i.broker.personality !== 'aws-iot' || i.port !== 443) return [];
  return [
    {
      id: 'alpn=x-amzn-mqtt-ca',
      slot: 'alpn',
      description: 'offer the ALPN protocol x-amzn-mqtt-ca (setAlpnProtocols)',
      patch: { ...viaProbe, config: { ...(viaProbe.config ?? {}), ALPN: 'x-amzn-mqtt-ca' } },
    },
  ];
}

/** How the user names the checked name ("the broker's address ({{broker.ip}})"), else the name itself. */
function shownName(i: CandidateInput): string {
  return i.checkedLabel ?? i.checkedName;
}

/** Runs a host change on the probe sketch when the cell's own sketch is another one (it may hard-code the host). */
function probeSketchPatch(i: CandidateInput): Variant {
  return i.probeSketch && i.probeSketch !== i.currentSketch ? { sketch: i.probeSketch } : {};
}

/**
 * The scenario's own sketch may hard-code its trust and clock setup: those changes run on the board's probe
 * sketch, connecting the same way (same name checked).
 */
function probeVariant(i: CandidateInput): Variant {
  return i.probeSketch && i.currentSketch && i.probeSketch !== i.currentSketch
    ? { sketch: i.probeSketch, connect: i.checkedName, byIp: i.byIp }
    : {};
}

/** Add the checked name to the server certificate's SAN, or remove one entry. */
function sanCandidates(i: CandidateInput, server: CertSummary): Candidate[] {
  const out: Candidate[] = [];
  const v3 = server.version === 1 ? { version: 3 as const } : {};
  const san = server.san;
  const add = (entry: string): void => {
    if (san.includes(entry)) return;
    const [kind] = entry.split(':');
    const what = i.checkedLabel && entry.endsWith(`:${i.checkedName}`) ? `${kind}:<${shownName(i)}>` : entry;
    out.push({
      id: `san+${entry}`,
      slot: 'san',
      description: `add ${what} to the server certificate's SAN`,
      patch: { pki: { [server.name]: { ...v3, san: [...san, entry] } } },
    });
  };
  if (isIPv4(i.checkedName)) {
    add(`IP:${i.checkedName}`);
    add(`DNS:${i.checkedName}`);
  } else add(`DNS:${i.checkedName}`);
  for (const e of san) {
    const rest = san.filter((x) => x !== e);
    out.push({
      id: `san-${e}`,
      slot: 'san',
      description: `remove ${e} from the server certificate's SAN${rest.length ? '' : ' (no SAN left: the CN is used)'}`,
      patch: { pki: { [server.name]: { san: rest } } },
    });
  }
  return out;
}

/** The server certificate's CN and OU, the PKI's validity, the server key, the signature hash. */
function certCandidates(i: CandidateInput, server: CertSummary): Candidate[] {
  const name = server.name;
  const out: Candidate[] = [];
  const cn = dnField(server.subject, 'CN');
  if (cn !== i.checkedName) {
    out.push({
      id: `cn=${i.checkedName}`,
      slot: 'cn',
      description: `set the server certificate's CN to ${shownName(i)}`,
      patch: { pki: { [name]: { subject: { CN: i.checkedName } } } },
    });
  }
  const ou = dnField(server.subject, 'OU');
  const newOu = ou === 'Server' ? 'Server2' : 'Server';
  out.push({
    id: 'ou',
    slot: 'ou',
    description: `change the server certificate's OU (${ou ?? 'none'} → ${newOu})`,
    patch: { pki: { [name]: { subject: { OU: newOu } } } },
  });
  const now = i.now.getTime();
  const stale = i.certs.filter((c) => Date.parse(c.notAfter) < now || Date.parse(c.notBefore) > now);
  if (stale.length) {
    out.push({
      id: 'validity',
      slot: 'validity',
      description: `fresh validity (365 days from today) for ${stale.map((c) => c.name).join(', ')}`,
      patch: { pki: Object.fromEntries(stale.map((c) => [c.name, { validity: { days: 365 } }])) },
    });
  }
  return [...out, ...keyCandidates(i, server)];
}

function keyCandidates(i: CandidateInput, server: CertSummary): Candidate[] {
  const name = server.name;
  const out: Candidate[] = [];
  if (server.key !== 'RSA 2048') {
    out.push({
      id: 'key=rsa2048',
      slot: 'key',
      description: 'server key RSA 2048',
      patch: { pki: { [name]: { key: { type: 'rsa', bits: 2048, curve: undefined } } } },
    });
  }
  if (!/^EC (P-256|prime256v1)/.test(server.key)) {
    out.push({
      id: 'key=ec-p256',
      slot: 'key',
      description: 'server key EC P-256',
      patch: { pki: { [name]: { key: { type: 'ec', curve: 'P-256', bits: undefined } } } },
    });
  }
  const weakHash = i.certs.filter((c) => !/sha256/i.test(c.signature));
  if (weakHash.length) {
    out.push({
      id: 'hash=sha256',
      slot: 'hash',
      description: `sign ${weakHash.map((c) => c.name).join(', ')} with SHA-256`,
      patch: { pki: Object.fromEntries(weakHash.map((c) => [c.name, { hash: 'sha256' as const }])) },
    });
  }
  return out;
}

/** Connect by a name the server certificate holds (its DNS SAN entries and CN). */
function hostCandidates(i: CandidateInput, server: CertSummary): Candidate[] {
  const cn = dnField(server.subject, 'CN');
  const hosts = new Set<string>([
    ...server.san.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)),
    ...(cn ? [cn] : []),
  ]);
  const viaServer = (h: string): string =>
    i.byIp || i.probeSketch !== i.currentSketch ? ' (setServer("' + h + '"))' : '';
  return [...hosts]
    .filter((h) => h !== i.checkedName && !h.startsWith('*'))
    .map((h) => ({
      id: `host=${h}`,
      slot: 'host',
      description: `connect to ${h} by name${viaServer(h)}`,
      patch: { connect: h, byIp: false, ...probeSketchPatch(i) },
    }));
}

/** The CA that issued the server chain, no CA, or setInsecure() (a diagnosis, never offered as a fix). */
function trustCandidates(i: CandidateInput, viaProbe: Variant): Candidate[] {
  const out: Candidate[] = moduleRootCandidates(i);
  const probeNote = viaProbe.sketch ? ' (on the probe sketch, same name checked)' : '';
  // Given the way the board takes an anchor. Also when the scenario already names it: its own sketch may
  // ignore it (seed 001: BearSSLClient with the built-in roots only).
  const issuer = issuingCa(i.certs);
  if (issuer && (issuer.name !== i.ca || viaProbe.sketch) && !i.insecure) {
    const how =
      i.stack === 'arduinobearssl'
        ? 'as the trust anchor: BearSSLClient(client, &anchor, 1) made from its PEM, as `brssl ta` does'
        : i.stack === 'bearssl-esp8266'
          ? 'setTrustAnchors(new X509List(ca_cert))'
          : 'setCACert(ca_cert)';
    out.push({
      id: 'trust=ca',
      slot: 'trust',
      description: `give the board the CA that issued the server certificate, ${issuer.name} (${issuer.subject}), ${how}${probeNote}`,
      patch: { ...viaProbe, ca: issuer.name },
    });
  }
  if (i.ca !== null)
    out.push({
      id: 'trust=none',
      slot: 'trust',
      description: `give the board no CA${probeNote}`,
      patch: { ...viaProbe, ca: null },
    });
  if (!i.insecure) {
    const what =
      i.stack === 'arduinobearssl'
        ? 'setInsecure(BearSSLClient::SNI::Insecure): drops SNI and the name check only'
        : 'setInsecure(): no certificate checks at all';
    out.push({
      id: 'trust=insecure',
      slot: 'trust',
      description: `${what}${probeNote} (a diagnosis, not a fix)`,
      patch: { ...viaProbe, insecure: true, ca: null },
    });
  }
  return out;
}

/**
 * WiFiSSLClient trusts only the module's store (the sketch sets no CA): upload the CA that issued the server chain
 * with the firmware updater. An upload replaces the store, so the roots already uploaded stay in the list.
 */
function moduleRootCandidates(i: CandidateInput): Candidate[] {
  const issuer = issuingCa(i.certs);
  if (!i.module || !issuer || i.module.roots?.includes(issuer.name)) return [];
  const roots = [...(i.module.roots ?? []), issuer.name];
  const name = i.module.label.replace(/^modelled: /, '');
  return [
    {
      id: 'module-roots=ca',
      slot: 'trust',
      description:
        `upload this root: ${issuer.name} (${issuer.subject}) to the ${name} root store with the firmware updater ` +
        `(arduino-fwuploader certificates flash; it replaces the whole store` +
        (roots.length > 1 ? `, so flash ${roots.join(', ')} together)` : ')'),
      patch: { module: { roots } },
    },
  ];
}

function clockCandidates(i: CandidateInput, viaProbe: Variant): Candidate[] {
  if (i.clock.ntp && !i.clock.date) return [];
  const probeNote = viaProbe.sketch ? ' (on the probe sketch, same name checked)' : '';
  return [
    {
      id: 'clock=ntp',
      slot: 'clock',
      description: `set the board clock by NTP (configTime)${probeNote}`,
      patch: { ...viaProbe, clock: { ntp: true } },
    },
    {
      id: 'clock=now',
      slot: 'clock',
      description: `board clock fixed at ${i.now.toISOString().slice(0, 10)}`,
      patch: { ...viaProbe, clock: { ntp: true, date: i.now.toISOString() } },
    },
  ];
}

function tlsVersionPatch(b: BrokerSpec): Variant['broker'] | undefined {
  if (b.conf !== undefined) {
    if (!/^\s*tls_version\s+(?!tlsv1\.2\b)\S+/m.test(b.conf)) return undefined;
    return { conf: b.conf.replace(/^(\s*tls_version\s+)\S+/gm, '$1tlsv1.2') };
  }
  const ls = b.listeners ?? [];
  if (!ls.some((l) => l.tls?.version && l.tls.version !== 'tlsv1.2')) return undefined;
  return { listeners: ls.map((l) => (l.tls ? { ...l, tls: { ...l.tls, version: 'tlsv1.2' as const } } : l)) };
}

/** Merges two candidates' patches (different slots) into one variant. */
export function combine(x: Candidate, y: Candidate): Variant {
  // A host change says where the sketch connects; it wins over the probe-sketch defaults of the other change.
  const [a, b] = x.slot === 'host' ? [y, x] : [x, y];
  const pki: Record<string, Partial<CertSpec>> = {};
  for (const p of [a.patch.pki, b.patch.pki]) {
    for (const [name, patch] of Object.entries(p ?? {})) {
      if (name === 'verbatim' || patch === undefined) continue;
      const prev = pki[name] ?? {};
      const next = patch as Partial<CertSpec>;
      pki[name] = {
        ...prev,
        ...next,
        ...(prev.subject || next.subject ? { subject: { ...prev.subject, ...next.subject } } : {}),
      };
    }
  }
  const { pki: _a, ...ra } = a.patch;
  const { pki: _b, ...rb } = b.patch;
  return { ...ra, ...rb, ...(Object.keys(pki).length ? { pki } : {}) };
}
