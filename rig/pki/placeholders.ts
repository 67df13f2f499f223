// {{name}} placeholders (e.g. {{broker.ip}}) are filled from ctx.vars before anything else reads the
// spec, so the cache key, the certificates and the summaries all see the final values.
import { fillTemplate } from '../format/index.ts';
import { PkiError } from './errors.ts';

/** Replaces every placeholder in one string; an unknown name is an error naming `where`. */
function fillString(text: string, vars: Record<string, string>, where: string): string {
  return fillTemplate(
    text,
    (name) => (Object.hasOwn(vars, name) ? vars[name] : undefined),
    (name) => {
      const known = Object.keys(vars);
      throw new PkiError(
        `${where}: unknown placeholder {{${name}}} (known: ${known.length ? known.join(', ') : 'none'})`,
      );
    },
  );
}

/** Deep copy of a JSON-like value with every string filled; `where` is a dotted field path for errors. */
export function fillDeep<T>(value: T, vars: Record<string, string>, where: string): T {
  return fillAny(value, vars, where) as T;
}

function fillAny(value: unknown, vars: Record<string, string>, where: string): unknown {
  if (typeof value === 'string') return fillString(value, vars, where);
  if (Array.isArray(value)) return value.map((v, i) => fillAny(v, vars, `${where}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = fillAny(v, vars, `${where}.${k}`);
    return out;
  }
  return value;
}
