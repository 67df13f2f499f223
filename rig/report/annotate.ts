// What a maintainer needs beside a result to act on it, added to the cells once at the end of a run: the
// scenario's title and forum links, where in the scenario file the failing expectation is written, the command
// that reruns the cell alone, a hash of the scenario (history tells a changed scenario by it), and the commit.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Cell, Results } from '../results/schema.ts';
import { ScenarioPositions, type YamlPath } from '../scenario/positions.ts';

/** A loaded scenario as the runner holds it: its absolute file and the fields the reports show. */
export interface ScenarioSource {
  file: string;
  scenario: { id: string; title?: string | undefined; source: string[] };
}

interface Known {
  rel: string;
  title?: string;
  links: string[];
  positions: ScenarioPositions;
  hash: string;
  /** The argument `rig run` takes for it: the id for the project's own scenarios, else the file. */
  arg: string;
}

/** The part of an expectation a failure line is about, as a path below expect.<variant>.<board>. */
export function failingPart(failure: string, expected: Record<string, unknown> | undefined): YamlPath {
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
  const serial = expected?.serial;
  const see = Array.isArray(serial) ? list(serial) : list((serial as { see?: unknown } | undefined)?.see);
  const seePath = Array.isArray(serial) ? ['serial'] : ['serial', 'see'];
  let m: RegExpExecArray | null;
  if (/^expected kind /.test(failure)) return ['kind'];
  if (/^expected board kind /.test(failure)) return ['boardKind'];
  if (/^expected broker reason /.test(failure)) return ['brokerReason'];
  if (/^expected code /.test(failure)) return ['code'];
  if ((m = /^serial never showed \/(.*)\/(?: after the previous match)?$/.exec(failure))) {
    const i = see.indexOf(m[1]!);
    return i >= 0 ? [...seePath, i] : seePath;
  }
  if ((m = /^serial showed \/(.*)\/ at line \d+/.exec(failure))) {
    const i = list((serial as { notSee?: unknown } | undefined)?.notSee).indexOf(m[1]!);
    return i >= 0 ? ['serial', 'notSee', i] : ['serial', 'notSee'];
  }
  if ((m = /^broker log never showed \/(.*)\/$/.exec(failure))) {
    const i = list(expected?.brokerLog).indexOf(m[1]!);
    return i >= 0 ? ['brokerLog', i] : ['brokerLog'];
  }
  if ((m = /^broker saw \d+ message\(s\) from this cell on (\S+)/.exec(failure))) {
    const msgs = Array.isArray(expected?.messages) ? (expected.messages as { topic?: string }[]) : [];
    const i = msgs.findIndex((x) => x.topic === m![1]);
    return i >= 0 ? ['messages', i] : ['messages'];
  }
  return [];
}

const shellQuote = (s: string): string => (/^[A-Za-z0-9_./@:=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
const regexEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `npx rig run <scenario> --filter '^<id>$' …`: the same cell, on the same target and broker, alone. */
export function rerunCommand(c: Pick<Cell, 'id' | 'target'>, scenarioArg: string, broker?: string): string {
  // --filter sees plan ids (scenario/variant/board[@core]); a "#target" suffix is the report's, not the plan's.
  const id = c.id.endsWith(`#${c.target}`) ? c.id.slice(0, -c.target.length - 1) : c.id;
  const parts = ['npx rig run', shellQuote(scenarioArg), '--filter', shellQuote(`^${regexEscape(id)}$`)];
  if (c.target === 'hardware') parts.push('--target hardware');
  if (broker === 'local' || broker === 'container') parts.push('--broker', broker);
  return parts.join(' ');
}

function locate(c: Cell, k: Known): Cell['location'] {
  const boardKeys = k.positions.keys(['expect', c.variant]);
  const board = [`${c.board}@${c.core ?? ''}`, c.board, '*'].find((b) => boardKeys.includes(b));
  const base: (string | number)[] = board ? ['expect', c.variant, board] : ['expect', c.variant];
  const bad = c.status === 'fail' || c.status === 'error' || c.status === 'flaky';
  const failure = bad ? c.failures.find((f) => failingPart(f, c.expected).length > 0) : undefined;
  const part = failure ? failingPart(failure, c.expected) : [];
  const pos = k.positions.at([...base, ...part]) ?? k.positions.at(['id']);
  if (!pos) return undefined;
  return { file: k.rel, line: pos.line, column: pos.column, field: pos.path.join('.') };
}

/** Adds title, links, location, rerun and scenarioHash to each cell whose scenario is known. */
export function annotateCells(results: Results, known: ReadonlyMap<string, Known>): Results {
  const broker = results.run.broker?.provider;
  const cells = results.cells.map((c): Cell => {
    const k = known.get(c.scenario);
    if (!k) return c;
    const location = locate(c, k);
    return {
      ...c,
      ...(k.title ? { title: k.title } : {}),
      ...(k.links.length ? { links: k.links } : {}),
      ...(location ? { location } : {}),
      rerun: rerunCommand(c, k.arg, broker),
      scenarioHash: k.hash,
    };
  });
  return { ...results, cells };
}

/** The checkout's commit (git, else GITHUB_SHA); undefined outside a git checkout. */
export function gitCommit(root: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['-C', root, 'rev-parse', 'HEAD'], { timeout: 5000 }, (err, stdout) => {
      const sha = String(stdout ?? '').trim();
      resolve(!err && /^[0-9a-f]{40}$/.test(sha) ? sha : env.GITHUB_SHA || undefined);
    });
  });
}

/** The repository's web address on GitHub Actions, for links to scenario lines at the commit. */
export function repoUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repo } = env;
  return server && repo ? `${server}/${repo}` : undefined;
}

/** A path as typed from the current folder: relative below it, absolute elsewhere. */
function relativeOrAbsolute(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** Reads every scenario file once and annotates the run: what the runner calls before writing reports. */
export async function annotateRun(
  results: Results,
  scenarios: readonly ScenarioSource[],
  root: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Results> {
  const known = new Map<string, Known>();
  const own = path.join(root, 'scenarios') + path.sep;
  for (const { file, scenario: s } of scenarios) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const rel = path.relative(root, file).split(path.sep).join('/');
    known.set(s.id, {
      rel: rel.startsWith('..') ? file : rel,
      ...(s.title ? { title: s.title } : {}),
      links: s.source.filter((x) => /^https?:\/\//.test(x)),
      positions: new ScenarioPositions(text),
      hash: createHash('sha256').update(text).digest('hex').slice(0, 16),
      arg: file.startsWith(own) ? s.id : relativeOrAbsolute(file),
    });
  }
  const commit = results.run.commit ?? (await gitCommit(root, env));
  const url = results.run.repoUrl ?? repoUrl(env);
  const run = { ...results.run, ...(commit ? { commit } : {}), ...(url ? { repoUrl: url } : {}) };
  return annotateCells({ ...results, run }, known);
}
