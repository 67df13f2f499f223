// The one `{{name}}` grammar of the rig's files: `{{broker.ip}}` in a scenario, `{{pki.server.crt}}`,
// `{{port.8883}}`, `{{passwd}}` in a verbatim mosquitto.conf. A name is letters, digits, `_`, `.` and `-`;
// spaces inside the braces are allowed. Each stage fills the names it knows; what happens to the others
// is the caller's choice (keep them for a later stage, or fail naming them).

const SOURCE = String.raw`\{\{\s*([\w.-]+)\s*\}\}`;
const PLACEHOLDER = new RegExp(SOURCE, 'g');
const LEADING = new RegExp(`^${SOURCE}`);

/** The names a text uses, in order of appearance (repeats included). */
export function placeholders(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

/** The name of the placeholder the text starts with, if it does (`{{port.8883}} 0.0.0.0` → `port.8883`). */
export function leadingPlaceholder(text: string): string | undefined {
  return LEADING.exec(text)?.[1];
}

/** Whether the text uses this name. */
export function usesPlaceholder(text: string, name: string): boolean {
  return placeholders(text).includes(name);
}

/**
 * Replaces every placeholder with `value(name)`. A name it returns undefined for is kept as written, or, when
 * `unknown` is given, handed to it (it throws the caller's error).
 */
export function fillTemplate(
  text: string,
  value: (name: string) => string | undefined,
  unknown?: (name: string) => never,
): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => value(name) ?? (unknown ? unknown(name) : whole));
}

/** Fills from a table of values, keeping unknown names for a later stage. */
export function fillVars(text: string, vars: Record<string, string>): string {
  return fillTemplate(text, (name) => (Object.hasOwn(vars, name) ? vars[name] : undefined));
}
