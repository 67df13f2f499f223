// Loads YAML files against a zod schema and reports every problem as file:line:column, field, expectation.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isSeq, isScalar, LineCounter, parseDocument, type Document, type Node as YamlNode, isPair } from 'yaml';
import { type z } from 'zod';
import { Scenario, type BrokerSpec } from './schema.ts';
import { logicalPorts } from '../broker/conf.ts';

export interface Problem {
  file: string;
  line: number;
  column: number;
  field: string;
  message: string;
}

export class ScenarioError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ScenarioError';
    this.problems = problems;
  }
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.field || '(top level)'}: ${p.message}`;
}

type PathKey = string | number;

function fieldName(p: readonly PathKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : String(k)), '');
}

/** Finds the YAML node (or the key of a pair) closest to a path, for a position. */
function locate(doc: Document, p: readonly PathKey[], preferKey?: string): [number, number] | undefined {
  let node: unknown = doc.contents;
  let best: [number, number] | undefined = rangeOf(node);
  for (const k of p) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(k));
      if (!pair) break;
      best = rangeOf(pair.value) ?? rangeOf(pair.key) ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof k === 'number') {
      node = node.items[k];
      best = rangeOf(node) ?? best;
    } else break;
  }
  if (preferKey && isMap(node)) {
    const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === preferKey);
    if (pair) best = rangeOf(pair.key) ?? best;
  }
  return best;
}

function rangeOf(node: unknown): [number, number] | undefined {
  const r = (node as YamlNode | null | undefined)?.range;
  return r ? [r[0], r[1]] : undefined;
}

/** What the document holds at a path: the value found there, or nothing (a missing key). */
type Found = { found: true; value: unknown } | { found: false };

function valueAt(data: unknown, p: readonly PathKey[]): Found {
  let v: unknown = data;
  for (const k of p) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, k)) return { found: false };
    v = (v as Record<PathKey, unknown>)[k];
  }
  return { found: true, value: v };
}

// zod's names for container types, in the words of a YAML file.
const EXPECTED_LABEL: Record<string, string> = {
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  map: 'a mapping',
};

function expectedLabel(expected: string): string {
  return EXPECTED_LABEL[expected] ?? expected;
}

function typeLabel(v: unknown): string {
  if (v === null) return 'null (an empty value)';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : `a list of ${v.length}`;
  if (typeof v === 'object') return 'a mapping';
  const text = JSON.stringify(v) ?? String(v);
  return `${typeof v} ${text.length > 60 ? `${text.slice(0, 57)}…"` : text}`;
}

/** ", got <what the file holds>" or " (missing)": every message says what was found, not only what was expected. */
function got(actual: Found): string {
  return actual.found ? `, got ${typeLabel(actual.value)}` : ' (missing)';
}

/** The closest allowed word to a misspelt one (edit distance ≤ 2), for "did you mean". */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d <= 2 && d < word.length && (!best || d < best.d)) best = { c, d };
  }
  return best?.c;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

function describeIssue(issue: z.core.$ZodIssue, actual: Found): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_type':
      return `expected ${expectedLabel(issue.expected)}${got(actual)}`;
    case 'invalid_value': {
      const expected =
        issue.values.length === 1
          ? JSON.stringify(issue.values[0])
          : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
      const options = issue.values.filter((v): v is string => typeof v === 'string');
      const hint = actual.found && typeof actual.value === 'string' ? closest(actual.value, options) : undefined;
      return `expected ${expected}${got(actual)}${hint ? `; did you mean "${hint}"?` : ''}`;
    }
    case 'invalid_key': {
      // The path ends at the offending key; the value under it says nothing about the key.
      const key = issue.path[issue.path.length - 1];
      return `key ${JSON.stringify(String(key))}: ${issue.issues.map((i) => i.message).join('; ')}`;
    }
    case 'invalid_union': {
      // Branches that all failed on the value itself: "expected string or a mapping, got number 5".
      const own = issue.errors.map((b) => b.find((i) => i.path.length === 0));
      if (own.every((i) => i?.code === 'invalid_type' || i?.code === 'invalid_value')) {
        const names = own.map((i) =>
          i!.code === 'invalid_type'
            ? expectedLabel(i!.expected)
            : i!.code === 'invalid_value'
              ? i!.values.map((v) => JSON.stringify(v)).join(' or ')
              : '',
        );
        return `expected ${[...new Set(names)].join(' or ')}${got(actual)}`;
      }
      return `${issue.message}${got(actual)}`;
    }
    default:
      return `${issue.message}${got(actual)}`;
  }
}

/** Parses YAML text and validates it; throws ScenarioError with positions. */
export function parseWithSchema<S extends z.ZodType>(schema: S, text: string, file: string): z.infer<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number | undefined): { line: number; column: number } => {
    if (offset === undefined) return { line: 1, column: 1 };
    const lp = lineCounter.linePos(offset);
    return { line: lp.line, column: lp.col };
  };
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      doc.errors.map((e) => ({
        file,
        ...pos(e.pos[0]),
        field: '',
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
      })),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new ScenarioError([{ file, line: 1, column: 1, field: '', message: `YAML: ${(e as Error).message}` }]);
  }
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems = flattenIssues(result.error.issues).map((issue) => {
    const p = issue.path.filter((k): k is PathKey => typeof k !== 'symbol');
    const key = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    // A bad record key is pointed at where the key is written, not at its value.
    const range =
      issue.code === 'invalid_key' ? locate(doc, p.slice(0, -1), String(p[p.length - 1])) : locate(doc, p, key);
    const field = key ? fieldName([...p, key]) : fieldName(p);
    // The actual value comes from the parsed document itself: zod leaves `input` out of issues unless asked.
    return { file, ...pos(range?.[0]), field, message: describeIssue(issue, valueAt(data, p)) };
  });
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  throw new ScenarioError(problems);
}

/** Union errors hide the useful message one level down: surface the branch that got furthest. */
function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): z.core.$ZodIssue[] {
  const out: z.core.$ZodIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branches = issue.errors.map((b) => flattenIssues(b, [...prefix, ...issue.path]));
      const deepest = branches.reduce((a, b) => (depth(b) > depth(a) ? b : a));
      if (depth(deepest) > prefix.length + issue.path.length) {
        out.push(...deepest);
        continue;
      }
    }
    out.push({ ...issue, path: [...prefix, ...issue.path] } as z.core.$ZodIssue);
  }
  return out;
}

function depth(issues: z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length));
}

export interface LoadedScenario {
  file: string;
  scenario: Scenario;
}

/** Loads and checks one scenario file, including cross-references the schema cannot express. */
export async function loadScenario(file: string): Promise<LoadedScenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ScenarioError([{ file, line: 1, column: 1, field: '', message: `cannot read: ${(e as Error).message}` }]);
  }
  return { file, scenario: parseScenarioText(text, file) };
}

export function parseScenarioText(text: string, file: string): Scenario {
  const scenario = parseWithSchema(Scenario, text, file);
  const problems = crossCheck(scenario);
  if (problems.length > 0) throw new ScenarioError(positionProblems(text, file, problems));
  return scenario;
}

/** A problem found after parsing (a cross-reference, a board with no profile), at a path of the document. */
export interface PathProblem {
  path: PathKey[];
  message: string;
}

/** Gives problems found on the parsed value their file:line:column, by locating their paths in the text. */
export function positionProblems(text: string, file: string, problems: readonly PathProblem[]): Problem[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  return problems.map(({ path: p, message }) => {
    const range = locate(doc, p);
    const lp = lineCounter.linePos(range?.[0] ?? 0);
    return { file, line: lp.line, column: lp.col, field: fieldName(p), message };
  });
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
    for (const m of text.matchAll(/\{\{\s*([^}\s]*)\s*\}\}/g)) {
      const name = m[1]!;
      const pki = /^pki\.([\w.-]+?)\.(crt|key|der|key\.der)$/.exec(name);
      let problem: string | undefined;
      if (name === 'broker.ip') problem = undefined;
      else if (!pki) problem = `unknown placeholder {{${name}}} (have {{broker.ip}}, {{pki.NAME.crt|key|der|key.der}})`;
      else if (!known(pki[1]!)) problem = `{{${name}}}: no certificate named "${pki[1]}" in pki`;
      else if (pki[2]!.endsWith('der') && text.trim() !== m[0])
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

/** Resolves a CLI argument (id, file or folder-relative name) to scenario files. */
export function scenarioFileFor(arg: string, scenariosDir: string): string {
  if (arg.endsWith('.yaml') || arg.endsWith('.yml') || arg.includes('/')) return path.resolve(arg);
  return path.join(scenariosDir, `${arg}.yaml`);
}
