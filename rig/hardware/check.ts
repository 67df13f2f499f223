// `rig boards --check`: exercise every lab board as a cell would (lock, build the probe sketch from its build
// profile, flash, open, reset) and read the probe's banner. A board that does not answer is power-cycled and tried
// once more, as in a run; one that stays dead is out of service for the night. Says which boards are healthy.
import { join } from 'node:path';
import type { BoardProfile } from '../boards/profile.ts';
import { TargetError } from '../errors.ts';
import { LabHealth, outOfServiceMessage } from './health.ts';
import type { LabBoard, LabInventory } from './inventory.ts';
import { BoardSession, defaultStateDir, type HardwareCellOptions } from './session.ts';

export const PROBE_BANNER = /^RIG-PROBE ready board=(\S+)/;

export type CheckStatus = 'healthy' | 'recovered' | 'dead' | 'error';
export interface BoardCheck {
  board: string;
  profile: string;
  status: CheckStatus;
  port?: string;
  banner?: string;
  reason?: string;
  ms: number;
}

export interface CheckOptions {
  inventory: Pick<LabInventory, 'boards'>;
  profiles: ReadonlyMap<string, BoardProfile>;
  /** The probe sketch folder (sketches/rig-probe). */
  probeSketch: string;
  /** Only these inventory boards (default: all). */
  only?: string[];
  /** Folder for each board's notes, sketch.yaml and rebuild.sh. */
  outDir: string;
  /** How long the banner may take after reset (default 15 s, times the profile's timeoutMultiplier). */
  bannerTimeoutMs?: number;
  tools?: Partial<Pick<HardwareCellOptions, 'binding' | 'list' | 'cli' | 'stateDir' | 'power' | 'recoverTimeoutMs'>>;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

const UNRESPONSIVE = new Set(['no-board', 'timeout', 'serial']);

/** Checks the boards in parallel (each has its own lock); the same board is never checked twice at once. */
export async function checkBoards(o: CheckOptions): Promise<BoardCheck[]> {
  const boards = o.inventory.boards.filter((b) => !o.only?.length || o.only.includes(b.name));
  const health = new LabHealth(join(o.tools?.stateDir ?? defaultStateDir(), 'health'));
  return Promise.all(boards.map((b) => checkBoard(b, o, health)));
}

async function checkBoard(board: LabBoard, o: CheckOptions, health: LabHealth): Promise<BoardCheck> {
  const t0 = Date.now();
  const profile = o.profiles.get(board.profile);
  const base = { board: board.name, profile: board.profile };
  if (!profile?.hardware)
    return { ...base, status: 'error', reason: `no board profile ${board.profile} with a hardware section`, ms: 0 };
  // Checking is how a person brings a board back: tonight's out-of-service mark gets one more power-cycle.
  if ((await health.get(board.name)).state === 'out-of-service') await health.recheck(board.name);
  const first = await probe(board, profile, o, health);
  if (first.ok) {
    await health.healthy(board.name, 'answered rig boards --check');
    return { ...base, status: 'healthy', port: first.port, banner: first.banner, ms: Date.now() - t0 };
  }
  if (!first.unresponsive) return { ...base, status: 'error', reason: first.reason, ms: Date.now() - t0 };
  o.log?.(`${board.name}: ${first.reason}; trying again after a power-cycle`);
  const second = await probe(board, profile, o, health);
  const ms = Date.now() - t0;
  if (second.ok) return { ...base, status: 'recovered', port: second.port, banner: second.banner, ms };
  const h = await health.get(board.name);
  const reason = h.state === 'out-of-service' ? outOfServiceMessage(h) : second.reason;
  return { ...base, status: second.unresponsive || h.state === 'out-of-service' ? 'dead' : 'error', reason, ms };
}

type Probe = { ok: true; port: string; banner: string } | { ok: false; unresponsive: boolean; reason: string };

async function probe(board: LabBoard, profile: BoardProfile, o: CheckOptions, health: LabHealth): Promise<Probe> {
  const session = new BoardSession({
    profile,
    board,
    sketchDir: o.probeSketch,
    secretsHeader: `#define RIG_PROBE_BOARD "${board.name}"\n`,
    runDir: join(o.outDir, board.name),
    timeoutMs: 30_000,
    signal: o.signal,
    cellId: `rig boards --check ${board.name}`,
    health,
    ...o.tools,
  });
  try {
    await session.to('reset');
    const cell = session.cell();
    const wait = Math.round((o.bannerTimeoutMs ?? 15_000) * profile.timeoutMultiplier);
    const banner = await Promise.race([
      cell.capture.waitFor(PROBE_BANNER, wait),
      cell.ended.then((e) => Promise.reject(e ?? new Error('serial port closed'))),
    ]).catch(async (e: unknown) => {
      if (e instanceof TargetError) throw e;
      const why = `no RIG-PROBE banner on ${cell.port} within ${wait} ms`;
      await health.suspect(board.name, why);
      throw new TargetError('timeout', why, { cause: e });
    });
    return { ok: true, port: cell.port, banner };
  } catch (e) {
    const t = e instanceof TargetError ? e : undefined;
    return { ok: false, unresponsive: !!t && UNRESPONSIVE.has(t.kind) && t.retryable, reason: (e as Error).message };
  } finally {
    await session.close();
  }
}

/** Whether every checked board answers (a recovered one does). */
export function allHealthy(checks: BoardCheck[]): boolean {
  return checks.every((c) => c.status === 'healthy' || c.status === 'recovered');
}

export function formatChecks(checks: BoardCheck[]): string {
  const out = ['Board check (flash the probe sketch, read its banner):'];
  for (const c of checks) {
    const what =
      c.status === 'healthy' || c.status === 'recovered' ? `${c.port ?? ''}  ${c.banner ?? ''}` : (c.reason ?? '');
    out.push(
      `  ${c.board.padEnd(16)} ${c.profile.padEnd(10)} ${(c.status === 'dead' ? 'DEAD' : c.status === 'error' ? 'ERROR' : c.status).padEnd(10)} ${what} (${(c.ms / 1000).toFixed(1)} s)`,
    );
  }
  const count = (s: CheckStatus): number => checks.filter((c) => c.status === s).length;
  out.push(
    `${checks.length} board(s): ${count('healthy')} healthy, ${count('recovered')} recovered by a power-cycle, ${count('dead')} dead, ${count('error')} error`,
  );
  return `${out.join('\n')}\n`;
}
