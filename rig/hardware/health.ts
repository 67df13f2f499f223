// What the lab knows about each board tonight: answering, suspect (it stopped answering: power-cycle it before
// its next cell), or out of service (it did not come back after a power-cycle, or failed again after one). One
// file per board under the hardware state folder, so the nightly `rig boards --check`, the run and a second rig
// process on the same host agree; a mark is for one night and lapses after `nightHours`.
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const BoardHealthState = z.enum(['ok', 'suspect', 'out-of-service']);
export const BoardHealth = z.object({
  board: z.string(),
  state: BoardHealthState,
  since: z.string().describe('When the board entered this state (ISO time)'),
  reason: z.string().optional(),
  recoveredAt: z.string().optional().describe('Its last power-cycle that brought it back'),
  events: z.array(z.object({ at: z.string(), what: z.string() })).default([]),
});
export type BoardHealth = z.infer<typeof BoardHealth>;

const KEEP_EVENTS = 20;

export class LabHealth {
  constructor(
    private readonly dir: string,
    private readonly o: { nightHours?: number; now?: () => Date } = {},
  ) {}

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  private tonight(iso: string | undefined): boolean {
    return !!iso && this.now().getTime() - Date.parse(iso) < (this.o.nightHours ?? 12) * 3_600_000;
  }

  private file(board: string): string {
    return join(this.dir, `${board.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  }

  /** The board's health tonight: an old mark has lapsed (a person may have fixed it since). */
  async get(board: string): Promise<BoardHealth> {
    let h: BoardHealth | undefined;
    try {
      h = BoardHealth.parse(JSON.parse(await readFile(this.file(board), 'utf8')));
    } catch {
      h = undefined;
    }
    if (!h) return { board, state: 'ok', since: this.now().toISOString(), events: [] };
    if (h.state !== 'ok' && !this.tonight(h.since)) return { ...h, state: 'ok', reason: undefined };
    return this.tonight(h.recoveredAt) ? h : { ...h, recoveredAt: undefined };
  }

  async all(): Promise<BoardHealth[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const out: BoardHealth[] = [];
    for (const n of names.filter((x) => x.endsWith('.json')).sort()) out.push(await this.get(n.slice(0, -5)));
    return out;
  }

  /**
   * It stopped answering: power-cycle it before its next cell. Failing again after tonight's power-cycle means
   * a power-cycle does not help: out of service.
   */
  async suspect(board: string, reason: string): Promise<BoardHealth> {
    const h = await this.get(board);
    if (h.state === 'out-of-service') return h;
    if (h.recoveredAt)
      return this.outOfService(board, `failed again after the power-cycle at ${h.recoveredAt}: ${reason}`);
    return this.set(h, { state: 'suspect', reason }, `stopped answering: ${reason}`);
  }

  async recovered(board: string, how: string): Promise<BoardHealth> {
    const h = await this.get(board);
    const at = this.now().toISOString();
    return this.set(h, { state: 'ok', reason: undefined, recoveredAt: at }, `back after ${how}`);
  }

  async outOfService(board: string, reason: string): Promise<BoardHealth> {
    const h = await this.get(board);
    if (h.state === 'out-of-service') return h;
    return this.set(h, { state: 'out-of-service', reason }, `out of service: ${reason}`);
  }

  /** A person (or `rig boards --check`) found it answering: clear tonight's marks. */
  async healthy(board: string, what = 'answered'): Promise<BoardHealth> {
    const h = await this.get(board);
    return this.set(h, { state: 'ok', reason: undefined }, what);
  }

  /** Out of service, but a person asks for another try (`rig boards --check`): power-cycle it first. */
  async recheck(board: string): Promise<BoardHealth> {
    const h = await this.get(board);
    return this.set(
      h,
      { state: 'suspect', reason: 'checked again', recoveredAt: undefined },
      'checked again by a person',
    );
  }

  async note(board: string, what: string): Promise<void> {
    await this.set(await this.get(board), {}, what);
  }

  private async set(h: BoardHealth, change: Partial<BoardHealth>, what: string): Promise<BoardHealth> {
    const at = this.now().toISOString();
    const stateChanged = change.state !== undefined && change.state !== h.state;
    const next: BoardHealth = {
      ...h,
      ...change,
      since: stateChanged ? at : h.since,
      events: [...h.events, { at, what }].slice(-KEEP_EVENTS),
    };
    if (next.reason === undefined) delete next.reason;
    if (next.recoveredAt === undefined) delete next.recoveredAt;
    await mkdir(this.dir, { recursive: true });
    const f = this.file(h.board);
    const tmp = `${f}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, JSON.stringify(next, null, 2));
    await rename(tmp, f);
    return next;
  }
}

/** The words a cell that cannot run on it gets. */
export function outOfServiceMessage(h: Pick<BoardHealth, 'board' | 'since' | 'reason'>): string {
  return `board ${h.board} out of service since ${h.since}${h.reason ? `: ${h.reason}` : ''}`;
}
