// Loads board profiles from boards/*.yaml, validated with positions like scenarios.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseWithSchema, ScenarioError } from '../scenario/load.ts';
import { BoardProfile } from './profile.ts';

export async function loadBoard(file: string): Promise<BoardProfile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ScenarioError([{ file, line: 1, column: 1, field: '', message: `cannot read: ${(e as Error).message}` }]);
  }
  return parseWithSchema(BoardProfile, text, file);
}

export async function loadBoards(dir: string): Promise<Map<string, BoardProfile>> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort();
  const boards = new Map<string, BoardProfile>();
  for (const f of files) {
    const b = await loadBoard(path.join(dir, f));
    if (boards.has(b.id))
      throw new ScenarioError([
        { file: path.join(dir, f), line: 1, column: 1, field: 'id', message: `duplicate board id "${b.id}"` },
      ]);
    boards.set(b.id, b);
  }
  return boards;
}
