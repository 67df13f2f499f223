// Loads YAML files against a zod schema and reports every problem as file:line:column, field, expectation.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isSeq, isScalar, LineCounter, parseDocument, type Document, type Node as YamlNode, isPair } from 'yaml';
import { type z } from 'zod';
import { Scenario } from './schema.ts';

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

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_type':
      return `expected ${issue.expected}${issue.input === undefined ? ' (missing)' : `, got ${typeLabel(issue.input)}`}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(issue.input)}`;
    default:
      return issue.message;
  }
}

function typeLabel(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
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
    throw new ScenarioError(doc.errors.map((e) => ({
      file, ...pos(e.pos[0]), field: '', message: `YAML syntax: ${e.message.split('\n')[0]}`,
    })));
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
    const range = locate(doc, p, key);
    const field = key ? fieldName([...p, key]) : fieldName(p);
    return { file, ...pos(range?.[0]), field, message: describeIssue(issue) };
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
      if (depth(deepest) > prefix.length + issue.path.length) { out.push(...deepest); continue; }
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
  if (problems.length > 0) {
    // Re-locate cross-reference problems in the document for positions.
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter });
    throw new ScenarioError(problems.map(({ path: p, message }) => {
      const range = locate(doc, p);
      const lp = lineCounter.linePos(range?.[0] ?? 0);
      return { file, line: lp.line, column: lp.col, field: fieldName(p), message };
    }));
  }
  return scenario;
}

function crossCheck(s: Scenario): { path: PathKey[]; message: string }[] {
  const out: { path: PathKey[]; message: string }[] = [];
  const certNames = new Set(Object.keys(s.pki).filter((k) => k !== 'verbatim'));
  const verbatimNames = new Set(Object.keys(s.pki.verbatim?.files ?? {}).map((k) => k.replace(/\.(crt|key)$/, '')));
  const known = (n: string): boolean => certNames.has(n) || verbatimNames.has(n);
  if (s.pki.verbatim && certNames.size > 0) {
    out.push({ path: ['pki'], message: 'give either a verbatim script or named certificates, not both' });
  }
  for (const [name, c] of Object.entries(s.pki)) {
    if (name === 'verbatim') continue;
    const cert = c as z.infer<typeof import('./schema.ts').CertSpec>;
    if (cert.issuer && !known(cert.issuer)) out.push({ path: ['pki', name, 'issuer'], message: `no certificate named "${cert.issuer}" in pki (have: ${[...certNames].join(', ')})` });
  }
  s.broker.listeners?.forEach((l, i) => {
    if (l.tls && !known(l.tls.cert)) out.push({ path: ['broker', 'listeners', i, 'tls', 'cert'], message: `no certificate named "${l.tls.cert}" in pki` });
    if (l.tls?.ca && !known(l.tls.ca)) out.push({ path: ['broker', 'listeners', i, 'tls', 'ca'], message: `no certificate named "${l.tls.ca}" in pki` });
  });
  const variants = Object.keys(s.variants);
  for (const v of Object.keys(s.expect)) {
    if (!s.variants[v]) out.push({ path: ['expect', v], message: `no variant named "${v}" (have: ${variants.join(', ')})` });
    for (const b of Object.keys(s.expect[v] ?? {})) {
      if (b !== '*' && !s.boards.includes(b.split('@')[0]!)) out.push({ path: ['expect', v, b], message: `board "${b}" is not in boards (${s.boards.join(', ')})` });
    }
  }
  const checkClient = (c: { ca?: string | null; cert?: string }, p: PathKey[]): void => {
    if (c.ca && !known(c.ca)) out.push({ path: [...p, 'ca'], message: `no certificate named "${c.ca}" in pki` });
    if (c.cert && !known(c.cert)) out.push({ path: [...p, 'cert'], message: `no certificate named "${c.cert}" in pki` });
  };
  checkClient(s.client, ['client']);
  for (const [name, v] of Object.entries(s.variants)) checkClient(v, ['variants', name]);
  return out;
}

/** Resolves a CLI argument (id, file or folder-relative name) to scenario files. */
export function scenarioFileFor(arg: string, scenariosDir: string): string {
  if (arg.endsWith('.yaml') || arg.endsWith('.yml') || arg.includes('/')) return path.resolve(arg);
  return path.join(scenariosDir, `${arg}.yaml`);
}
