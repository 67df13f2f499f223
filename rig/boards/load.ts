// Loads board profiles from boards/*.yaml, validated with positions like scenarios. A twin imitates every release
// of its family's version table (boards/twin/versions/<family>.yaml): loadBoards fills `twin.imitates` from it.
import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { FormatError } from '../errors.ts';
import { positionProblems, readWithSchema, type PathProblem } from '../format/index.ts';
import { BoardProfile } from './profile.ts';
import { knownVersions, loadVersionTable, versionTableFile } from './versions.ts';

export async function loadBoard(file: string): Promise<BoardProfile> {
  return readWithSchema(BoardProfile, file);
}

export async function loadBoards(dir: string): Promise<Map<string, BoardProfile>> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  const boards = new Map<string, BoardProfile>();
  for (const f of files) {
    const b = await loadBoard(path.join(dir, f));
    if (boards.has(b.id))
      throw new FormatError([
        { file: path.join(dir, f), line: 1, column: 1, field: 'id', message: `duplicate board id "${b.id}"` },
      ]);
    boards.set(b.id, await withVersionTable(b, path.join(dir, f), path.join(dir, 'twin')));
  }
  return boards;
}

/**
 * The profile with `twin.imitates` = every release its family's version table lists (minus the axis). Versions the
 * profile names itself (coreVersions, imitates) must be rows of the table.
 */
async function withVersionTable(b: BoardProfile, file: string, twinDir: string): Promise<BoardProfile> {
  if (!b.twin) return b;
  const tableFile = versionTableFile(twinDir, b.twin.core);
  if (
    !(await access(tableFile).then(
      () => true,
      () => false,
    ))
  )
    return b;
  const known = knownVersions((await loadVersionTable(tableFile)).rows);
  const bad: PathProblem[] = [];
  const check = (field: 'coreVersions' | 'imitates', list: string[]): void =>
    list.forEach((v, i) => {
      if (!known.includes(v))
        bad.push({
          path: ['twin', field, i],
          message: `${v} is not a release of ${path.relative(path.dirname(file), tableFile)}`,
        });
    });
  check('coreVersions', b.twin.coreVersions);
  check('imitates', b.twin.imitates);
  if (bad.length) throw new FormatError(positionProblems(await readFile(file, 'utf8'), file, bad));
  const imitates = known.filter((v) => !b.twin!.coreVersions.includes(v));
  return { ...b, twin: { ...b.twin, imitates } };
}
