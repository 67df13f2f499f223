// mosquitto.conf rendering: from a structured BrokerSpec, or from a verbatim conf (a forum post's own file)
// with placeholders and absolute paths mapped to this run's files. Pure: no I/O.
import { basename } from 'node:path';
import type { BrokerSpec } from '../scenario/schema.ts';
import type { StagedFiles } from './files.ts';
import { fillTemplate, leadingPlaceholder, placeholders, usesPlaceholder } from '../format/index.ts';

export interface RenderedConf {
  text: string;
  /** What the rig changed in a verbatim conf, and why. */
  notes: string[];
}

/** Does this conf (verbatim) name a password file or ACL file (so staging must create one)? */
export function confNeeds(spec: BrokerSpec): { passwd: boolean; acl: boolean } {
  const c = spec.conf ?? '';
  return {
    passwd: usesPlaceholder(c, 'passwd') || /^\s*password_file\s/m.test(c),
    acl: usesPlaceholder(c, 'acl') || /^\s*acl_file\s/m.test(c),
  };
}

/** Whether the broker needs the private key of a PKI entry: server certs of listeners, or a verbatim conf naming it. */
export function keyWanted(spec: BrokerSpec): (name: string, keyFileName: string) => boolean {
  if (spec.conf === undefined) {
    const names = new Set((spec.listeners ?? []).flatMap((l) => (l.tls ? [l.tls.cert] : [])));
    return (name) => names.has(name);
  }
  const conf = spec.conf;
  const named = new Set(placeholders(conf).flatMap((n) => /^pki\.(.+)\.key$/.exec(n)?.[1] ?? []));
  const keyFiles = new Set([...conf.matchAll(/^\s*keyfile\s+(\S+)/gm)].map((m) => basename(m[1])));
  return (name, keyFileName) => named.has(name) || keyFiles.has(keyFileName) || keyFiles.has(`${name}.key`);
}

const LOG_LINES = ['log_dest stderr', 'connection_messages true', 'log_timestamp true'];

function realPort(ports: Record<number, number>, logical: number, where: string): number {
  const p = ports[logical];
  if (p === undefined) throw new Error(`${where}: no real port for logical port ${logical}`);
  return p;
}

function certOf(files: StagedFiles, name: string, where: string): StagedFiles['certs'][string] {
  const c = files.certs[name];
  if (!c)
    throw new Error(
      `${where}: no PKI certificate named "${name}" (have: ${Object.keys(files.certs).join(', ') || 'none'})`,
    );
  return c;
}

/** Renders a structured BrokerSpec. */
export function renderStructuredConf(
  spec: BrokerSpec,
  files: StagedFiles,
  ports: Record<number, number>,
): RenderedConf {
  const notes: string[] = [];
  const out: string[] = ['# mosquitto.conf rendered by the rig', `persistence false`, ...LOG_LINES];
  const logTypes = spec.logType ?? ['all'];
  for (const t of logTypes) out.push(`log_type ${t}`);
  // "Received PUBLISH from <client id>" is a debug line: the runner attributes each message to its publisher with it.
  if (!logTypes.some((t) => t === 'all' || t === 'debug')) {
    out.push('log_type debug');
    notes.push('"log_type debug" added: the rig attributes messages to clients by the broker\'s PUBLISH lines');
  }
  const perListener = spec.perListenerSettings === true;
  const hasUsers = spec.users !== undefined && Object.keys(spec.users).length > 0;
  // mosquitto 2.0 refuses anonymous clients by default; a spec without users and without an explicit
  // choice is about TLS, so it gets anonymous access (said in the notes).
  const defaultAnon = (explicit: boolean | undefined, usersHere: boolean, where: string): boolean => {
    if (explicit !== undefined) return explicit;
    if (!usersHere) notes.push(`${where}: allow_anonymous not given and no users: rendered allow_anonymous true`);
    return !usersHere;
  };
  if (perListener) {
    out.push('per_listener_settings true');
  } else {
    const anyListenerAnon = (spec.listeners ?? []).find((l) => l.allowAnonymous !== undefined)?.allowAnonymous;
    out.push(`allow_anonymous ${defaultAnon(spec.allowAnonymous ?? anyListenerAnon, hasUsers, 'broker')}`);
    if (hasUsers && files.passwd) out.push(`password_file ${files.passwd}`);
    if (files.acl) out.push(`acl_file ${files.acl}`);
  }
  (spec.listeners ?? []).forEach((l, i) => {
    const where = `broker.listeners[${i}]`;
    out.push('', `listener ${realPort(ports, l.port, where)}`);
    if (l.protocol) out.push(`protocol ${l.protocol}`);
    if (l.tls) {
      const t = l.tls;
      const server = certOf(files, t.cert, `${where}.tls.cert`);
      if (!server.key) throw new Error(`${where}.tls.cert: PKI certificate "${t.cert}" has no private key`);
      // The chain file (leaf + intermediates) when the PKI made one: a correctly configured broker sends it.
      out.push(
        `cafile ${certOf(files, t.ca ?? 'ca', `${where}.tls.ca`).crt}`,
        `certfile ${server.chain ?? server.crt}`,
        `keyfile ${server.key}`,
      );
      if (t.requireCertificate !== undefined) out.push(`require_certificate ${t.requireCertificate}`);
      if (t.useIdentityAsUsername !== undefined) out.push(`use_identity_as_username ${t.useIdentityAsUsername}`);
      if (t.version) out.push(`tls_version ${t.version}`);
      if (t.ciphers) out.push(`ciphers ${t.ciphers}`);
      if (t.ciphersTls13) out.push(`ciphers_tls1.3 ${t.ciphersTls13}`);
    }
    if (perListener) {
      const usersHere = hasUsers && l.passwordFile !== false;
      out.push(`allow_anonymous ${defaultAnon(l.allowAnonymous ?? spec.allowAnonymous, usersHere, where)}`);
      if (usersHere && files.passwd) out.push(`password_file ${files.passwd}`);
      if (files.acl) out.push(`acl_file ${files.acl}`);
    }
  });
  return { text: `${out.join('\n')}\n`, notes };
}

// Directives whose value is a file the run must provide, mapped by file name.
const FILE_DIRECTIVES = new Set(['cafile', 'certfile', 'keyfile', 'crlfile', 'dhparamfile', 'psk_file']);
const LOCAL_BINDS = new Set(['0.0.0.0', '127.0.0.1', 'localhost', '::', '::1']);

/**
 * Renders a verbatim conf: placeholders ({{pki.NAME.crt|key}}, {{port.N}}, {{passwd}}, {{acl}}, {{var}}),
 * the author's absolute paths mapped to this run's files by file name, logical ports mapped to real ones,
 * and lines that cannot work in a sandboxed run neutralised. Every change is recorded in `notes`.
 */
export function renderVerbatimConf(
  conf: string,
  files: StagedFiles,
  ports: Record<number, number>,
  vars: Record<string, string> = {},
): RenderedConf {
  const notes: string[] = [];
  const placeholder = (key: string): string | undefined => {
    let m: RegExpExecArray | null;
    if ((m = /^pki\.([A-Za-z0-9._-]+)\.(crt|key)$/.exec(key))) {
      const c = certOf(files, m[1], `broker.conf {{${key}}}`);
      const p = m[2] === 'crt' ? c.crt : c.key;
      if (!p) throw new Error(`broker.conf {{${key}}}: PKI certificate "${m[1]}" has no private key`);
      return p;
    }
    if ((m = /^port\.(\d+)$/.exec(key))) return String(realPort(ports, Number(m[1]), `broker.conf {{${key}}}`));
    if (key === 'passwd' && files.passwd) return files.passwd;
    if (key === 'acl' && files.acl) return files.acl;
    return Object.hasOwn(vars, key) ? vars[key] : undefined;
  };
  const substitute = (text: string) =>
    fillTemplate(text, placeholder, (key) => {
      throw new Error(`broker.conf: unknown placeholder {{${key}}}`);
    });
  const out: string[] = [];
  let hasListener = false;
  let logDests = 0;
  let logDestStderr = false;
  let logTypes: string[] = [];
  const neutralise = (line: string, why: string) => {
    out.push(`# [rig] ${line.trim()}`);
    notes.push(`"${line.trim()}" commented out: ${why}`);
  };

  for (const raw of conf.split('\n')) {
    const line = substitute(raw.replace(/\r$/, ''));
    // "listener {{port.N}}" names its logical port in the placeholder.
    const portPlaceholder = /^port\.(\d+)$/.exec(leadingPlaceholder(raw.replace(/^\s*(?:listener|port)\s+/, '')) ?? '');
    const m = /^(\s*)([A-Za-z_][A-Za-z0-9_.]*)(?:\s+(.*))?$/.exec(line);
    if (!m || line.trim().startsWith('#')) {
      out.push(line);
      continue;
    }
    const [, indent, key, rest = ''] = m;
    const args = rest.trim().split(/\s+/).filter(Boolean);
    switch (key) {
      case 'listener':
      case 'port': {
        const logical = portPlaceholder ? Number(portPlaceholder[1]) : Number(args[0]);
        if (!Number.isInteger(logical)) {
          out.push(line);
          break;
        }
        hasListener ||= key === 'listener';
        const real = realPort(ports, logical, `broker.conf "${line.trim()}"`);
        let bind = args.slice(1).join(' ');
        if (bind && !LOCAL_BINDS.has(bind)) {
          notes.push(`"${line.trim()}": bind address ${bind} dropped (not an address of this host)`);
          bind = '';
        }
        const rendered = `${indent}${key} ${real}${bind ? ` ${bind}` : ''}`;
        if (real !== logical) notes.push(`${key} ${logical} → ${real}`);
        out.push(rendered);
        break;
      }
      case 'pid_file':
        neutralise(line, 'the rig tracks the process itself; /run is not writable in a sandbox');
        break;
      case 'include_dir':
        neutralise(line, "the host's conf.d must not change the scenario");
        break;
      case 'user':
        neutralise(line, 'the rig chooses the user the broker runs as');
        break;
      case 'pidfile':
        neutralise(line, 'the rig tracks the process itself');
        break;
      case 'persistence_location':
        out.push(`${indent}persistence_location ${files.dataDir}/`);
        notes.push(`"${line.trim()}" → persistence_location ${files.dataDir}/ (the run's own data folder)`);
        break;
      case 'log_dest': {
        logDests++;
        const dest = args[0];
        if (dest === 'stderr') {
          logDestStderr = true;
          out.push(line);
          break;
        }
        if (dest === 'topic') {
          out.push(line);
          break;
        }
        neutralise(
          line,
          dest === 'stdout'
            ? 'mosquitto 2.0.11 block-buffers stdout into pipes; the rig reads stderr'
            : 'the rig captures the log from stderr',
        );
        break;
      }
      case 'log_type':
        logTypes = logTypes.concat(args);
        out.push(line);
        break;
      case 'password_file':
      case 'acl_file': {
        const staged = key === 'password_file' ? files.passwd : files.acl;
        if (!staged) {
          out.push(line);
          break;
        }
        out.push(`${indent}${key} ${staged}`);
        if (args[0] !== staged)
          notes.push(`${key} ${args[0] ?? ''} → ${staged} (the run's ${key === 'password_file' ? 'users' : 'ACL'})`);
        break;
      }
      default: {
        if (!FILE_DIRECTIVES.has(key) || args.length === 0) {
          out.push(line);
          break;
        }
        const file = args[0];
        const staged = files.byFileName[basename(file)];
        if (!staged) {
          notes.push(`${key} ${file}: no file of that name in the run's PKI; left as written`);
          out.push(line);
        } else {
          out.push(`${indent}${key} ${staged}${args.length > 1 ? ` ${args.slice(1).join(' ')}` : ''}`);
          if (file !== staged) notes.push(`${key} ${file} → ${staged}`);
        }
      }
    }
  }
  // A "port N" line is the default listener already; only a conf with neither gets one for 1883.
  if (!hasListener && !out.some((l) => /^\s*port\s+\d+/.test(l))) {
    // Top-level TLS options then belong to this listener, as they belong to the default 1883 one.
    const real = realPort(ports, 1883, 'broker.conf (no listener line: default port 1883)');
    {
      out.unshift(`listener ${real}`);
      notes.push(`no listener line: "listener ${real}" added first (stands for the default port 1883)`);
    }
  }
  if (logDests > 0 && !logDestStderr) {
    out.push('log_dest stderr');
    notes.push('"log_dest stderr" added: the rig reads the broker log from stderr');
  }
  if (logTypes.length > 0 && !logTypes.some((t) => t === 'all' || t === 'information' || t === 'notice')) {
    out.push('log_type information', 'log_type notice');
    notes.push('"log_type information/notice" added: the rig needs the "running" and connection lines');
  }
  // Without log_type mosquitto logs error, warning, notice and information; the rig also needs debug's
  // "Received PUBLISH from <client id>" lines to attribute each message to its publisher.
  if (logTypes.length === 0) {
    out.push('log_type error', 'log_type warning', 'log_type notice', 'log_type information', 'log_type debug');
    notes.push(
      '"log_type debug" added (with mosquitto\'s default types): the rig attributes messages to clients by the PUBLISH lines',
    );
  } else if (!logTypes.some((t) => t === 'all' || t === 'debug')) {
    out.push('log_type debug');
    notes.push('"log_type debug" added: the rig attributes messages to clients by the PUBLISH lines');
  }
  return { text: `${out.join('\n').replace(/\n*$/, '')}\n`, notes };
}

export function renderConf(
  spec: BrokerSpec,
  files: StagedFiles,
  ports: Record<number, number>,
  vars: Record<string, string> = {},
): RenderedConf {
  return spec.conf !== undefined
    ? renderVerbatimConf(spec.conf, files, ports, vars)
    : renderStructuredConf(spec, files, ports);
}
