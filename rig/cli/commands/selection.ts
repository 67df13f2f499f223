// What `rig run` selects before anything starts: --last-failed turned into a filter, a plain "0 cells" turned
// into a usage error that names the selector and the nearest tags or ids, and the tools the planned cells need.
import path from 'node:path';
import type { CellFilter, CellPlan } from '../../runner/plan.ts';
import type { LoadedScenario } from '../../scenario/load.ts';
import { dataModelFor } from '../../scenario/data-model.ts';
import type { ToolName } from '../../setup/tools.ts';
import { readResults } from '../../report/results.ts';
import { UsageError } from '../../errors.ts';
import { editDistance } from '../../format/index.ts';

/** How far `word` is from the closest stretch of `text` (a typo inside a long id still scores low). */
function nearness(word: string, text: string): number {
  if (text.includes(word)) return 0;
  if (word.length >= text.length) return editDistance(word, text);
  let best = Number.MAX_SAFE_INTEGER;
  for (let i = 0; i + word.length <= text.length; i++)
    best = Math.min(best, editDistance(word, text.slice(i, i + word.length)));
  return best;
}

/** The candidates closest to a typed word, best first (at most `n`, and only plausible ones). */
export function nearest(word: string, candidates: readonly string[], n = 3): string[] {
  const w = word.toLowerCase();
  const limit = Math.max(2, Math.floor(w.length / 3));
  return [...new Set(candidates)]
    .map((c) => ({ c, d: nearness(w, c.toLowerCase()), len: Math.abs(c.length - w.length) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || a.len - b.len || a.c.localeCompare(b.c))
    .slice(0, n)
    .map((x) => x.c);
}

/** Cell ids closest to a filter's text, segment by segment ("seed-02/broken" finds "seed-002-…/broken/…"). */
export function nearestIds(literal: string, ids: readonly string[], n = 5): string[] {
  const tokens = literal.toLowerCase().split(/[/@#]/).filter(Boolean);
  if (tokens.length === 0) return [];
  const limit = tokens.reduce((k, t) => k + Math.max(1, Math.floor(t.length / 3)), 0);
  return [...new Set(ids)]
    .map((id) => {
      const segs = id.toLowerCase().split(/[/@]/);
      // Tokens in order against the id's first or last segments ("brokn/esp8266" is variant/board).
      const aligned = (from: number): number =>
        tokens.reduce((k, t, i) => k + (segs[from + i] === undefined ? t.length : nearness(t, segs[from + i]!)), 0);
      return { id, d: Math.min(aligned(0), aligned(Math.max(0, segs.length - tokens.length))) };
    })
    .filter((x) => x.d <= limit)
    .sort((a, b) => a.d - b.d || a.id.localeCompare(b.id))
    .slice(0, n)
    .map((x) => x.id);
}

export interface Selectors {
  positionals: string[];
  tags: string[];
  filter?: string;
  boards: string[];
  lastFailed?: boolean;
}

/**
 * The error for a selection with no cell: which selector emptied it and what was probably meant. `unfiltered`
 * are the cells of the selected scenarios before --tag and --filter.
 */
export function emptySelection(
  s: Selectors,
  scenarios: readonly LoadedScenario[],
  unfiltered: readonly CellPlan[],
): UsageError {
  const lines: string[] = [];
  const tags = [...new Set(scenarios.flatMap((l) => l.scenario.tags))].sort();
  const hitTags = s.tags.filter((t) => scenarios.some((l) => l.scenario.tags.includes(t) || l.scenario.id === t));
  for (const t of s.tags.filter((x) => !hitTags.includes(x))) {
    const near = nearest(t, tags);
    lines.push(
      `--tag ${t}: no scenario has this tag${near.length ? ` (did you mean ${near.map((x) => `"${x}"`).join(', ')}?)` : ''}; tags: ${tags.join(', ')}`,
    );
  }
  if (s.filter && lines.length === 0) {
    const literal = s.filter.replace(/\\(.)/g, '$1').replace(/[\^$()[\]{}*+?|]/g, '');
    const ids = unfiltered.map((p) => p.id);
    const near = literal ? nearestIds(literal, ids) : [];
    lines.push(
      `--filter ${s.filter}: matches no cell id (scenario/variant/board[@core])${near.length ? `; nearest ids:\n  ${near.join('\n  ')}` : `; ${ids.length} ids to choose from, see \`rig run --list\``}`,
    );
  }
  if (lines.length === 0) {
    const sel = [
      ...(s.positionals.length ? [`scenarios ${s.positionals.join(' ')}`] : []),
      ...(s.boards.length ? [`--boards ${s.boards.join(',')}`] : []),
      ...(s.tags.length ? [`--tag ${s.tags.join(',')}`] : []),
      ...(s.filter ? [`--filter ${s.filter}`] : []),
      ...(s.lastFailed ? ['--last-failed'] : []),
    ];
    lines.push(
      `no cell selected by ${sel.join(' ') || 'the project'}: no scenario variant has an expectation for the selected boards`,
    );
  }
  return new UsageError(`${lines.join('\n')}\nNothing ran and reports/latest was left as it was.`);
}

const reEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * --last-failed: the cells that failed or errored in a run folder (default reports/latest), as a filter that
 * keeps any --filter given too. Undefined when that run had none.
 */
export function lastFailedFilter(
  runDir: string,
  filter: CellFilter | undefined,
): { filter?: CellFilter; from: string; ids: string[] } {
  const file = path.join(runDir, 'results.json');
  let ids: string[];
  try {
    const r = readResults(file);
    ids = [
      ...new Set(
        r.cells
          .filter((c) => c.status === 'fail' || c.status === 'error')
          .map((c) => (c.id.endsWith(`#${c.target}`) ? c.id.slice(0, -c.target.length - 1) : c.id)),
      ),
    ];
  } catch (e) {
    throw new UsageError(`--last-failed: no earlier run to read (${(e as Error).message.split('\n')[0]})`);
  }
  if (ids.length === 0) return { from: runDir, ids };
  const only = new RegExp(`^(?:${ids.map(reEscape).join('|')})$`);
  // Both must hold: the user's own pattern, and one of the failed ids exactly.
  const source = filter ? `(${filter.source}) and ${only.source}` : only.source;
  return { filter: { source, test: (id) => only.test(id) && (!filter || filter.test(id)) }, from: runDir, ids };
}

/** The tools the planned cells will run, checked once before the run starts. */
export function toolsFor(plans: readonly CellPlan[], broker: string): ToolName[] {
  const run = plans.filter((p) => !p.skip);
  if (run.length === 0) return [];
  const need = new Set<ToolName>(['openssl']);
  if (broker === 'local') need.add('mosquitto');
  for (const p of run) {
    const stack = p.board.stack;
    if (p.target === 'twin') {
      need.add('g++');
      if (stack === 'mbedtls' || stack === 'esp-tls') need.add('mbedtls');
      if (stack === 'bearssl-esp8266' || stack === 'arduinobearssl') need.add('bearssl');
      if (dataModelFor(p.loaded.scenario, p.variant, p.board.id) === 'ilp32') need.add('g++-m32');
    }
    if (stack === 'openssl-mosquitto') ['mosquitto_pub', 'mosquitto_sub'].forEach((t) => need.add(t as ToolName));
  }
  return [...need];
}
