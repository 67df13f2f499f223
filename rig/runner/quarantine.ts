// The quarantine file: known failures, each with a cell pattern and the issue that tracks it. A quarantined
// cell is still run and reported, but does not fail the run.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { parseWithSchema } from '../format/index.ts';

export const QuarantineFile = z
  .object({
    version: z.literal(1),
    entries: z
      .array(
        z
          .object({
            cells: z
              .string()
              .min(1)
              .describe('Glob over cell ids (scenario/variant/board[@core]); * matches within a segment, ** across'),
            issue: z.string().url().describe('Link to the issue tracking this known failure'),
            reason: z.string().optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();
export type QuarantineEntry = z.infer<typeof QuarantineFile>['entries'][number];

export async function loadQuarantine(file: string, required: boolean): Promise<QuarantineEntry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return parseWithSchema(QuarantineFile, text, file).entries;
}

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function matchQuarantine(entries: QuarantineEntry[], cellId: string): QuarantineEntry | undefined {
  return entries.find((e) => globToRegExp(e.cells).test(cellId));
}
