// Arduino sketch preprocessing for the twin, after arduino-cli: all .ino files become one C++ unit with
// `#include <Arduino.h>`, forward declarations for top-level functions, and #line directives.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface SketchFile {
  rel: string;
  abs: string;
  text: string;
}
export interface SketchSources {
  dir: string;
  name: string;
  inos: SketchFile[];
  others: SketchFile[];
}

const SOURCE_EXT = /\.(ino|pde|cpp|c|h|hpp|hh|S)$/;

/** Reads `<dir>/<name>.ino` (required) plus the other .ino/.cpp/.c/.h files beside it and under src/. */
export async function readSketch(dir: string): Promise<SketchSources> {
  const name = path.basename(path.resolve(dir));
  const files: SketchFile[] = [];
  async function walk(sub: string, recurse: boolean): Promise<void> {
    const entries = await readdir(path.join(dir, sub), { withFileTypes: true });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (recurse || (sub === '' && e.name === 'src')) await walk(rel, true);
      } else if (SOURCE_EXT.test(e.name) && e.name !== 'arduino_secrets.h') {
        const abs = path.resolve(dir, rel);
        files.push({ rel, abs, text: await readFile(abs, 'utf8') });
      }
    }
  }
  await walk('', false);
  const main = files.find((f) => f.rel === `${name}.ino`);
  if (!main) throw new Error(`sketch ${dir}: ${name}.ino not found (arduino-cli layout is name/name.ino)`);
  const inos = [main, ...files.filter((f) => /\.(ino|pde)$/.test(f.rel) && f !== main)];
  const others = files.filter((f) => !/\.(ino|pde)$/.test(f.rel));
  return { dir, name, inos, others };
}

/** Replaces comments, string and char literals with spaces (same length, newlines kept) so scanning is safe. */
export function blankNonCode(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    const n = src[i + 1];
    if (c === '/' && n === '/') {
      while (i < src.length && src[i] !== '\n') {
        out += ' ';
        i++;
      }
    } else if (c === '/' && n === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      for (; i < stop; i++) out += src[i] === '\n' ? '\n' : ' ';
    } else if (c === 'R' && n === '"' && !/\w/.test(src[i - 1] ?? '')) {
      // Raw string R"delim( ... )delim" (PEM certificates are often written this way).
      const open = src.indexOf('(', i + 2);
      const delim = src.slice(i + 2, open);
      const end = src.indexOf(`)${delim}"`, open);
      const stop = end < 0 ? src.length : end + delim.length + 2;
      for (; i < stop; i++) out += src[i] === '\n' ? '\n' : ' ';
    } else if (c === '"' || c === "'") {
      out += ' ';
      i++;
      while (i < src.length && src[i] !== c && src[i] !== '\n') {
        if (src[i] === '\\') {
          out += ' ';
          i++;
        }
        out += src[i] === '\n' ? '\n' : ' ';
        i++;
      }
      out += ' ';
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const NOT_FUNCTIONS = new Set(['if', 'while', 'for', 'switch', 'return', 'catch', 'sizeof', 'else', 'do', 'defined']);

export interface FunctionDef {
  signature: string;
  name: string;
  line: number; /* 1-based line of the definition */
}

/** Top-level function definitions `type name(args) {` (no templates, no class members, no default arguments). */
export function findFunctionDefinitions(src: string): FunctionDef[] {
  const code = blankNonCode(src);
  const defs: FunctionDef[] = [];
  let depth = 0;
  let stmtStart = 0; // start of the current top-level statement
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === '#' && depth === 0 && /(^|\n)[ \t]*$/.test(code.slice(Math.max(0, i - 80), i))) {
      // Preprocessor line (with continuations): not part of any statement.
      while (i < code.length && !(code[i] === '\n' && code[i - 1] !== '\\')) i++;
      stmtStart = i + 1;
      continue;
    }
    if (c === '{') {
      if (depth === 0) {
        const head = code.slice(stmtStart, i).trim();
        const m =
          /^((?:[A-Za-z_][\w:<>,*&\s]*?[\s*&]))([A-Za-z_]\w*)\s*\(([^;(){}]*(?:\([^()]*\)[^;(){}]*)*)\)\s*(const\s*)?$/.exec(
            head,
          );
        if (
          m &&
          !NOT_FUNCTIONS.has(m[2]) &&
          !/\b(template|class|struct|enum|union|namespace|typedef|operator)\b/.test(head) &&
          !head.includes('=') &&
          !/::/.test(m[2]) &&
          !/\w+::\w+\s*\(/.test(head)
        ) {
          const start = stmtStart + code.slice(stmtStart).search(/\S/);
          const line = src.slice(0, start).split('\n').length;
          const signature = src.slice(start, i).replace(/\s+/g, ' ').trim();
          defs.push({ signature, name: m[2], line });
        }
      }
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) stmtStart = i + 1;
    } else if (c === ';' && depth === 0) {
      stmtStart = i + 1;
    }
  }
  return defs;
}

/** Names that already have a declaration `type name(...);` at top level, so no prototype is added. */
function declaredNames(src: string): Set<string> {
  const code = blankNonCode(src);
  const names = new Set<string>();
  for (const m of code.matchAll(/^[ \t]*[A-Za-z_][\w:<>,*&\s]*?[\s*&]([A-Za-z_]\w*)\s*\([^;{}()]*\)\s*;/gm))
    names.add(m[1]);
  return names;
}

/** One C++ unit from the .ino files, like arduino-cli's sketch.ino.cpp. */
export function generateSketchUnit(inos: SketchFile[]): string {
  const joined: { file: SketchFile; defs: FunctionDef[] }[] = inos.map((file) => ({
    file,
    defs: findFunctionDefinitions(file.text),
  }));
  const declared = new Set<string>();
  for (const { file } of joined) for (const n of declaredNames(file.text)) declared.add(n);
  const prototypes = joined
    .flatMap((j) => j.defs)
    .filter((d) => !declared.has(d.name))
    .map((d) => `${d.signature.replace(/\s*\{?\s*$/, '')};`);
  const out: string[] = ['#include <Arduino.h>'];
  let inserted = false;
  for (const { file, defs } of joined) {
    const lines = file.text.split('\n');
    const quoted = JSON.stringify(file.abs);
    if (!inserted && defs.length > 0) {
      // Prototypes go just before the first function definition, after the sketch's own includes and types.
      const first = defs[0].line;
      out.push(`#line 1 ${quoted}`, ...lines.slice(0, first - 1));
      out.push(...prototypes.map((p) => `${p}`));
      out.push(`#line ${first} ${quoted}`, ...lines.slice(first - 1));
      inserted = true;
    } else {
      out.push(`#line 1 ${quoted}`, ...lines);
    }
  }
  return out.join('\n') + '\n';
}
