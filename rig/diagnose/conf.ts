// Reads the user's mosquitto.conf: maps its certificate paths to the user's files (by file name, or by
// content for a path that exists here), and finds the TLS listener the board talks to. Pure except for
// the existence/content checks, which are passed in.
import path from 'node:path';
import { DiagnoseInputError } from './inputs.ts';

/** Logical PKI names the conf may point at, with the file names the user gave for them. */
export interface GivenFile {
  name: string;
  kind: 'crt' | 'key';
  fileName: string;
  content: Buffer;
}

export interface ConfListener {
  port: number;
  tls: boolean;
  tlsVersion?: string;
  requireCertificate?: boolean;
  /** password_file / allow_anonymous as the conf sets them for this listener (or globally). */
  passwordFile?: string;
  allowAnonymous?: boolean;
  line: number;
}

export interface MappedConf {
  /** The conf with certificate paths replaced by {{pki.NAME.crt|key}} placeholders. */
  text: string;
  listeners: ConfListener[];
  notes: string[];
}

const CERT_DIRECTIVES: Record<string, 'crt' | 'key'> = { cafile: 'crt', certfile: 'crt', keyfile: 'key' };
const OTHER_FILE_DIRECTIVES = new Set(['crlfile', 'dhparamfile', 'psk_file', 'capath']);

export interface FileProbe {
  read(file: string): Promise<Buffer | undefined>;
}

export async function mapUserConf(
  confFile: string,
  text: string,
  given: GivenFile[],
  probe: FileProbe,
): Promise<MappedConf> {
  const notes: string[] = [];
  const out: string[] = [];
  const listeners: ConfListener[] = [];
  let current: ConfListener | undefined;
  // Options before the first listener belong to the default listener (port 1883, or `port N`).
  const top: ConfListener = { port: 1883, tls: false, line: 0 };
  const lines = text.split('\n');
  for (let idx = 0; idx < lines.length; idx++) {
    const raw = lines[idx]!.replace(/\r$/, '');
    const lineNo = idx + 1;
    const m = /^(\s*)([A-Za-z_][A-Za-z0-9_.]*)(?:\s+(.*))?$/.exec(raw);
    if (!m || raw.trim().startsWith('#')) {
      out.push(raw);
      continue;
    }
    const [, indent, key, rest = ''] = m;
    const value = rest.trim();
    const where = `${confFile}:${lineNo}: ${key} ${value}`;
    const target = current ?? top;
    if (key === 'listener') {
      const port = Number(value.split(/\s+/)[0]);
      if (!Number.isInteger(port)) throw new DiagnoseInputError(`${where}: listener needs a port number`);
      current = { port, tls: false, line: lineNo };
      listeners.push(current);
      out.push(raw);
      continue;
    }
    if (key === 'port') {
      top.port = Number(value) || 1883;
      top.line = lineNo;
      out.push(raw);
      continue;
    }
    if (key === 'tls_version') target.tlsVersion = value;
    if (key === 'require_certificate') target.requireCertificate = value === 'true';
    if (key === 'password_file') target.passwordFile = value;
    if (key === 'allow_anonymous') target.allowAnonymous = value === 'true';
    const kind = CERT_DIRECTIVES[key];
    if (kind) {
      if (key === 'certfile') target.tls = true;
      const name = await resolveFile(value, kind, key, where, confFile, given, probe);
      out.push(`${indent}${key} {{pki.${name}.${kind}}}`);
      notes.push(
        `${key} ${value} → your ${given.find((g) => g.name === name && g.kind === kind)?.fileName ?? name} (line ${lineNo})`,
      );
      continue;
    }
    if (OTHER_FILE_DIRECTIVES.has(key)) {
      const abs = path.resolve(path.dirname(confFile), value);
      if (!(await probe.read(abs)))
        throw new DiagnoseInputError(
          `${where}: ${value} does not exist here (line ${lineNo}); copy it next to the conf or remove the line`,
        );
      out.push(`${indent}${key} ${abs}`);
      continue;
    }
    if (key === 'password_file' || key === 'acl_file')
      notes.push(
        `${key} ${value} (line ${lineNo}): the run uses its own ${key === 'password_file' ? 'users (--username/--password)' : 'empty ACL'}`,
      );
    out.push(raw);
  }
  const all = listeners.length ? listeners : [top];
  if (!listeners.length) notes.push(`no listener line: the default listener on port ${top.port}`);
  // Without per_listener_settings, password_file and allow_anonymous are global wherever they are written.
  if (!/^\s*per_listener_settings\s+true\b/m.test(text)) {
    const last = <K extends 'passwordFile' | 'allowAnonymous'>(k: K): ConfListener[K] =>
      [top, ...listeners]
        .map((l) => l[k])
        .filter((v) => v !== undefined)
        .pop();
    const passwordFile = last('passwordFile');
    const allowAnonymous = last('allowAnonymous');
    for (const l of all) {
      if (passwordFile !== undefined) l.passwordFile = passwordFile;
      if (allowAnonymous !== undefined) l.allowAnonymous = allowAnonymous;
    }
  }
  return { text: out.join('\n'), listeners: all, notes };
}

/** Whether the listener refuses a client without a username: mosquitto 2.0's allow_anonymous defaults to false. */
export function loginRequired(l: ConfListener): boolean {
  return l.allowAnonymous !== true;
}

/** The OpenSSL security level the observation-only broker uses for certificates its own OpenSSL refuses. */
export const LOWERED_SECLEVEL = '@SECLEVEL=0';

/**
 * The conf with OpenSSL's security level lowered on every TLS listener (`ciphers …:@SECLEVEL=0`), so a
 * broker whose OpenSSL refuses a SHA-1 or small-key certificate starts and the boards can be watched.
 * Only for observing: the user's broker as written does not start.
 */
export function lowerSecurityLevel(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  // Blocks: before the first listener, then one per listener line.
  const blocks: string[][] = [[]];
  for (const l of lines) {
    if (/^\s*listener\s/.test(l)) blocks.push([]);
    blocks[blocks.length - 1]!.push(l);
  }
  for (const b of blocks) {
    const ciphers = b.findIndex((l) => /^\s*ciphers\s+\S/.test(l));
    const certfile = b.findIndex((l) => /^\s*certfile\s+\S/.test(l));
    if (ciphers >= 0) {
      if (!/@SECLEVEL=/i.test(b[ciphers]!)) b[ciphers] = `${b[ciphers]!.trimEnd()}:${LOWERED_SECLEVEL}`;
      else b[ciphers] = b[ciphers]!.replace(/@SECLEVEL=\d/i, LOWERED_SECLEVEL);
    } else if (certfile >= 0) {
      b.splice(certfile + 1, 0, `ciphers DEFAULT:${LOWERED_SECLEVEL}`);
    }
    out.push(...b);
  }
  return out.join('\n');
}

async function resolveFile(
  value: string,
  kind: 'crt' | 'key',
  key: string,
  where: string,
  confFile: string,
  given: GivenFile[],
  probe: FileProbe,
): Promise<string> {
  const base = path.basename(value);
  const byName = given.filter((g) => g.kind === kind && g.fileName === base);
  if (byName.length === 1) return byName[0]!.name;
  const abs = path.resolve(path.dirname(confFile), value);
  const content = await probe.read(abs);
  if (content) {
    const same = given.find((g) => g.kind === kind && g.content.equals(content));
    if (same) return same.name;
    throw new DiagnoseInputError(
      `${where}: ${abs} exists but is none of the files you gave; pass it with ${kind === 'key' ? '--key' : key === 'cafile' ? '--ca' : '--cert'}`,
    );
  }
  const names =
    given
      .filter((g) => g.kind === kind)
      .map((g) => g.fileName)
      .join(', ') || 'none';
  throw new DiagnoseInputError(
    `${where}: file ${value} does not exist here, and none of your ${kind === 'key' ? 'key' : 'certificate'} files is named ${base} (given: ${names})`,
  );
}
