// Nightly history: a series of run folders turned into one record per cell: its state in every run, when it
// last changed state, how often it was flaky or flipped, and for a cell failing now the first run of that
// failing streak with what changed since the run before it: the core it ran on, a library or tool version,
// the rig's commit, the scenario file, the certificates' shape. history.json is that record (zod schema
// below); history-html.ts draws it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { CellStatus, type Cell, type Results } from '../results/schema.ts';
import { totals } from './cells.ts';
import { readResults } from './results.ts';
import { buildHistoryHtml } from './history-html.ts';

export const State = z.union([CellStatus, z.literal('quarantined')]).nullable();
export type State = z.infer<typeof State>;

export const ChangeKind = z.enum(['core', 'library', 'rig', 'scenario', 'certificate']);
export const Change = z.object({ what: ChangeKind, detail: z.string() });
export type Change = z.infer<typeof Change>;

export const HistoryRun = z.object({
  id: z.string(),
  startedAt: z.string(),
  commit: z.string().optional(),
  rigVersion: z.string(),
  totals: z.object({
    total: z.number(),
    pass: z.number(),
    fail: z.number(),
    error: z.number(),
    skip: z.number(),
    flaky: z.number(),
    quarantined: z.number(),
  }),
});

export const HistoryCell = z.object({
  key: z.string().describe('id#target'),
  id: z.string(),
  target: z.string(),
  scenario: z.string(),
  variant: z.string(),
  board: z.string(),
  title: z.string().optional(),
  states: z.array(State).describe('One per run, oldest first; null where the cell was not in that run'),
  current: State,
  lastChange: z
    .object({ run: z.string(), index: z.number().int(), from: State, to: State })
    .optional()
    .describe('The latest run whose state differs from the run before it (runs it was absent from are skipped)'),
  ran: z.number().int().describe('Runs it ran in (not skipped, not absent)'),
  flakyRate: z.number().describe('Share of the runs it ran in that ended flaky (passed on a retry)'),
  flips: z.number().int().describe('Times its verdict went from good to bad or back between runs it ran in'),
  firstFailure: z
    .object({ run: z.string(), index: z.number().int(), since: z.string().optional(), changes: z.array(Change) })
    .optional()
    .describe('For a cell failing now: the first run of the streak and what changed since the run before it'),
});
export type HistoryCell = z.infer<typeof HistoryCell>;

export const HistoryFile = z.object({
  version: z.literal(1),
  generatedAt: z.string(),
  runs: z.array(HistoryRun),
  cells: z.array(HistoryCell),
});
export type HistoryFile = z.infer<typeof HistoryFile>;

const cellKey = (c: Cell): string => (c.id.endsWith(`#${c.target}`) ? c.id : `${c.id}#${c.target}`);
const stateOf = (c: Cell | undefined): State => (c ? (c.quarantine ? 'quarantined' : c.status) : null);
const ran = (s: State): boolean => s !== null && s !== 'skip';
const bad = (s: State): boolean => s === 'fail' || s === 'error';
/** Good or bad, for flips: a flaky pass is a pass; quarantined counts as the failure it hides. */
const verdict = (s: State): 'good' | 'bad' => (s === 'pass' || s === 'flaky' ? 'good' : 'bad');

/** The certificates as the board sees them, without what changes on every issue (serial, dates, key bits). */
export function certificateShape(c: Cell): string | undefined {
  if (!c.certificates?.length) return undefined;
  const days = (a: string, b: string): number => Math.round((Date.parse(b) - Date.parse(a)) / 86_400_000);
  const shape = c.certificates
    .map((x) =>
      [
        x.name,
        x.subject,
        x.issuer,
        x.san.join(','),
        x.key,
        x.signature,
        x.isCA,
        x.version,
        days(x.notBefore, x.notAfter),
      ].join('|'),
    )
    .sort();
  return createHash('sha256').update(shape.join('\n')).digest('hex').slice(0, 12);
}

/** What differs between the run before a failure and the run it first failed in. */
export function changesBetween(prevRun: Results, prev: Cell, nextRun: Results, next: Cell): Change[] {
  const out: Change[] = [];
  if ((prev.core ?? '') !== (next.core ?? ''))
    out.push({ what: 'core', detail: `${prev.core ?? '—'} → ${next.core ?? '—'}` });
  const keys = [...new Set([...Object.keys(prevRun.run.versions), ...Object.keys(nextRun.run.versions)])].sort();
  for (const k of keys) {
    const a = prevRun.run.versions[k];
    const b = nextRun.run.versions[k];
    if (a !== b) out.push({ what: 'library', detail: `${k} ${a ?? '—'} → ${b ?? '—'}` });
  }
  const rigA = prevRun.run.commit ?? prevRun.run.rigVersion;
  const rigB = nextRun.run.commit ?? nextRun.run.rigVersion;
  if (rigA !== rigB) out.push({ what: 'rig', detail: `${rigA.slice(0, 12)} → ${rigB.slice(0, 12)}` });
  if (prev.scenarioHash && next.scenarioHash && prev.scenarioHash !== next.scenarioHash)
    out.push({
      what: 'scenario',
      detail: `${next.location?.file ?? next.scenario} changed (${prev.scenarioHash.slice(0, 8)} → ${next.scenarioHash.slice(0, 8)})`,
    });
  const ca = certificateShape(prev);
  const cb = certificateShape(next);
  if (ca && cb && ca !== cb)
    out.push({ what: 'certificate', detail: 'subject, SAN, key, signature or validity changed' });
  return out;
}

function firstFailureOf(
  states: State[],
  cellsByRun: (Cell | undefined)[],
  runs: Results[],
): HistoryCell['firstFailure'] {
  const last = states.length - 1;
  if (!bad(states[last] ?? null)) return undefined;
  let first = last;
  for (let i = last - 1; i >= 0; i--) {
    if (!ran(states[i] ?? null)) continue; // absent or skipped: says nothing either way
    if (!bad(states[i] ?? null)) break;
    first = i;
  }
  let before = first - 1;
  while (before >= 0 && !ran(states[before] ?? null)) before--;
  const at = runs[first]!;
  if (before < 0) return { run: at.run.id, index: first, changes: [] };
  const changes = changesBetween(runs[before]!, cellsByRun[before]!, at, cellsByRun[first]!);
  return { run: at.run.id, index: first, since: runs[before]!.run.id, changes };
}

function summarize(key: string, runs: Results[], cellsByRun: (Cell | undefined)[]): HistoryCell {
  const states = cellsByRun.map(stateOf);
  const latest = [...cellsByRun].reverse().find((c): c is Cell => !!c)!;
  const present = states.map((s, i) => ({ s, i })).filter((x) => x.s !== null);
  let lastChange: HistoryCell['lastChange'];
  for (let k = present.length - 1; k > 0; k--) {
    if (present[k]!.s !== present[k - 1]!.s) {
      lastChange = {
        run: runs[present[k]!.i]!.run.id,
        index: present[k]!.i,
        from: present[k - 1]!.s,
        to: present[k]!.s,
      };
      break;
    }
  }
  const ranStates = states.filter(ran);
  let flips = 0;
  for (let k = 1; k < ranStates.length; k++) if (verdict(ranStates[k]!) !== verdict(ranStates[k - 1]!)) flips++;
  const firstFailure = firstFailureOf(states, cellsByRun, runs);
  return {
    key,
    id: latest.id,
    target: latest.target,
    scenario: latest.scenario,
    variant: latest.variant,
    board: latest.board,
    ...(latest.title ? { title: latest.title } : {}),
    states,
    current: states[states.length - 1] ?? null,
    ...(lastChange ? { lastChange } : {}),
    ran: ranStates.length,
    flakyRate: ranStates.length ? ranStates.filter((s) => s === 'flaky').length / ranStates.length : 0,
    flips,
    ...(firstFailure ? { firstFailure } : {}),
  };
}

/** Failing now first (newest streak first), then flaky or flipping, then recently changed, then the rest. */
function rank(c: HistoryCell): [number, number] {
  if (bad(c.current)) return [0, -(c.firstFailure?.index ?? 0)];
  if (c.flakyRate > 0 || c.flips > 0) return [1, -(c.flakyRate + c.flips)];
  if (c.lastChange) return [2, -c.lastChange.index];
  return [3, 0];
}

export function buildHistory(input: readonly Results[], now = new Date()): HistoryFile {
  const byId = new Map<string, Results>();
  for (const r of input) byId.set(r.run.id, r);
  const runs = [...byId.values()].sort((a, b) => Date.parse(a.run.startedAt) - Date.parse(b.run.startedAt));
  const maps = runs.map((r) => new Map(r.cells.map((c) => [cellKey(c), c] as const)));
  const keys = [...new Set(maps.flatMap((m) => [...m.keys()]))];
  const cells = keys.map((k) =>
    summarize(
      k,
      runs,
      maps.map((m) => m.get(k)),
    ),
  );
  cells.sort((a, b) => {
    const [ra, sa] = rank(a);
    const [rb, sb] = rank(b);
    return ra - rb || sa - sb || a.key.localeCompare(b.key);
  });
  return {
    version: 1,
    generatedAt: now.toISOString(),
    runs: runs.map((r) => ({
      id: r.run.id,
      startedAt: r.run.startedAt,
      ...(r.run.commit ? { commit: r.run.commit } : {}),
      rigVersion: r.run.rigVersion,
      totals: (({ total, pass, fail, error, skip, flaky, quarantined }) => ({
        total,
        pass,
        fail,
        error,
        skip,
        flaky,
        quarantined,
      }))(totals(r.cells)),
    })),
    cells,
  };
}

/** Run folders from the arguments: a run folder itself, or a folder whose subfolders are run folders. */
export function findRunFolders(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    const dir = resolve(a);
    if (existsSync(join(dir, 'results.json'))) out.push(dir);
    else if (existsSync(dir) && statSync(dir).isDirectory())
      for (const e of readdirSync(dir).sort()) {
        const sub = join(dir, e);
        if (e !== 'latest' && existsSync(join(sub, 'results.json'))) out.push(sub);
      }
  }
  return [...new Set(out)];
}

export function readHistoryRuns(dirs: readonly string[]): Results[] {
  return dirs.map((d) => readResults(join(d, 'results.json')));
}

/** Writes history.json (checked against its schema) and history.html into outDir. */
export function writeHistory(
  runs: readonly Results[],
  outDir: string,
): { json: string; html: string; history: HistoryFile } {
  const history = HistoryFile.parse(buildHistory(runs));
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, 'history.json');
  const html = join(outDir, 'history.html');
  writeFileSync(json, `${JSON.stringify(history, null, 2)}\n`);
  writeFileSync(html, buildHistoryHtml(history));
  return { json, html, history };
}
