// Features a twin cannot emulate faithfully, per board: a sketch using one fails to build with a clear message.
// Sources: the built-in list below plus boards/twin/<board>/unsupported.json (board owners extend it).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { parseWithSchema } from '../format/index.ts';
import { TwinUnsupportedError } from './compile.ts';
import type { TwinCore } from './hostcore.ts';
import { blankNonCode, type SketchFile } from './sketch.ts';

export const UnsupportedRule = z
  .object({
    pattern: z
      .string()
      .min(1)
      .describe('JavaScript regular expression matched against sketch code (comments and strings removed)'),
    feature: z.string().min(1).optional(),
    message: z.string().min(1),
  })
  .strict();
export const UnsupportedFile = z.array(UnsupportedRule);
export type UnsupportedRule = z.infer<typeof UnsupportedRule>;

const BUILT_IN: Record<TwinCore, UnsupportedRule[]> = {
  esp32: [],
  esp8266: [],
  mkr1000: [
    {
      pattern: '\\bWiFiSSLClient\\b',
      feature: 'WiFiSSLClient',
      message:
        'WiFiSSLClient runs TLS inside the WINC1500 module firmware (its own root store, uploaded with the ' +
        'firmware updater); the twin cannot reproduce that offload. Run this scenario on hardware, or use ' +
        'ArduinoBearSSL (BearSSLClient over WiFiClient), which the twin emulates.',
    },
  ],
};

export async function unsupportedRules(core: TwinCore, boardsDir: string): Promise<UnsupportedRule[]> {
  const file = path.join(boardsDir, core, 'unsupported.json');
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  const extra = text === undefined ? [] : parseWithSchema(UnsupportedFile, text, file);
  const seen = new Set(extra.map((r) => r.pattern));
  return [...extra, ...BUILT_IN[core].filter((r) => !seen.has(r.pattern))];
}

/** Throws TwinUnsupportedError for the first rule any sketch file matches. */
export function checkUnsupported(files: SketchFile[], rules: UnsupportedRule[]): void {
  for (const rule of rules) {
    const re = new RegExp(rule.pattern);
    for (const f of files) {
      const code = blankNonCode(f.text);
      const m = re.exec(code);
      if (m) {
        const line = code.slice(0, m.index).split('\n').length;
        throw new TwinUnsupportedError(`${f.abs}:${line}: ${rule.message}`, rule.feature ?? m[0], f.abs);
      }
    }
  }
}
