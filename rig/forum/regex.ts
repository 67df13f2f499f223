// Regexes of text a user saw, matched literally.

/** Escapes a line the user saw into a regex that matches it literally. */
export function literalRegex(line: string): string {
  return line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
