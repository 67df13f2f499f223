// A test's pattern: a RegExp, or a string that must occur as it is.

export function matches(pattern: RegExp | string, text: string): boolean {
  if (typeof pattern === 'string') return text.includes(pattern);
  pattern.lastIndex = 0;
  return pattern.test(text);
}
