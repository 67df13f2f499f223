// Reads the rig's files (YAML, and JSON as the YAML subset it is) against a zod schema, and reports every
// problem as a FormatError at file:line:column: field: message. The one reader for every format: scenarios,
// board profiles, quarantine, the lab inventory, the twin's world.
import { readFile } from 'node:fs/promises';
import { isMap, isSeq, isScalar, LineCounter, parseDocument, type Document, type Node as YamlNode, isPair } from 'yaml';
import { type z } from 'zod';
import { FormatError, type Problem } from '../errors.ts';
import { describeIssue, fieldName, flattenIssues, valueAt, type PathKey } from './describe.ts';

/** Finds the YAML node (or the key of a pair) closest to a path, for a position. */
function locate(doc: Document, p: readonly PathKey[], preferKey?: string): [number, number] | undefined {
  let node: unknown = doc.contents;
  let best: [number, number] | undefined = rangeOf(node);
  for (const k of p) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(k));
      if (!pair) break;
      best = rangeOf(pair.value) ?? rangeOf(pair.key) ?? best;
      node = pair.value;
    } else if (isSeq(node) && typeof k === 'number') {
      node = node.items[k];
      best = rangeOf(node) ?? best;
    } else break;
  }
  if (preferKey && isMap(node)) {
    const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === preferKey);
    if (pair) best = rangeOf(pair.key) ?? best;
  }
  return best;
}

function rangeOf(node: unknown): [number, number] | undefined {
  const r = (node as YamlNode | null | undefined)?.range;
  return r ? [r[0], r[1]] : undefined;
}

/** Keys JavaScript objects treat specially; YAML would drop `__proto__` silently. Refused with their position. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function reservedKeys(doc: Document): { key: string; offset: number | undefined }[] {
  const found: { key: string; offset: number | undefined }[] = [];
  const walk = (node: unknown, depth: number): void => {
    if (depth > 200) return;
    if (isMap(node)) {
      for (const it of node.items) {
        if (isScalar(it.key) && RESERVED_KEYS.has(String(it.key.value)))
          found.push({ key: String(it.key.value), offset: it.key.range?.[0] });
        walk(it.value, depth + 1);
      }
    } else if (isSeq(node)) {
      for (const it of node.items) walk(it, depth + 1);
    }
  };
  walk(doc.contents, 0);
  return found;
}

/** Parses YAML text and validates it; throws FormatError with positions. */
export function parseWithSchema<S extends z.ZodType>(schema: S, text: string, file: string): z.infer<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number | undefined): { line: number; column: number } => {
    if (offset === undefined) return { line: 1, column: 1 };
    const lp = lineCounter.linePos(offset);
    return { line: lp.line, column: lp.col };
  };
  if (doc.errors.length > 0) {
    throw new FormatError(
      doc.errors.map((e) => ({
        file,
        ...pos(e.pos[0]),
        field: '',
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
      })),
    );
  }
  const reserved = reservedKeys(doc);
  if (reserved.length > 0) {
    throw new FormatError(
      reserved.map(({ key, offset }) => ({
        file,
        ...pos(offset),
        field: key,
        message: `"${key}" is not allowed as a key (it would change the object itself instead of naming a field)`,
      })),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new FormatError([{ file, line: 1, column: 1, field: '', message: `YAML: ${(e as Error).message}` }]);
  }
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems = flattenIssues(result.error.issues).map((issue) => {
    const p = issue.path.filter((k): k is PathKey => typeof k !== 'symbol');
    const key = issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
    // A bad record key is pointed at where the key is written, not at its value.
    const range =
      issue.code === 'invalid_key' ? locate(doc, p.slice(0, -1), String(p[p.length - 1])) : locate(doc, p, key);
    const field = key ? fieldName([...p, key]) : fieldName(p);
    // The actual value comes from the parsed document itself: zod leaves `input` out of issues unless asked.
    return { file, ...pos(range?.[0]), field, message: describeIssue(issue, valueAt(data, p)) };
  });
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  throw new FormatError(problems);
}

/** Reads a file and parses it with the schema; an unreadable file is a problem at its first line. */
export async function readWithSchema<S extends z.ZodType>(schema: S, file: string): Promise<z.infer<S>> {
  return parseWithSchema(schema, await readText(file), file);
}

/** A file's text; an unreadable file is a FormatError at its first line (the same report as a bad one). */
export async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new FormatError([{ file, line: 1, column: 1, field: '', message: `cannot read: ${(e as Error).message}` }]);
  }
}

/**
 * Checks a value the rig is about to write (the twin's world file) as that file will read, so a problem is
 * reported at its line in the file.
 */
export function checkValue<S extends z.ZodType>(schema: S, value: unknown, file: string): z.infer<S> {
  return parseWithSchema(schema, `${JSON.stringify(value, null, 2)}\n`, file);
}

/** A problem found after parsing (a cross-reference, a board with no profile), at a path of the document. */
export interface PathProblem {
  path: PathKey[];
  message: string;
}

/** Gives problems found on the parsed value their file:line:column, by locating their paths in the text. */
export function positionProblems(text: string, file: string, problems: readonly PathProblem[]): Problem[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  return problems.map(({ path: p, message }) => {
    const range = locate(doc, p);
    const lp = lineCounter.linePos(range?.[0] ?? 0);
    return { file, line: lp.line, column: lp.col, field: fieldName(p), message };
  });
}
