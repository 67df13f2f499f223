// Loads a scenario file: the schema (rig/format reports problems at file:line:column) plus the cross-references
// a schema cannot express (a certificate named but not defined, a port no listener has).
import { type z } from 'zod';
import { FormatError } from '../errors.ts';
import {
  fillVars,
  parseWithSchema,
  placeholders,
  positionProblems,
  readText,
  type PathProblem,
} from '../format/index.ts';
import { Scenario, type BrokerSpec } from './schema.ts';
import { logicalPorts } from './ports.ts';
import { unsafeConfLines } from './conf-safety.ts';
import { stepProblems } from './step-check.ts';

type PathKey = string | number;

export interface LoadedScenario {
  file: string;
  scenario: Scenario;
}

/** Loads and checks one scenario file, including cross-references the schema cannot express. */
export async function loadScenario(file: string): Promise<LoadedScenario> {
  return { file, scenario: parseScenarioText(await readText(file), file) };
}

export function parseScenarioText(text: string, file: string): Scenario {
  const scenario = parseWithSchema(Scenario, text, file);
  const problems = crossCheck(scenario);
  if (problems.length > 0) throw new FormatError(positionProblems(text, file, problems));
  return scenario;
}

function crossCheck(s: Scenario): PathProblem[] {
  const out: PathProblem[] = [];
  const certNames = new Set(Object.keys(s.pki).filter((k) => k !== 'verbatim'));
  const verbatimNames = new Set(Object.keys(s.pki.verbatim?.files ?? {}).map((k) => k.replace(/\.(crt|key)$/, '')));
  const known = (n: string): boolean => certNames.has(n) || verbatimNames.has(n);
  if (s.pki.verbatim && certNames.size > 0) {
    out.push({ path: ['pki'], message: 'give either a verbatim script or named certificates, not both' });
  }
  for (const [name, c] of Object.entries(s.pki)) {
    if (name === 'verbatim') continue;
    const cert = c as z.infer<typeof import('./schema.ts').CertSpec>;
    if (cert.issuer && !known(cert.issuer))
      out.push({
        path: ['pki', name, 'issuer'],
        message: `no certificate named "${cert.issuer}" in pki (have: ${[...certNames].join(', ')})`,
      });
  }
  s.broker.listeners?.forEach((l, i) => {
    if (l.tls && !known(l.tls.cert))
      out.push({
        path: ['broker', 'listeners', i, 'tls', 'cert'],
        message: `no certificate named "${l.tls.cert}" in pki`,
      });
    if (l.tls?.ca && !known(l.tls.ca))
      out.push({ path: ['broker', 'listeners', i, 'tls', 'ca'], message: `no certificate named "${l.tls.ca}" in pki` });
    l.tls?.revoked?.forEach((n, j) => {
      if (!known(n))
        out.push({
          path: ['broker', 'listeners', i, 'tls', 'revoked', j],
          message: `no certificate named "${n}" in pki`,
        });
    });
  });
  const variants = Object.keys(s.variants);
  for (const v of Object.keys(s.expect)) {
    if (!s.variants[v])
      out.push({ path: ['expect', v], message: `no variant named "${v}" (have: ${variants.join(', ')})` });
    for (const b of Object.keys(s.expect[v] ?? {})) {
      if (b !== '*' && !s.boards.includes(b.split('@')[0]!))
        out.push({ path: ['expect', v, b], message: `board "${b}" is not in boards (${s.boards.join(', ')})` });
    }
  }
  const checkClient = (c: { ca?: string | null; cert?: string }, p: PathKey[]): void => {
    if (c.ca && !known(c.ca)) out.push({ path: [...p, 'ca'], message: `no certificate named "${c.ca}" in pki` });
    if (c.cert && !known(c.cert))
      out.push({ path: [...p, 'cert'], message: `no certificate named "${c.cert}" in pki` });
  };
  checkClient(s.client, ['client']);
  for (const [name, v] of Object.entries(s.variants)) checkClient(v, ['variants', name]);
  out.push(...portProblems(s), ...textProblems(s), ...confProblems(s), ...stepProblems(s, known));
  const buildKeys = (b: Record<string, unknown> | undefined, p: PathKey[]): void => {
    for (const k of Object.keys(b ?? {}))
      if (k !== '*' && !s.boards.includes(k))
        out.push({ path: [...p, k], message: `board "${k}" is not in boards (${s.boards.join(', ')}); or "*"` });
  };
  buildKeys(s.build, ['build']);
  filePlaceholders(s.files, ['files'], known, out);
  for (const [name, v] of Object.entries(s.variants)) {
    buildKeys(v.build, ['variants', name, 'build']);
    filePlaceholders(v.files, ['variants', name, 'files'], known, out);
  }
  return out;
}

/** What a flash file may say: {{broker.ip}}, a PKI certificate or key as PEM text, or exactly one as DER bytes. */
function filePlaceholders(
  files: Record<string, string | null> | undefined,
  at: PathKey[],
  known: (name: string) => boolean,
  out: PathProblem[],
): void {
  for (const [file, text] of Object.entries(files ?? {})) {
    if (text === null) continue;
    const names = placeholders(text);
    for (const name of names) {
      const pki = /^pki\.([\w.-]+?)\.(crt|key|der|key\.der)$/.exec(name);
      let problem: string | undefined;
      if (name === 'broker.ip') problem = undefined;
      else if (!pki) problem = `unknown placeholder {{${name}}} (have {{broker.ip}}, {{pki.NAME.crt|key|der|key.der}})`;
      else if (!known(pki[1]!)) problem = `{{${name}}}: no certificate named "${pki[1]}" in pki`;
      else if (pki[2]!.endsWith('der') && (names.length !== 1 || fillVars(text, { [name]: '' }).trim() !== ''))
        problem = `{{${name}}} is binary DER: it must be the whole content of the file, alone`;
      if (problem) out.push({ path: [...at, file], message: problem });
    }
  }
}

/**
 * Fields that are whole files or prose: several lines allowed. Everything else becomes one line somewhere. A flash
 * file's content (`files./ca.crt`: its key is a path with dots) is a whole file too.
 */
const MULTILINE =
  /^(?:description|pki\.verbatim\.script|broker\.conf|files\..+|variants\.[^.]+\.(?:description|pki\.verbatim\.script|broker\.conf|files\..+))$/;
export const MAX_FIELD_CHARS = 1024;
export const MAX_TEXT_CHARS = 64 * 1024;

/**
 * Every string and key of the scenario as what it becomes: a conf value, a passwd or ACL line, a topic, a client
 * id, a C string, a report cell. A newline or control character there would start a line of its own (a conf line
 * injected), and an unbounded one would be copied into every report.
 */
function textProblems(s: Scenario): PathProblem[] {
  const out: PathProblem[] = [];
  // eslint-disable-next-line no-control-regex
  const control = /[\x00-\x08\x0a-\x1f\x7f]|\t/;
  // eslint-disable-next-line no-control-regex
  const controlInText = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;
  const walk = (v: unknown, p: PathKey[]): void => {
    if (out.length >= 20) return;
    if (typeof v === 'string') {
      const multi = MULTILINE.test(p.join('.'));
      const max = multi ? MAX_TEXT_CHARS : MAX_FIELD_CHARS;
      if (v.length > max) out.push({ path: p, message: `${v.length} characters: at most ${max}` });
      else if ((multi ? controlInText : control).test(v))
        out.push({
          path: p,
          message: `${multi ? 'a control character' : 'a newline, tab or control character'} is not allowed here`,
        });
      return;
    }
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
    else if (v !== null && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (k.length > 256 || control.test(k))
          out.push({ path: [...p, k], message: 'a key of at most 256 characters on one line' });
        walk(x, [...p, k]);
      }
  };
  walk(s, []);
  const users = (u: Record<string, string> | undefined, p: PathKey[]): void => {
    for (const name of Object.keys(u ?? {}))
      if (name.includes(':') || name.trim() === '')
        out.push({
          path: [...p, name],
          message: 'a user name with no ":" (the password file separates name and hash with it)',
        });
  };
  users(s.broker.users, ['broker', 'users']);
  for (const [name, v] of Object.entries(s.variants)) users(v.broker?.users, ['variants', name, 'broker', 'users']);
  return out;
}

/** Lines of a verbatim conf the rig will not run (rig/scenario/conf-safety.ts), said before anything starts. */
function confProblems(s: Scenario): PathProblem[] {
  const confs: [PathKey[], string | undefined][] = [
    [['broker', 'conf'], s.broker.conf],
    ...Object.entries(s.variants).map(([n, v]): [PathKey[], string | undefined] => [
      ['variants', n, 'broker', 'conf'],
      v.broker?.conf,
    ]),
  ];
  return confs.flatMap(([p, conf]) =>
    unsafeConfLines(conf ?? '').map((u) => ({ path: p, message: `line ${u.line} "${u.text}" ${u.why}: refused` })),
  );
}

/**
 * The port the board connects to must be one the variant's broker listens on (declarative listeners, or the
 * listener/port lines and {{port.N}} placeholders of a verbatim conf, as the broker stage reads them).
 */
function portProblems(s: Scenario): PathProblem[] {
  const out = new Map<string, PathProblem>();
  const add = (p: PathProblem): void => {
    if (!out.has(p.path.join('.'))) out.set(p.path.join('.'), p);
  };
  for (const [name, v] of Object.entries(s.variants)) {
    // The broker this variant runs, merged as resolveVariant merges it.
    const broker: BrokerSpec = {
      ...s.broker,
      ...(v.broker?.listeners ? { listeners: v.broker.listeners } : {}),
      ...(v.broker?.conf ? { conf: v.broker.conf } : {}),
    };
    const own = v.broker?.listeners !== undefined || v.broker?.conf !== undefined;
    const port = v.port ?? s.client.port;
    if (port === undefined) {
      // Without a port the board takes the first listener; a verbatim conf alone has none to take.
      if (!broker.listeners?.length) {
        add({
          path: v.broker?.conf ? ['variants', name, 'broker', 'conf'] : ['broker', 'conf'],
          message: 'a verbatim conf needs client.port: the listener port the board connects to',
        });
      }
      continue;
    }
    const ports = logicalPorts(broker);
    if (!ports.includes(port)) {
      add({
        path: v.port !== undefined ? ['variants', name, 'port'] : ['client', 'port'],
        message: `${own ? `variant ${name}'s broker` : 'the broker'} has no listener on port ${port} (it listens on ${ports.join(', ')})`,
      });
    }
  }
  return [...out.values()];
}
