// What a schema problem means in the words of the file's author: "expected a list, got string \"x\"", with a
// "did you mean" for a misspelt word.
import { type z } from 'zod';
import { editDistance } from './distance.ts';

export type PathKey = string | number;

/** What the document holds at a path: the value found there, or nothing (a missing key). */
export type Found = { found: true; value: unknown } | { found: false };

export function valueAt(data: unknown, p: readonly PathKey[]): Found {
  let v: unknown = data;
  for (const k of p) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, k)) return { found: false };
    v = (v as Record<PathKey, unknown>)[k];
  }
  return { found: true, value: v };
}

export function fieldName(p: readonly PathKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : String(k)), '');
}

// zod's names for container types, in the words of a YAML file.
const EXPECTED_LABEL: Record<string, string> = {
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  map: 'a mapping',
};

function expectedLabel(expected: string): string {
  return EXPECTED_LABEL[expected] ?? expected;
}

function typeLabel(v: unknown): string {
  if (v === null) return 'null (an empty value)';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : `a list of ${v.length}`;
  if (typeof v === 'object') return 'a mapping';
  const text = JSON.stringify(v) ?? String(v);
  return `${typeof v} ${text.length > 60 ? `${text.slice(0, 57)}…"` : text}`;
}

/** ", got <what the file holds>" or " (missing)": every message says what was found, not only what was expected. */
function got(actual: Found): string {
  return actual.found ? `, got ${typeLabel(actual.value)}` : ' (missing)';
}

/** The closest allowed word to a misspelt one (edit distance ≤ 2), for "did you mean". */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d <= 2 && d < word.length && (!best || d < best.d)) best = { c, d };
  }
  return best?.c;
}

export function describeIssue(issue: z.core.$ZodIssue, actual: Found): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_type':
      return `expected ${expectedLabel(issue.expected)}${got(actual)}`;
    case 'invalid_value': {
      const expected =
        issue.values.length === 1
          ? JSON.stringify(issue.values[0])
          : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
      const options = issue.values.filter((v): v is string => typeof v === 'string');
      const hint = actual.found && typeof actual.value === 'string' ? closest(actual.value, options) : undefined;
      return `expected ${expected}${got(actual)}${hint ? `; did you mean "${hint}"?` : ''}`;
    }
    case 'invalid_key': {
      // The path ends at the offending key; the value under it says nothing about the key.
      const key = issue.path[issue.path.length - 1];
      return `key ${JSON.stringify(String(key))}: ${issue.issues.map((i) => i.message).join('; ')}`;
    }
    case 'invalid_union': {
      // Branches that all failed on the value itself: "expected string or a mapping, got number 5".
      const own = issue.errors.map((b) => b.find((i) => i.path.length === 0));
      if (own.every((i) => i?.code === 'invalid_type' || i?.code === 'invalid_value')) {
        const names = own.map((i) =>
          i!.code === 'invalid_type'
            ? expectedLabel(i!.expected)
            : i!.code === 'invalid_value'
              ? i!.values.map((v) => JSON.stringify(v)).join(' or ')
              : '',
        );
        return `expected ${[...new Set(names)].join(' or ')}${got(actual)}`;
      }
      return `${issue.message}${got(actual)}`;
    }
    default:
      return `${issue.message}${got(actual)}`;
  }
}
/** Union errors hide the useful message one level down: surface the branch that got furthest. */
export function flattenIssues(issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[] = []): z.core.$ZodIssue[] {
  const out: z.core.$ZodIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branches = issue.errors.map((b) => flattenIssues(b, [...prefix, ...issue.path]));
      const deepest = branches.reduce((a, b) => (depth(b) > depth(a) ? b : a));
      if (depth(deepest) > prefix.length + issue.path.length) {
        out.push(...deepest);
        continue;
      }
    }
    out.push({ ...issue, path: [...prefix, ...issue.path] } as z.core.$ZodIssue);
  }
  return out;
}

function depth(issues: z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length));
}
