// The upstream facts fixtures (test/fixtures/upstream-facts/*.yaml): what a board prints or returns in a given
// release, read at the tag, with the upstream file:line@tag it comes from. Shared by the twin tests that replay them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';

export const Fact = z
  .object({
    version: z.string().regex(/^\d+\.\d+(\.\d+)?$/),
    event: z.string().min(1).describe('what the test makes happen (the test file says how)'),
    message: z.string().min(1),
    lines: z.array(z.string()).default([]).describe('consecutive serial lines; "[%6u]" / "(%u)" stand for timestamps'),
    absent: z.array(z.string()).optional().describe('text no serial line may contain'),
    fact: z.string().optional().describe("a twin fact the event must record (the board's raw code)"),
    library: z.record(z.string(), z.string()).optional().describe('library releases the build uses'),
    source: z.string().min(1).describe('upstream file:line@tag (or the log) the lines come from'),
  })
  .strict();
export type Fact = z.infer<typeof Fact>;

const FactsFile = z.object({ family: z.string(), facts: z.array(Fact).min(1) }).strict();

export function loadFacts(name: string): Fact[] {
  const file = fileURLToPath(new URL(`../fixtures/upstream-facts/${name}.yaml`, import.meta.url));
  return FactsFile.parse(parse(readFileSync(file, 'utf8'))).facts;
}

/**
 * A fixture line as a regex: "[%6u]" is the 2.0.x/3.x ms stamp, "(%u)" an IDF log's; a leading "..." matches the
 * end of a serial line (a core that writes after the sketch's own text); the rest literal.
 */
export function lineRegex(line: string): RegExp {
  const suffix = line.startsWith('...');
  const esc = (suffix ? line.slice(3) : line).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const body = esc.replace(/\\\[%6u\\\]/g, '\\[\\s*\\d+\\]').replace(/\\\(%u\\\)/g, '\\(\\d+\\)');
  return new RegExp(`${suffix ? '' : '^'}${body}$`);
}

/** The fact's lines appear consecutively in `serial`; none of `absent` appears. Returns a message or undefined. */
export function checkLines(f: Fact, serial: string[]): string | undefined {
  const res = f.lines.map(lineRegex);
  if (res.length) {
    const at = serial.findIndex((_, i) => res.every((re, k) => re.test(serial[i + k] ?? '')));
    if (at < 0) return `expected consecutive lines\n  ${f.lines.join('\n  ')}\nin\n  ${serial.join('\n  ')}`;
  }
  for (const a of f.absent ?? [])
    if (serial.some((l) => l.includes(a))) return `"${a}" must not appear in\n  ${serial.join('\n  ')}`;
  return undefined;
}
