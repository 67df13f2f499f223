// What each pasted line is: the board's serial output (an Arduino core's log, ESP-IDF's, BearSSL's debug
// output, a library's, or the sketch's own prints), the broker's log, a PC client's output, or prose. Each line
// keeps what it says (raw codes, a kind hint, a host that did not resolve) and, where a twin can print it, a
// regex that matches it with addresses, ports, timestamps, fds and client ids generalised. Pure.
import type { OutcomeKind } from '../scenario/schema.ts';
import { brokerLine } from './lines-broker.ts';
import { pcLine } from './lines-pc.ts';
import { boardLine } from './lines-board.ts';

export type LineSource = 'serial' | 'broker' | 'pc';

export interface SeenLine {
  /** The line as posted (cleaned of colours and quote marks). */
  raw: string;
  source: LineSource;
  /** The line's format: "arduino-esp32 1.0.x", "esp-idf", "bearssl", "sslclient", "mosquitto", "mosquitto_sub", … */
  format: string;
  /** A regex for the line as the rig's board, broker or PC client prints it; absent when none can print it. */
  regex?: string;
  /** Why no twin, broker or control prints this line, when it cannot. */
  unprintable?: string;
  /** Raw codes the line states: "mbedtls:-9984", "esp-tls:-0x2700", "pubsubclient:-2", "bearssl:62", "alert:42". */
  codes: string[];
  kind?: OutcomeKind;
  /** A host name the board could not resolve. */
  dnsFailed?: string;
  /** What the line tells about the board: its core line format, TLS library. */
  hints: string[];
  /** For an arduino-esp32 log line: head parts (the core-pinning logic in saw.ts reads them). */
  esp32?: { ms?: number; level: string; file: string; line: number; func: string; body: string };
}

/** Escapes text into a regex that matches it literally. */
export function lit(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// Log text quoted inside a sentence ('mosquitto ALWAYS says "OpenSSL Error: error:1417C0C7:...'): where it starts.
const EMBEDDED =
  /(?:\d{9,10}: )?(?:OpenSSL Error(?:\[\d+\])?: error:|Socket error on client |New connection from |Client \S+ disconnected)|\b[EW] \(\d+\) [\w.-]+: |\(SSLClient\)\(|BSSL:|SSL error: /;

/** A line the forum mangled ("• - [E] …", "MQTT connecting ...[E]…") cut to its first log head, when there is one. */
function classifyOne(raw: string): SeenLine[] {
  const line = raw
    .replace(/^\s*(?:[•*]|-(?=\s))\s*/, '')
    .replace(/\s+$/, '')
    .replace(/^["“]|["”]$/g, '');
  if (!line.trim()) return [];
  const whole = brokerLine(line) ?? pcLine(line) ?? boardLine(line);
  if (whole) return whole;
  const at = EMBEDDED.exec(line);
  if (!at || at.index === 0) return [];
  const quoted = line
    .slice(at.index)
    .replace(/["”'`)\]]+\.?\s*$/, '')
    .trim();
  return brokerLine(quoted) ?? pcLine(quoted) ?? boardLine(quoted) ?? [];
}

/** Every line of the post that is output of a board, a broker or a PC client, in the post's order. */
export function classifyLines(lines: string[]): SeenLine[] {
  const out: SeenLine[] = [];
  const seen = new Set<string>();
  for (const l of lines) {
    for (const s of classifyOne(l)) {
      const key = `${s.source}:${s.regex ?? s.raw}`;
      if (seen.has(key)) continue; // logs repeat every retry
      seen.add(key);
      out.push(s);
    }
  }
  return out;
}
