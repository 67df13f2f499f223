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
  out.push(...portProblems(s));
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
