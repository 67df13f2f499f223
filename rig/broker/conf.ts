// mosquitto.conf rendering: from a structured BrokerSpec, or from a verbatim conf (a forum post's own file)
// with placeholders and absolute paths mapped to this run's files. Pure: no I/O.
import { basename } from 'node:path';
import type { BrokerSpec } from '../scenario/schema.ts';
import type { CrlWanted, StagedFiles } from './files.ts';
import { fillTemplate, leadingPlaceholder, placeholders, usesPlaceholder } from '../format/index.ts';
import { unsafeConfLine } from '../scenario/conf-safety.ts';

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

/** The CRLs the listeners' `revoked` lists ask for, each signed by the listener's cafile certificate. */
export function crlsWanted(spec: BrokerSpec): CrlWanted[] {
  if (spec.conf !== undefined) return [];
  return (spec.listeners ?? []).flatMap((l, i) =>
    l.tls?.revoked?.length ? [{ listener: i, ca: l.tls.ca ?? 'ca', revoked: l.tls.revoked }] : [],
  );
}

const LOG_LINES = ['log_dest stderr', 'connection_messages true', 'log_timestamp true'];

/**
 * mosquitto leaves Nagle's algorithm on by default (set_tcp_nodelay false, mosquitto.conf(5), since 1.5): a small
 * packet the broker sends after one its client has not acknowledged yet waits for that client's delayed ACK, about
 * 40 ms on Linux, so a PUBLISH right after a SUBACK arrived 36 ms late (measured on loopback). It changes no byte
 * the board receives, only when; the rig's brokers turn it off, and a conf that sets it keeps its own choice.
 */
const NO_DELAY = 'set_tcp_nodelay true';

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
  // persistence true: the broker saves its sessions in the run's data folder at exit (and every autosave) and reads
  // them back when it starts, so a restart keeps clean-session-0 clients' subscriptions and queued messages.
  const persistence = spec.persistence === true ? ['persistence true', `persistence_location ${files.dataDir}/`] : [];
  const out: string[] = [
    '# mosquitto.conf rendered by the rig',
    ...(persistence.length ? persistence : ['persistence false']),
    ...LOG_LINES,
    NO_DELAY,
  ];
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
      if (files.crls?.[i] !== undefined) out.push(`crlfile ${files.crls[i]}`);
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
  const value = confPlaceholder(files, ports, vars);
  const r = new VerbatimConf(files, ports);
  conf.split('\n').forEach((raw, i) => {
    const line = fillTemplate(raw.replace(/\r$/, ''), value, (key) => {
      throw new Error(`broker.conf: unknown placeholder {{${key}}}`);
    });
    refuseUnsafe(line, i + 1);
    r.line(raw, line);
  });
  return r.finish();
}

/** A conf line the rig will not run, and why: it would load code into the broker or reach beyond its folder. */
export class UnsafeConfError extends Error {
  override readonly name = 'UnsafeConfError';
  constructor(
    readonly line: number,
    readonly text: string,
    why: string,
  ) {
    super(`broker.conf line ${line}: "${text}" ${why}: refused (see SECURITY.md)`);
  }
}

/** Refuses a line that loads code, writes where it likes or connects the broker to other hosts. */
function refuseUnsafe(line: string, n: number): void {
  const why = unsafeConfLine(line);
  if (why) throw new UnsafeConfError(n, line.trim(), why);
}

/** The value of a verbatim conf's placeholder in this run. */
function confPlaceholder(
  files: StagedFiles,
  ports: Record<number, number>,
  vars: Record<string, string>,
): (key: string) => string | undefined {
  return (key) => {
    let m: RegExpExecArray | null;
    if ((m = /^pki\.([A-Za-z0-9._-]+)\.(crt|key)$/.exec(key))) {
      const c = certOf(files, m[1]!, `broker.conf {{${key}}}`);
      const p = m[2] === 'crt' ? c.crt : c.key;
      if (!p) throw new Error(`broker.conf {{${key}}}: PKI certificate "${m[1]}" has no private key`);
      return p;
    }
    if ((m = /^port\.(\d+)$/.exec(key))) return String(realPort(ports, Number(m[1]), `broker.conf {{${key}}}`));
    if (key === 'passwd' && files.passwd) return files.passwd;
    if (key === 'acl' && files.acl) return files.acl;
    return Object.hasOwn(vars, key) ? vars[key] : undefined;
  };
}

/** The rendered conf, line by line, with what it has seen of listeners and logging. */
class VerbatimConf {
  private readonly out: string[] = [];
  private readonly notes: string[] = [];
  private hasListener = false;
  private logDests = 0;
  private logDestStderr = false;
  private logTypes: string[] = [];
  private setsNoDelay = false;

  constructor(
    private readonly files: StagedFiles,
    private readonly ports: Record<number, number>,
  ) {}

  /** One line: `raw` as written, `line` with its placeholders filled. */
  line(raw: string, line: string): void {
    const m = /^(\s*)([A-Za-z_][A-Za-z0-9_.]*)(?:\s+(.*))?$/.exec(line);
    if (!m || line.trim().startsWith('#')) {
      this.out.push(line);
      return;
    }
    const [, indent = '', key = '', rest = ''] = m;
    const args = rest.trim().split(/\s+/).filter(Boolean);
    const d = { line, indent, key, args };
    if (key === 'listener' || key === 'port') this.listener(d, raw);
    else if (Object.hasOwn(NEUTRALISED, key)) this.neutralise(line, NEUTRALISED[key]!);
    else if (key === 'persistence_location') {
      this.out.push(`${indent}persistence_location ${this.files.dataDir}/`);
      this.notes.push(`"${line.trim()}" → persistence_location ${this.files.dataDir}/ (the run's own data folder)`);
    } else if (key === 'log_dest') this.logDest(d);
    else if (key === 'log_type') {
      this.logTypes = this.logTypes.concat(args);
      this.out.push(line);
    } else if (key === 'password_file' || key === 'acl_file') this.authFile(d);
    else if (key === 'set_tcp_nodelay') {
      this.setsNoDelay = true;
      this.out.push(line);
    } else this.fileDirective(d);
  }

  private neutralise(line: string, why: string): void {
    this.out.push(`# [rig] ${line.trim()}`);
    this.notes.push(`"${line.trim()}" commented out: ${why}`);
  }

  private listener(d: Directive, raw: string): void {
    // "listener {{port.N}}" names its logical port in the placeholder.
    const named = /^port\.(\d+)$/.exec(leadingPlaceholder(raw.replace(/^\s*(?:listener|port)\s+/, '')) ?? '');
    const logical = named ? Number(named[1]) : Number(d.args[0]);
    if (!Number.isInteger(logical)) {
      this.out.push(d.line);
      return;
    }
    this.hasListener ||= d.key === 'listener';
    const real = realPort(this.ports, logical, `broker.conf "${d.line.trim()}"`);
    let bind = d.args.slice(1).join(' ');
    if (bind && !LOCAL_BINDS.has(bind)) {
      this.notes.push(`"${d.line.trim()}": bind address ${bind} dropped (not an address of this host)`);
      bind = '';
    }
    if (real !== logical) this.notes.push(`${d.key} ${logical} → ${real}`);
    this.out.push(`${d.indent}${d.key} ${real}${bind ? ` ${bind}` : ''}`);
  }

  private logDest(d: Directive): void {
    this.logDests++;
    const dest = d.args[0];
    if (dest === 'stderr') this.logDestStderr = true;
    if (dest === 'stderr' || dest === 'topic') {
      this.out.push(d.line);
      return;
    }
    this.neutralise(
      d.line,
      dest === 'stdout'
        ? 'mosquitto 2.0.11 block-buffers stdout into pipes; the rig reads stderr'
        : 'the rig captures the log from stderr',
    );
  }

  private authFile(d: Directive): void {
    const staged = d.key === 'password_file' ? this.files.passwd : this.files.acl;
    if (!staged) {
      this.out.push(d.line);
      return;
    }
    this.out.push(`${d.indent}${d.key} ${staged}`);
    if (d.args[0] !== staged)
      this.notes.push(
        `${d.key} ${d.args[0] ?? ''} → ${staged} (the run's ${d.key === 'password_file' ? 'users' : 'ACL'})`,
      );
  }

  private fileDirective(d: Directive): void {
    if (!FILE_DIRECTIVES.has(d.key) || d.args.length === 0) {
      this.out.push(d.line);
      return;
    }
    const file = d.args[0]!;
    const staged = this.files.byFileName[basename(file)];
    if (!staged) {
      this.notes.push(`${d.key} ${file}: no file of that name in the run's PKI; left as written`);
      this.out.push(d.line);
      return;
    }
    this.out.push(`${d.indent}${d.key} ${staged}${d.args.length > 1 ? ` ${d.args.slice(1).join(' ')}` : ''}`);
    if (file !== staged) this.notes.push(`${d.key} ${file} → ${staged}`);
  }

  /** Adds what the rig needs and the conf lacks: a listener, the log on stderr, the log types it reads. */
  finish(): RenderedConf {
    const { out, notes } = this;
    // A "port N" line is the default listener already; only a conf with neither gets one for 1883.
    if (!this.hasListener && !out.some((l) => /^\s*port\s+\d+/.test(l))) {
      // Top-level TLS options then belong to this listener, as they belong to the default 1883 one.
      const real = realPort(this.ports, 1883, 'broker.conf (no listener line: default port 1883)');
      out.unshift(`listener ${real}`);
      notes.push(`no listener line: "listener ${real}" added first (stands for the default port 1883)`);
    }
    if (this.logDests > 0 && !this.logDestStderr) {
      out.push('log_dest stderr');
      notes.push('"log_dest stderr" added: the rig reads the broker log from stderr');
    }
    this.addLogTypes();
    if (!this.setsNoDelay) {
      out.push(NO_DELAY);
      notes.push(`"${NO_DELAY}" added: a packet is not held ~40 ms behind the client's delayed ACK (Nagle)`);
    }
    return { text: `${out.join('\n').replace(/\n*$/, '')}\n`, notes };
  }

  private addLogTypes(): void {
    const { out, notes, logTypes } = this;
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
  }
}

interface Directive {
  line: string;
  indent: string;
  key: string;
  args: string[];
}

/** Directives that cannot work in a sandboxed run, and why they are commented out. */
const NEUTRALISED: Record<string, string> = {
  pid_file: 'the rig tracks the process itself; /run is not writable in a sandbox',
  include_dir: "the host's conf.d must not change the scenario",
  user: 'the rig chooses the user the broker runs as',
  pidfile: 'the rig tracks the process itself',
};

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
