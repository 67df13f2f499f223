// Builds a reproduction scenario skeleton (YAML text) and its sketch from a pasted forum post's parts.
// The result is validated with the scenario schema by the caller before anything is written.
import { X509Certificate } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { stringify } from 'yaml';
import type { ForumParts } from './extract.ts';
import { fixOpensslScript, type SubjectHints } from './openssl-fix.ts';
import { literalRegex } from './regex.ts';
import { addRigLines } from './rig-lines.ts';
import { sawExpectations } from './saw.ts';
import { isPlaceholderHost, replaceSketchSecrets, type SketchSecrets } from './sketch-secrets.ts';

export { literalRegex };

export interface SkeletonInput {
  id: string;
  parts: ForumParts;
  /** Board profile id; default: detected from the sketch, else esp32. */
  board?: string;
  /** Where the sketch will live, relative to the project root (sketches/<id>). */
  sketchDir: string;
}

export interface Skeleton {
  yaml: string;
  sketch?: { file: string; text: string; replaced: string[] };
  notes: string[];
}

/** Logical port the board uses: the first listener that has TLS options, else the first listener, else 8883. */
function portOf(conf: string | undefined): number {
  if (!conf) return 8883;
  let current: number | undefined;
  let first: number | undefined;
  let tlsPort: number | undefined;
  for (const line of conf.split('\n')) {
    const l = /^\s*(?:listener|port)\s+(\d+)/.exec(line);
    if (l) {
      current = Number(l[1]);
      first ??= current;
      continue;
    }
    if (/^\s*(certfile|cafile|keyfile)\s/.test(line)) {
      tlsPort ??= current ?? 1883;
    }
  }
  return tlsPort ?? first ?? 8883;
}

/** Certificates the script writes (x509/ca/req -x509 with -out *.crt|pem|cer): logical name = file stem. */
function certFiles(script: string): Record<string, string> {
  const files: Record<string, string> = {};
  const commands = script.replace(/\\\n/g, ' ').split('\n');
  for (const c of commands) {
    if (!/\bopenssl\s+(x509|ca)\b/.test(c) && !/\bopenssl\s+req\b.*\s-x509\b/.test(c)) continue;
    if (/\s-outform\s+DER\b/i.test(c)) continue;
    const out = /\s-out\s+(\S+\.(?:crt|pem|cer))\b/.exec(c)?.[1];
    if (!out) continue;
    const stem = out
      .replace(/^.*\//, '')
      .replace(/\.(crt|pem|cer)$/, '')
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-');
    if (stem) files[stem] ??= out;
  }
  return files;
}

/** A certificate's subject as an `openssl req -subj` argument ("/C=TV/.../CN=home"). */
function subjArg(subject: string): string {
  return subject
    .split('\n')
    .map((f) => `/${f.replace(/[\\/"$`]/g, '\\$&')}`)
    .join('');
}

/**
 * What the poster typed at the prompts, as far as the post tells: the CA certificate pasted into the sketch
 * has the CA's subject; for the server, posters type the name their board connects to as CN (the other
 * fields as for the CA). A sketch that connects to an IP (or a placeholder) gets the run's broker address.
 */
function subjectHints(secrets: SketchSecrets | undefined, connect: string, notes: string[]): SubjectHints {
  const hints: SubjectHints = {};
  const ca = secrets?.pems.find((p) => p.secret === 'SECRET_CA_CERT');
  let base = '';
  if (ca) {
    try {
      const crt = new X509Certificate(ca.pem);
      if (crt.ca || crt.subject === crt.issuer) {
        hints.ca = subjArg(crt.subject);
        base = subjArg(
          crt.subject
            .split('\n')
            .filter((f) => !f.startsWith('CN='))
            .join('\n'),
        );
        notes.push(`the CA's subject ${hints.ca} is the one of the CA certificate pasted into the sketch`);
      }
    } catch {
      // A placeholder ("YOUR_CA_CERT_HERE") or a mangled paste: nothing to learn from it.
    }
  }
  hints.server = `${base}/CN=${connect}`;
  return hints;
}

/** Every IPv4 literal of a post's openssl script is the broker as the poster knew it: the run's broker here. */
function brokerIpsToVar(script: string, notes: string[]): string {
  const ips = new Set<string>();
  const out = script.replace(/(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])/g, (ip: string) => {
    if (!isIPv4(ip) || ip === '0.0.0.0') return ip;
    ips.add(ip);
    return '{{broker.ip}}';
  });
  if (ips.size)
    notes.push(`${[...ips].join(', ')} (the poster's broker address) → {{broker.ip}} in the openssl commands`);
  return out;
}

/** mosquitto reads one directive per line from its first column, with no comment after a value. */
function cleanConf(conf: string, notes: string[]): string {
  let stripped = 0;
  const lines = conf.split('\n').map((l) => {
    const t = l.trim();
    if (t.startsWith('#')) return t;
    const m = /^(\S.*?)\s+#.*$/.exec(t);
    if (m) {
      stripped++;
      return m[1]!;
    }
    return t;
  });
  if (stripped)
    notes.push(`${stripped} trailing comment(s) cut from mosquitto.conf lines (mosquitto would read them as values)`);
  return `${lines.join('\n').replace(/\n*$/, '')}\n`;
}

export function buildSkeleton(input: SkeletonInput): Skeleton {
  const { id, parts } = input;
  const notes: string[] = [];
  const secrets = parts.sketch ? replaceSketchSecrets(parts.sketch) : undefined;
  const board = input.board ?? secrets?.board ?? 'esp32';
  if (!input.board && !secrets?.board) notes.push('board not recognised from the sketch: esp32 assumed (use --board)');
  const addr = brokerAddressOf(secrets, parts, notes);
  const { pki, fixPki } = skeletonPki(parts, secrets, addr, notes);
  const conf = parts.conf ? cleanConf(addr.withVars(parts.conf), notes) : undefined;
  const broker = skeletonBroker(conf, secrets, notes);
  const topic = `forum/${id}`;
  const client: Record<string, unknown> = { connect: addr.connect, port: portOf(conf), topic };
  if (broker.users) Object.assign(client, { username: 'forumuser', password: 'forum-pass' });
  if (/^\s*require_certificate\s+true/m.test(conf ?? '')) {
    client.cert = 'client';
    notes.push('require_certificate true: client.cert "client" assumed (the script must write client.crt)');
  }
  const sketchText = secrets && withRigLines(secrets, board, notes);
  const saw = sawExpectations(parts.saw, board);
  notes.push(...saw.notes);
  if (Object.keys(saw.byBoard).length === 0)
    notes.push('no error line found: fill expect.broken.<board>.serial with what the user saw');
  const scenario = {
    version: 1,
    id,
    title: `TODO: one line, what fails and why (${id})`,
    description:
      'Made by `rig new --from-forum`. TODO: what the user saw, the cause the thread gives, and what the twin shows.',
    tags: ['forum', board],
    source: [parts.link ?? `TODO: link to the thread`],
    pki,
    broker,
    ...(parts.sketch ? { sketch: { [board]: input.sketchDir } } : {}),
    boards: [board, 'control'],
    client,
    variants: {
      broken: { description: 'As posted.' },
      fixed: {
        description: fixPki
          ? "The thread's answer: its commands make the certificates again."
          : "TODO: the thread's fix (a pki/broker patch, another connect name, ...).",
        ...(fixPki ? { pki: fixPki } : {}),
      },
    },
    expect: {
      broken: Object.keys(saw.byBoard).length ? saw.byBoard : { [board]: { kind: 'tls/handshake-failed' } },
      fixed: { [board]: { kind: 'connected', messages: [{ topic: `${topic}/up`, payload: 'hello' }] } },
    },
  };
  const yaml = `# yaml-language-server: $schema=../../schemas/scenario.schema.json\n${stringify(scenario, { lineWidth: 0 })}`;
  const base = input.sketchDir.replace(/^.*\//, '');
  return {
    yaml,
    ...(secrets && sketchText !== undefined
      ? { sketch: { file: `${input.sketchDir}/${base}.ino`, text: sketchText, replaced: secrets.replaced } }
      : {}),
    notes,
  };
}

interface BrokerAddress {
  /** What the board connects to: the sketch's broker name, or {{broker.ip}}. */
  connect: string;
  /** Replaces the sketch's broker IP in a text of the post with {{broker.ip}}. */
  withVars: (text: string) => string;
}

/** The broker's address as the post wrote it stands for the broker of the run. */
function brokerAddressOf(secrets: SketchSecrets | undefined, parts: ForumParts, notes: string[]): BrokerAddress {
  const brokerName = secrets?.broker;
  const brokerIp = brokerName && isIPv4(brokerName) ? brokerName : undefined;
  const placeholder = brokerName !== undefined && !brokerIp && isPlaceholderHost(brokerName);
  if (placeholder)
    notes.push(`the sketch's broker "${brokerName}" is a placeholder: the board connects to {{broker.ip}}`);
  const connect = !brokerName || brokerIp || placeholder ? '{{broker.ip}}' : brokerName;
  const withVars = (text: string): string => (brokerIp ? text.split(brokerIp).join('{{broker.ip}}') : text);
  if (brokerIp && parts.conf?.includes(brokerIp))
    notes.push(`${brokerIp} (the sketch's broker) → {{broker.ip}} in the conf`);
  return { connect, withVars };
}

/** The post's openssl commands verbatim (made to run unattended), or a declarative stand-in. */
function skeletonPki(
  parts: ForumParts,
  secrets: SketchSecrets | undefined,
  addr: BrokerAddress,
  notes: string[],
): { pki: Record<string, unknown>; fixPki?: Record<string, unknown> } {
  if (!parts.openssl) {
    notes.push('no openssl commands found: a declarative CA and server certificate stand in');
    return { pki: { ca: { subject: { CN: 'Forum CA' } }, server: { subject: { CN: addr.connect } } } };
  }
  const hints = subjectHints(secrets, addr.connect, notes);
  const fixed = fixOpensslScript(brokerIpsToVar(addr.withVars(parts.openssl), notes), hints);
  notes.push(...fixed.notes);
  const pki = { verbatim: { script: fixed.script, files: certFiles(fixed.script) } };
  if (!parts.opensslFix) return { pki };
  // A later answer that makes the certificates again is the thread's fix, not part of the poster's setup.
  const fix = fixOpensslScript(brokerIpsToVar(addr.withVars(parts.opensslFix), notes), hints);
  notes.push(...fix.notes.map((n) => `fixed: ${n}`));
  notes.push("the later commands that make the certificates again (the thread's answer) → variants.fixed.pki");
  return { pki, fixPki: { verbatim: { script: fix.script, files: certFiles(fix.script) } } };
}

/** The post's mosquitto.conf (with a password file when the sketch logs in), or one TLS listener. */
function skeletonBroker(
  conf: string | undefined,
  secrets: SketchSecrets | undefined,
  notes: string[],
): Record<string, unknown> {
  if (!conf) {
    notes.push('no mosquitto.conf found: one TLS listener on 8883 stands in');
    return { listeners: [{ port: 8883, tls: {}, allowAnonymous: true }] };
  }
  let text = conf;
  const sendsUser = /\bSECRET_MQTT_USER\b/.test(secrets?.text ?? '');
  if (!/^password_file\s/m.test(conf) && /^allow_anonymous\s+false\b/m.test(conf) && sendsUser) {
    // The post left its password_file out; without one mosquitto refuses every login.
    text = text.replace(/^(allow_anonymous\s+false.*)$/m, '$1\npassword_file {{passwd}}');
    notes.push(
      'allow_anonymous false and the sketch logs in, but no password_file in the post: "password_file {{passwd}}" added',
    );
  }
  if (!/^password_file\s/m.test(text)) return { conf: text };
  notes.push('a password_file: user "forumuser" / "forum-pass" added; the sketch gets them as SECRET_MQTT_USER/PASS');
  return { conf: text, users: { forumuser: 'forum-pass' } };
}

/** The sketch with the rig's outcome lines added, marked // [rig]. */
function withRigLines(secrets: SketchSecrets, board: string, notes: string[]): string {
  const rig = addRigLines(secrets.text, secrets.board ?? board);
  if (rig.added)
    notes.push(
      '"RIG: connected" (with one publish on <topic>/up) and "RIG: connect fail" lines added to the sketch, marked // [rig]',
    );
  if (rig.note) notes.push(rig.note);
  return rig.text;
}
