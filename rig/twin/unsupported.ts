// Features a twin cannot emulate faithfully, per board: a sketch using one fails to build with a clear message.
// Sources: the built-in list below plus boards/twin/<board>/unsupported.json (board owners extend it).
import { readdir, readFile } from 'node:fs/promises';
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
  // WiFiSSLClient (WINC1500 / NINA-W102 TLS offload) is modelled from the module tables (boards/twin/modules).
  mkr1000: [],
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

/** Where a compile or link failure happened, to tell the twin's gaps from the sketch's own mistakes. */
export interface CompileContext {
  /** User libraries in the build (a failure inside one means the library is not portable). */
  libraries: { name: string; dir: string }[];
  /** Classes the twin's headers declare (a missing member of one is the twin's gap, not a typo). */
  twinClasses: ReadonlySet<string>;
}

const HOW_TO =
  "give the library that provides it (rig run --libraries DIR, or the scenario's librariesDir), or run this " +
  'scenario on hardware';

/**
 * A compiler or linker failure the twin, not the sketch, is to blame for: a header, a class member or a function its
 * host core lacks, or a user library that does not build off the board. Read from the compiler's own words (GCC with
 * LC_ALL=C); undefined for anything else (the sketch's own error stays a compile error).
 */
export function unsupportedFromCompiler(output: string, ctx: CompileContext): TwinUnsupportedError | undefined {
  const header = /^(.*?):(\d+):\d+: fatal error: ([^:\s]+): No such file or directory$/m.exec(output);
  if (header) {
    const [, file, line, name] = header;
    return new TwinUnsupportedError(`${file}:${line}: the twin has no ${name}; ${HOW_TO}`, name!, file!);
  }
  const member = /^(.*?):(\d+):\d+: error: '(?:class |struct )?([\w:]+)' has no member named '(\w+)'(.*)$/m.exec(
    output,
  );
  // "…; did you mean 'begin'?" is the compiler's word for a typo: the sketch's own error, not the twin's gap.
  if (member && !/did you mean/.test(member[5]!)) {
    const [, file, line, cls, name] = member;
    const bare = cls!.split('::').pop()!;
    if (ctx.twinClasses.has(bare))
      return new TwinUnsupportedError(
        `${file}:${line}: the twin's ${cls} has no ${name}() (a core or library version the twin imitates may lack it too)`,
        `${cls}::${name}`,
        file!,
      );
  }
  const inLibrary = /^(.*?):(\d+):\d+: (?:fatal )?error: (.*)$/m.exec(output);
  const lib = inLibrary && ctx.libraries.find((l) => inLibrary[1]!.startsWith(`${l.dir}/`));
  if (inLibrary && lib)
    return new TwinUnsupportedError(
      `the library ${lib.name} (${lib.dir}) does not build on the twin: ${inLibrary[1]}:${inLibrary[2]}: ${inLibrary[3]}`,
      lib.name,
      inLibrary[1]!,
    );
  // A member a twin header declares but its host core never defines (an API the twin only half has).
  const undef = /undefined reference to `(?:[\w:]+::)?(\w+)::(~?\w+)\(/.exec(output);
  if (undef && ctx.twinClasses.has(undef[1]!))
    return new TwinUnsupportedError(`the twin's ${undef[1]} has no ${undef[2]}() (the link needs it)`, undef[0]!, '');
  return undefined;
}

/** Class and struct names the twin's headers declare (board, core and its libraries), for unsupportedFromCompiler. */
export async function twinClassNames(dirs: readonly string[]): Promise<Set<string>> {
  const names = new Set<string>();
  for (const dir of dirs) {
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const f of entries.filter((e) => /\.(h|hpp)$/.test(e))) {
      const text = await readFile(path.join(dir, f), 'utf8');
      for (const m of text.matchAll(/\b(?:class|struct)\s+(\w+)\s*(?:final\s*)?[:{]/g)) names.add(m[1]!);
    }
  }
  return names;
}
