// Builds a reproduction scenario skeleton (YAML text) and its sketch from a pasted forum post's parts.
// The result is validated with the scenario schema by the caller before anything is written.
import { isIPv4 } from 'node:net';
import { stringify } from 'yaml';
import type { ForumParts } from './extract.ts';
import { fixOpensslScript } from './openssl-fix.ts';
import { replaceSketchSecrets, type SketchSecrets } from './sketch-secrets.ts';

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


/** Escapes a line the user saw into a regex that matches it literally. */
export function literalRegex(line: string): string {
  return line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Logical port the board uses: the first listener that has TLS options, else the first listener, else 8883. */
function portOf(conf: string | undefined): number {
  if (!conf) return 8883;
  let current: number | undefined;
  let first: number | undefined;
  let tlsPort: number | undefined;
  for (const line of conf.split('\n')) {
    const l = /^\s*(?:listener|port)\s+(\d+)/.exec(line);
    if (l) { current = Number(l[1]); first ??= current; continue; }
    if (/^\s*(certfile|cafile|keyfile)\s/.test(line)) {
      tlsPort ??= current ?? 1883;
    }
  }
  return tlsPort ?? first ?? 8883;
}

/** Certificates the script writes (x509/ca/req -x509 with -out *.crt|pem|cer): logical name = file stem. */
export function certFiles(script: string): Record<string, string> {
  const files: Record<string, string> = {};
  const commands = script.replace(/\\\n/g, ' ').split('\n');
  for (const c of commands) {
    if (!/\bopenssl\s+(x509|ca)\b/.test(c) && !/\bopenssl\s+req\b.*\s-x509\b/.test(c)) continue;
    if (/\s-outform\s+DER\b/i.test(c)) continue;
    const out = /\s-out\s+(\S+\.(?:crt|pem|cer))\b/.exec(c)?.[1];
    if (!out) continue;
    const stem = out.replace(/^.*\//, '').replace(/\.(crt|pem|cer)$/, '').toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
    if (stem) files[stem] ??= out;
  }
  return files;
}

export function buildSkeleton(input: SkeletonInput): Skeleton {
  const { id, parts } = input;
  const notes: string[] = [];
  let secrets: SketchSecrets | undefined;
  if (parts.sketch) secrets = replaceSketchSecrets(parts.sketch);
  const board = input.board ?? secrets?.board ?? 'esp32';
  if (!input.board && !secrets?.board) notes.push('board not recognised from the sketch: esp32 assumed (use --board)');

  // The broker's address as the post wrote it stands for the broker of the run.
  const brokerIp = secrets?.broker && isIPv4(secrets.broker) ? secrets.broker : undefined;
  const withVars = (text: string) => (brokerIp ? text.split(brokerIp).join('{{broker.ip}}') : text);
  if (brokerIp && [parts.openssl, parts.conf].some((t) => t?.includes(brokerIp))) notes.push(`${brokerIp} (the sketch's broker) → {{broker.ip}} in the script/conf`);

  let pki: Record<string, unknown>;
  if (parts.openssl) {
    const fixed = fixOpensslScript(withVars(parts.openssl));
    notes.push(...fixed.notes);
    pki = { verbatim: { script: fixed.script, files: certFiles(fixed.script) } };
  } else {
    notes.push('no openssl commands found: a declarative CA and server certificate stand in');
    pki = { ca: { subject: { CN: 'Forum CA' } }, server: { subject: { CN: '{{broker.ip}}' } } };
  }

  let broker: Record<string, unknown>;
  const conf = parts.conf;
  if (conf) {
    broker = { conf: `${withVars(conf).replace(/\n*$/, '')}\n` };
    if (/^\s*password_file\s/m.test(conf)) {
      broker.users = { forumuser: 'forum-pass' };
      notes.push('the conf has a password_file: user "forumuser" / "forum-pass" added; the sketch gets them as SECRET_MQTT_USER/PASS');
    }
  } else {
    notes.push('no mosquitto.conf found: one TLS listener on 8883 stands in');
    broker = { listeners: [{ port: 8883, tls: {}, allowAnonymous: true }] };
  }
  const port = portOf(conf);

  const brokerName = secrets?.broker;
  const connect = !brokerName || isIPv4(brokerName) ? '{{broker.ip}}' : brokerName;
  const client: Record<string, unknown> = { port, topic: `forum/${id}` };
  if (broker.users) Object.assign(client, { username: 'forumuser', password: 'forum-pass' });
  if (/^\s*require_certificate\s+true/m.test(conf ?? '')) {
    client.cert = 'client';
    notes.push('require_certificate true: client.cert "client" assumed (the script must write client.crt)');
  }

  const saw = parts.saw.map(literalRegex);
  if (saw.length === 0) notes.push('no error line found: fill expect.broken.<board>.serial with what the user saw');
  const scenario = {
    version: 1,
    id,
    title: `TODO: one line, what fails and why (${id})`,
    description: 'Made by `rig new --from-forum`. TODO: what the user saw, the cause the thread gives, and what the twin shows.',
    tags: ['forum', board],
    source: [parts.link ?? `TODO: link to the thread`],
    pki,
    broker,
    ...(parts.sketch ? { sketch: { [board]: input.sketchDir } } : {}),
    boards: [board, 'control'],
    client,
    variants: {
      broken: { description: 'As posted.', connect },
      fixed: { description: 'TODO: the thread\'s fix (a pki/broker patch, another connect name, ...).', connect },
    },
    expect: {
      broken: { [board]: saw.length ? { serial: saw } : { kind: 'tls/handshake-failed' } },
      fixed: { [board]: { kind: 'connected', messages: [{ topic: `forum/${id}/up`, payload: 'hello' }] } },
    },
  };
  const yaml = `# yaml-language-server: $schema=../../schemas/scenario.schema.json\n${stringify(scenario, { lineWidth: 0 })}`;
  const base = input.sketchDir.replace(/^.*\//, '');
  return {
    yaml,
    ...(secrets ? { sketch: { file: `${input.sketchDir}/${base}.ino`, text: secrets.text, replaced: secrets.replaced } } : {}),
    notes,
  };
}
