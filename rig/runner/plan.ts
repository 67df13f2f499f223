// Plans a run: expands scenarios × variants × boards (× core versions) into cells, filters and shards them,
// and groups the cells that share one broker (a scenario variant on one network).
import { variantSteps } from '../scenario/step-check.ts';
import type { BoardProfile } from '../boards/profile.ts';
import { nearestOf } from '../boards/versions.ts';
import type { LoadedScenario } from '../scenario/load.ts';
import type { Expectation } from '../scenario/schema.ts';

export type Target = 'twin' | 'hardware' | 'host';

export interface CellPlan {
  key: string; // id#target: unique in a run
  id: string; // scenario/variant/board[@core]
  loaded: LoadedScenario;
  variant: string;
  board: BoardProfile;
  core?: string;
  target: Target;
  expectation?: Expectation;
  skip?: string;
}

/** What selects cells by id: a RegExp, a user Pattern, or a combination of them. */
export interface CellFilter {
  readonly source: string;
  test(id: string): boolean;
}

export interface MatrixOptions {
  targets: ('twin' | 'hardware')[];
  boards?: string[];
  /** Cells whose id it matches (--filter: a user pattern on the linear-time engine, rig/format/pattern.ts). */
  filter?: CellFilter;
  tags?: string[];
  shard?: { index: number; count: number };
}

export function planCells(
  scenarios: LoadedScenario[],
  boards: Map<string, BoardProfile>,
  o: MatrixOptions,
): CellPlan[] {
  const cells: CellPlan[] = [];
  for (const loaded of scenarios) {
    const s = loaded.scenario;
    if (o.tags?.length && !o.tags.some((t) => s.tags.includes(t) || s.id === t)) continue;
    for (const variant of Object.keys(s.variants)) {
      for (const boardId of s.boards) {
        if (o.boards?.length && !o.boards.includes(boardId)) continue;
        const board = boards.get(boardId);
        const byBoard = s.expect[variant] ?? {};
        const expectation = byBoard[boardId] ?? byBoard['*'];
        const coreKeys = Object.keys(byBoard).filter((k) => k.startsWith(`${boardId}@`));
        // A variant checks only the boards its expectations name: a board listed for other variants is no cell here.
        if (!expectation && coreKeys.length === 0) continue;
        if (!board) {
          cells.push(
            plan(
              loaded,
              variant,
              stubBoard(boardId),
              undefined,
              'twin',
              expectation,
              `no board profile "${boardId}" in boards/`,
            ),
          );
          continue;
        }
        const targets: Target[] = board.kind === 'control' ? ['host'] : o.targets;
        const pinned = coreKeys.map((k) => k.slice(boardId.length + 1));
        for (const target of targets) {
          for (const { core, exp, skip: why } of coreCells(
            board,
            target,
            pinned,
            (c) => byBoard[`${boardId}@${c}`],
            expectation,
          )) {
            let skip = why;
            if (target === 'twin' && !board.twin) skip = `board ${boardId} has no twin`;
            else if (target === 'twin' && exp.hardwareOnly) skip ??= `hardware only: ${exp.hardwareOnly}`;
            else if (target === 'hardware' && !board.hardware) skip = `board ${boardId} has no hardware profile`;
            cells.push(plan(loaded, variant, board, core, target, exp, skip));
          }
        }
      }
    }
  }
  let out = cells;
  if (o.filter) out = out.filter((c) => o.filter!.test(c.id));
  if (o.shard) {
    const { index, count } = o.shard;
    out = [...out].sort((a, b) => a.key.localeCompare(b.key)).filter((_, i) => i % count === index - 1);
  }
  return out;
}

/**
 * The core versions one board runs a variant on, with the expectation for each. "esp32@1.0.6" in expect pins
 * an expectation to one core: it overrides the board's for that core of the axis, and adds a cell for a core
 * off the axis that the twin imitates (a forum report on an old core runs on the poster's core). A board
 * keeps one core: hardware runs the core its profile installs.
 */
function coreCells(
  board: BoardProfile,
  target: Target,
  pinned: string[],
  pin: (core: string) => Expectation | undefined,
  expectation: Expectation | undefined,
): { core: string | undefined; exp: Expectation; skip?: string }[] {
  const out: { core: string | undefined; exp: Expectation; skip?: string }[] = [];
  if (target !== 'twin' || !board.twin) {
    const exp = (board.hardware && target === 'hardware' ? pin(board.hardware.core.version) : undefined) ?? expectation;
    return exp ? [{ core: undefined, exp }] : [];
  }
  const axis = board.twin.coreVersions;
  // A single-version axis keeps plain cell ids (no "@core"), as before any pinning.
  for (const core of axis) {
    const exp = pin(core) ?? expectation;
    if (exp) out.push({ core: axis.length > 1 ? core : undefined, exp });
  }
  for (const core of pinned.filter((c) => !axis.includes(c))) {
    const exp = pin(core)!;
    const skip = board.twin.imitates.includes(core)
      ? undefined
      : `the ${board.id} twin does not imitate core ${core} (nearest: ${nearestOf([...axis, ...board.twin.imitates], core).join(', ')})`;
    out.push({ core, exp, ...(skip ? { skip } : {}) });
  }
  return out;
}

function plan(
  loaded: LoadedScenario,
  variant: string,
  board: BoardProfile,
  core: string | undefined,
  target: Target,
  expectation: Expectation | undefined,
  skip: string | undefined,
): CellPlan {
  const id = `${loaded.scenario.id}/${variant}/${board.id}${core ? `@${core}` : ''}`;
  return {
    key: `${id}#${target}`,
    id,
    loaded,
    variant,
    board,
    ...(core ? { core } : {}),
    target,
    ...(expectation ? { expectation } : {}),
    ...(skip ? { skip } : {}),
  };
}

function stubBoard(id: string): BoardProfile {
  return {
    version: 1,
    id,
    name: id,
    family: 'host',
    kind: 'board',
    stack: 'openssl-node',
    timeoutMultiplier: 1,
    outcome: { rules: [], codes: {} },
  };
}

export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || index < 1 || count < 1 || index > count)
    throw new Error(`--shard expects K/N with 1 ≤ K ≤ N, got "${text}"`);
  return { index, count };
}

/** Cells that share one broker: a scenario variant on one network (boards reach it over the lab LAN). */
export interface Group {
  key: string;
  loaded: LoadedScenario;
  variant: string;
  network: 'local' | 'lab';
  cells: CellPlan[];
}

/** The cells to run, grouped by broker; skipped cells are returned apart (they need no broker). */
export function groupCells(plans: CellPlan[]): { groups: Group[]; skipped: CellPlan[] } {
  const groups = new Map<string, Group>();
  const skipped: CellPlan[] = [];
  for (const p of plans) {
    if (p.skip) {
      skipped.push(p);
      continue;
    }
    const network = p.target === 'hardware' ? 'lab' : 'local';
    // A scenario that unfolds restarts and rotates its broker: each of its cells gets a broker of its own.
    const own = variantSteps(p.loaded.scenario, p.variant).length > 0 ? `/${p.key}` : '';
    const key = `${p.loaded.scenario.id}/${p.variant}/${network}${own}`;
    const g = groups.get(key) ?? { key, loaded: p.loaded, variant: p.variant, network, cells: [] };
    g.cells.push(p);
    groups.set(key, g);
  }
  return { groups: [...groups.values()], skipped };
}
