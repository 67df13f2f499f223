// The patterns users write (scenario expectations, board profile rules, --filter) run on a linear-time engine:
// RE2 (re2js, pure JavaScript), whose matching time grows with the input, never exponentially, whatever the
// pattern. A catastrophic-backtracking pattern such as /^(.+)+X$/ then costs microseconds, not the rig: the event
// loop stays free, so the watchdog and Ctrl-C always win. Chosen over a time budget (a worker per match costs a
// thread hop on every serial line, and a timed-out match has no answer) and over rejecting nested quantifiers at
// load time (no such check is complete: /(a|a)*b/, /\d*\d*\d*…/ slip through).
// The price: RE2 has no lookaround and no backreferences. Such a pattern is refused when the file loads, with a
// clear message; everything else of JavaScript's syntax (classes, groups, named groups, \d \w \s \b, {n,m},
// lazy quantifiers, \uXXXX) works as written.
import { RE2JS } from 're2js';

/** A compiled user pattern: the subset of RegExp the rig uses. */
export interface Pattern {
  readonly source: string;
  /** Whether it matches anywhere in the text. */
  test(text: string): boolean;
  /** The first match with its groups ($1… for templates), or null. */
  exec(text: string): string[] | null;
  toString(): string;
}

export class PatternError extends Error {
  override readonly name = 'PatternError';
}

const UNSUPPORTED: [RegExp, string][] = [
  [/\(\?<?[=!]/, 'lookahead and lookbehind ((?=…), (?!…), (?<=…), (?<!…)) are not supported'],
  [/\\[1-9]|\\k</, 'backreferences (\\1, \\k<name>) are not supported'],
];

function compile(source: string): RE2JS {
  try {
    new RegExp(source);
  } catch (e) {
    throw new PatternError(`/${source}/: not a valid regular expression: ${(e as Error).message}`);
  }
  // re2js would read \k<name> as letters: refused here, as RE2 refuses \1.
  if (/(^|[^\\])(\\\\)*\\k</.test(source))
    throw new PatternError(
      `/${source}/: ${UNSUPPORTED[1]![1]}: the rig matches with a linear-time engine (RE2 syntax)`,
    );
  try {
    return RE2JS.compile(RE2JS.translateRegExp(source));
  } catch (e) {
    const why = UNSUPPORTED.find(([re]) => re.test(source))?.[1] ?? (e as Error).message;
    throw new PatternError(`/${source}/: ${why}: the rig matches with a linear-time engine (RE2 syntax)`, {
      cause: e,
    });
  }
}

const cache = new Map<string, Pattern>();
const CACHE_MAX = 2048;

/** Compiles a user pattern (cached by its source); a PatternError says what is wrong with it. */
export function compilePattern(source: string): Pattern {
  const hit = cache.get(source);
  if (hit) return hit;
  const re = compile(source);
  const p: Pattern = {
    source,
    test: (text) => re.test(text),
    exec: (text) => {
      const m = re.exec(text);
      return m ? m.map((g: unknown) => (typeof g === 'string' ? g : (undefined as unknown as string))) : null;
    },
    toString: () => `/${source}/`,
  };
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(source, p);
  return p;
}

/** Why a pattern cannot be used (for a schema's check), or undefined when it can. */
export function patternProblem(source: string): string | undefined {
  try {
    compilePattern(source);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
