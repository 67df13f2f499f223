// Where a cell's sketch is: the scenario names it (default: the board's probe sketch), relative to the
// project root or to the scenario file's folder.
import { access } from 'node:fs/promises';
import path from 'node:path';
import { TargetError } from '../errors.ts';
import type { TargetCell } from './driver.ts';

export async function sketchFolder(cell: TargetCell): Promise<string> {
  const rel = cell.rv.sketchFor(cell.board.id, cell.board.probeSketch);
  if (!rel) throw new TargetError('not-configured', `no sketch for ${cell.board.id}`);
  for (const base of [cell.paths.root, path.dirname(cell.scenarioFile)]) {
    const dir = path.resolve(base, rel);
    try {
      await access(path.join(dir, `${path.basename(dir)}.ino`));
      return dir;
    } catch {
      /* try the next base */
    }
  }
  return path.resolve(cell.paths.root, rel);
}
