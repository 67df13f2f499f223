// A pasted post in the forms people paste it: Markdown with code fences, a forum page copied as text (phpBB's
// "Code: Select all", quoted lines "> ..."), a GitHub issue body with <details>, terminal colours (ESC[0;31m, or
// the "␛" a browser shows for it), HTML entities. Turned into plain lines, with the thread's turns told apart:
// the poster's own text (the question and the poster's follow-ups) and other people's answers. Pure.

export interface Turn {
  author?: string;
  /** First and last line (inclusive) of the turn in `lines`. */
  from: number;
  to: number;
  /** Written by the thread's first author (the poster). */
  poster: boolean;
}

export interface PostText {
  lines: string[];
  turns: Turn[];
  /** The thread's address from a header line (the URL alone, or "Link:"/"Source:" URL). */
  link?: string;
}

// "name · comment · 2018-10-26" (a stored thread), "name commented on Oct 26, 2018" (GitHub copied as text),
// "Answer by name", "name answered Mar 3, 2021" (StackExchange).
const TURN_HEADS: RegExp[] = [
  /^\s*([\w.-]+) · (?:description|comment|review) · \d{4}-\d\d-\d\d\s*$/,
  /^\s*([\w.-]+) commented(?: on)? [A-Z][a-z]{2} \d{1,2}, \d{4}.*$/,
  /^\s*(?:answer(?:ed)? by|accepted answer by) ([\w.-]+)\b.*$/i,
  /^\s*([\w.-]+) answered [A-Z][a-z]{2} \d{1,2}(?:, \d{4})?.*$/,
];

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

/** Terminal colour codes as the board sent them, or as a browser renders ESC ("␛", U+241B). */
export function stripAnsi(line: string): string {
  const esc = `(?:${String.fromCharCode(0x1b)}|\u241b)`;
  return line.replace(new RegExp(`${esc}\\[[0-9;]*[A-Za-z]`, 'g'), '');
}

function cleanLine(raw: string): string {
  let l = stripAnsi(raw.replace(/\r$/, '')).replace(
    /&(lt|gt|amp|quot|apos|nbsp|#39);/g,
    (_, e: string) => ENTITIES[e]!,
  );
  l = l.replace(/<\/?(details|summary|pre|code|p|div)\b[^>]*>/gi, '').replace(/<br\s*\/?>/gi, '');
  // phpBB pastes the code box's button with the first line: "Code: Select all#include <WiFi.h>".
  l = l.replace(/^\s*Code: Select all/, '');
  // A whole line wrapped in backticks (inline code used per line).
  const tick = /^\s*`([^`]+)`\s*$/.exec(l);
  if (tick) l = tick[1]!;
  return l;
}

/** Quote markers ("> ") are stripped where a run of at least two lines carries them (a quoted conf or log). */
function unquote(lines: string[]): string[] {
  const quoted = lines.map((l) => /^\s*>\s?(?!>)/.test(l) && !/^\s*>=/.test(l));
  return lines.map((l, i) => (quoted[i] && (quoted[i - 1] || quoted[i + 1]) ? l.replace(/^\s*>\s?/, '') : l));
}

function headerLink(lines: string[]): { link?: string; skip: number } {
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) return { skip: 0 };
  const m = /^\s*(?:(?:link|source|url|thread)\s*:\s*)?<?(https?:\/\/\S+?)>?\s*$/i.exec(lines[first]!);
  return m ? { link: m[1]!, skip: first + 1 } : { skip: 0 };
}

function findTurns(lines: string[]): Turn[] {
  const heads: { at: number; author: string }[] = [];
  lines.forEach((l, i) => {
    for (const re of TURN_HEADS) {
      const m = re.exec(l);
      if (m) {
        heads.push({ at: i, author: m[1]! });
        break;
      }
    }
  });
  if (heads.length === 0) return [{ from: 0, to: lines.length - 1, poster: true }];
  const poster = heads[0]!.author;
  const turns: Turn[] = [];
  if (heads[0]!.at > 0) turns.push({ from: 0, to: heads[0]!.at - 1, poster: true });
  heads.forEach((h, k) => {
    const to = k + 1 < heads.length ? heads[k + 1]!.at - 1 : lines.length - 1;
    turns.push({ author: h.author, from: h.at, to, poster: h.author === poster });
  });
  return turns;
}

export function readPost(text: string): PostText {
  const raw = text.replace(/\r\n?/g, '\n').split('\n');
  const { link, skip } = headerLink(raw);
  const body = raw.slice(skip);
  // Fence lines carry no content; they become blank so code blocks stay apart from the prose around them.
  const lines = unquote(body.map(cleanLine)).map((l) => (/^\s*(```|~~~)/.test(l) ? '' : l));
  return { lines, turns: findTurns(lines), ...(link ? { link } : {}) };
}

/** The poster's lines (other people's turns blanked, so line numbers stay). */
export function posterLines(p: PostText): string[] {
  const keep = new Set<number>();
  for (const t of p.turns) if (t.poster) for (let i = t.from; i <= t.to; i++) keep.add(i);
  return p.lines.map((l, i) => (keep.has(i) ? l : ''));
}

/** Other people's turns (the thread's answers), as text. */
export function answerText(p: PostText): string {
  return p.turns
    .filter((t) => !t.poster)
    .map((t) => p.lines.slice(t.from, t.to + 1).join('\n'))
    .join('\n');
}
