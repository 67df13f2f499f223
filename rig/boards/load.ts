// Loads board profiles from boards/*.yaml, validated with positions like scenarios.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { FormatError } from '../errors.ts';
import { readWithSchema } from '../format/index.ts';
import { BoardProfile } from './profile.ts';

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
    boards.set(b.id, b);
  }
  return boards;
}
