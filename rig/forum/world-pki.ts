// The skeleton's certificates. With the poster's openssl commands: those, made runnable (openssl-fix.ts), with the
// roles read from them (which file is the server's, which CA signed it), completed where the post leaves something
// out (a client certificate the conf requires, a certificate the post fetched over the network). Without commands:
// declarative certificates named after the conf's files, made to fail the way the post says (the closest cause).
import type { CertSpec, PkiSpec } from '../scenario/schema.ts';
import { parseOpenssl } from './openssl-commands.ts';
import { logicalName } from './conf-files.ts';

/** What fails in the closest skeleton: the check the board's TLS stack trips over. */
export type Cause =
  'name' | 'trust' | 'weak-key' | 'weak-signature' | 'dns' | 'client-cert' | 'expired' | 'auth' | 'none';

export interface PkiPlan {
  pki: PkiSpec;
  /** PKI names: the CA that signed the server's certificate, the server's, a client's. */
  ca: string;
  server: string;
  client?: string;
  /** The PKI name the board gets as its CA (the file its firmware embeds), when not `ca`. */
  boardCa?: string;
  notes: string[];
}

// Fixed dates: SSLClient checks certificates against the sketch's build time (see the SSLClient twin), and fixed
// dates keep the PKI's content hash, so its cache, stable.
const VALIDITY = { notBefore: '2021-01-01T00:00:00Z', notAfter: '2041-01-01T00:00:00Z' };
const CLIENTISH = /client|device|esp|node|mkr|sensor|arduino/i;

interface Signed {
  out: string;
  ca: string;
  caKey?: string;
}

function scriptRoles(script: string): { selfSigned: string[]; signed: Signed[] } {
  const selfSigned: string[] = [];
  const signed: Signed[] = [];
  for (const c of script.replace(/\\\n/g, ' ').split('\n')) {
    const p = parseOpenssl(c);
    if (!p?.makesCert) continue;
    const out = p.outputs.find((o) => /\.(crt|pem|cer)$/i.test(o) && !/key/i.test(o));
    if (!out) continue;
    const ca = p.inputsByOpt.find((i) => i.opt === '-CA' || i.opt === '-cert')?.file;
    const caKey = p.inputsByOpt.find((i) => i.opt === '-CAkey' || i.opt === '-keyfile')?.file;
    if (ca) signed.push({ out, ca, ...(caKey ? { caKey } : {}) });
    else selfSigned.push(out);
  }
  return { selfSigned, signed };
}

/** The poster's script with its roles, a client certificate when the conf requires one, and fetched stand-ins. */
export function verbatimPlan(
  script: string,
  o: { certfile?: string; needClient: boolean; fetched: { file: string; host: string }[] },
): PkiPlan {
  const notes: string[] = [];
  let text = script.replace(/\n*$/, '\n');
  const roles = scriptRoles(text);
  const server =
    roles.signed.find((s) => o.certfile && s.out.replace(/^.*\//, '') === o.certfile) ??
    roles.signed.find((s) => !CLIENTISH.test(s.out)) ??
    roles.signed[0];
  let client = roles.signed.find((s) => s !== server && CLIENTISH.test(s.out));
  if (o.needClient && !client && server) {
    text += [
      'openssl genrsa -out client.key 2048',
      'openssl req -new -key client.key -subj "/CN=client" -out client.csr',
      `openssl x509 -req -in client.csr -CA ${server.ca} -CAkey ${server.caKey ?? server.ca.replace(/\.\w+$/, '.key')} -CAcreateserial -out client.crt -days 365`,
      '',
    ].join('\n');
    client = { out: 'client.crt', ca: server.ca };
    notes.push(
      'require_certificate true, but the recipe makes no client certificate: client.crt, signed by its CA, added',
    );
  }
  for (const f of o.fetched) {
    text += `openssl req -x509 -newkey rsa:2048 -nodes -keyout ${logicalName(f.file)}-stand-in.key -days 3650 -subj "/CN=${f.host}" -out ${f.file}\n`;
    notes.push(
      `\`openssl s_client -connect ${f.host}\` fetched ${f.file} over the network: a self-signed stand-in for ${f.host}'s certificate is made instead (no network in the sandbox, and the scenario has its own broker)`,
    );
  }
  const files: Record<string, string> = {};
  const add = (file: string) => (files[logicalName(file)] ??= file);
  if (server) add(server.ca);
  for (const f of roles.selfSigned) add(f);
  if (server) add(server.out);
  for (const s of roles.signed) add(s.out);
  if (client) add(client.out);
  for (const f of o.fetched) add(f.file);
  return {
    pki: { verbatim: { script: text, files } },
    ca: server ? logicalName(server.ca) : logicalName(roles.selfSigned[0] ?? 'ca.crt'),
    server: server ? logicalName(server.out) : 'server',
    ...(client ? { client: logicalName(client.out) } : {}),
    notes,
  };
}

export interface DeclarativeInput {
  cause: Cause;
  /** The host the board connects to (a name, or {{broker.ip}}). */
  connect: string;
  caName: string;
  serverName: string;
  /** A PC client connects with the same files (a claim of the post): its name check must pass too. */
  pcWorks: boolean;
  needClient: boolean;
  /** A certificate the firmware embeds that is no CA of this broker (a fetched file, a public broker's CA). */
  embedded?: { name: string; cn: string };
  caSubject?: Record<string, string>;
}

function serverSpec(i: DeclarativeInput, ip: boolean): CertSpec {
  const base = { issuer: i.caName, validity: VALIDITY };
  const name = i.connect;
  if (i.cause === 'name') {
    // The certificate is for the host's name; the board checks another. A PC checks an IP against the IP SAN
    // (mbedTLS 2.28 and BearSSL never do: docs/tls-esp32.md §6, docs/tls-bearssl.md §1), so a PC that works gets one.
    const cn = ip || i.serverName !== name ? i.serverName : `${i.serverName}-server`;
    return { ...base, subject: { CN: cn }, san: [`DNS:${cn}`, ...(ip && i.pcWorks ? ['IP:{{broker.ip}}'] : [])] };
  }
  // Names every stack accepts: mbedTLS and BearSSL compare the host as text with DNS entries, OpenSSL an IP with IP.
  return { ...base, subject: { CN: name }, san: [`DNS:${name}`, ...(ip ? ['IP:{{broker.ip}}'] : [])] };
}

/** Declarative certificates that fail on the board for `cause`. */
export function declarativePlan(i: DeclarativeInput): PkiPlan {
  const notes: string[] = [];
  const ip = i.connect === '{{broker.ip}}';
  const pki: PkiSpec = {
    [i.caName]: {
      subject: i.caSubject ?? { CN: 'Forum CA' },
      selfSigned: true,
      ca: true,
      validity: VALIDITY,
      ...(i.cause === 'weak-key' ? { key: { type: 'rsa', bits: 1024 } } : {}),
    },
    [i.serverName]: {
      ...serverSpec(i, ip),
      ...(i.cause === 'weak-signature' ? { hash: 'sha1' as const } : {}),
      ...(i.cause === 'expired'
        ? { validity: { notBefore: '2019-01-01T00:00:00Z', notAfter: '2020-01-01T00:00:00Z' } }
        : {}),
    },
  };
  let boardCa: string | undefined;
  if (i.embedded) {
    pki[i.embedded.name] = { subject: { CN: i.embedded.cn }, selfSigned: true, ca: true, validity: VALIDITY };
    boardCa = i.embedded.name;
  } else if (i.cause === 'trust') {
    pki['other-ca'] = { subject: { CN: 'Other CA' }, selfSigned: true, ca: true, validity: VALIDITY };
    boardCa = 'other-ca';
    notes.push(
      'the board trusts "other-ca", a CA that did not sign the broker\'s certificate (the closest cause of an untrusted chain)',
    );
  }
  if (i.needClient) pki.client = { subject: { CN: 'client' }, issuer: i.caName, validity: VALIDITY };
  return {
    pki,
    ca: i.caName,
    server: i.serverName,
    ...(i.needClient ? { client: 'client' } : {}),
    ...(boardCa ? { boardCa } : {}),
    notes,
  };
}
