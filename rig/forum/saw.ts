// What the user saw, as must-see expectations. Forum posts mangle serial lines: "[E] [ssl_client.cpp: 33]
// handle_error (): ..." (spaces a translator or the forum added), several log lines run together in one comment,
// a comment's signature ("– Michele Sep 9 '19 at 19:15") and prose around them. The lines are cut back to what
// the board printed; an arduino-esp32 log line also says which core printed it, so the exact lines are expected
// on the twin imitating that core ("esp32@1.0.2") and their messages on the board's default core.
import { fileURLToPath } from 'node:url';
import { flatValues, loadVersionTableSync, versionTableFile } from '../boards/versions.ts';
import { literalRegex } from './regex.ts';

/**
 * The arduino-esp32 log heads ("file:line func") each 1.0.x release prints on a TLS failure, from the ESP32 twin's
 * version table (boards/twin/versions/esp32.yaml). A post's lines are pinned to a core only when every head it shows
 * is one that core prints; 2.0.x/3.x lines carry a timestamp and are not pinned.
 */
export function esp32LogHeads(): Record<string, readonly string[]> {
  if (heads) return heads;
  const table = loadVersionTableSync(versionTableFile(TWIN_DIR, 'esp32'));
  const out: Record<string, string[]> = {};
  for (const row of table.rows) {
    const v = flatValues(row.values);
    if (v['log.timestamp'] === 'true') continue;
    const at = (file: string | undefined, line: string | undefined, func: string | undefined): string[] =>
      file && line && line !== '0' && func ? [`${file}:${line} ${func}`] : [];
    const list = [
      ...at(v['handleError.file'], v['handleError.line'], v['handleError.func']),
      ...at(v['handleError.file'], v['handleError.codeLine'], v['handleError.func']),
      ...at(v['sites.file'], v['socket.connectFailedLine'], v['socket.func']),
      ...at(v['sites.file'], v['trust.noTrustLine'], 'start_ssl_client'),
      ...at(v['sites.file'], v['trust.insecureLine'], 'start_ssl_client'),
      ...at(v['connect.file'], v['connect.line'], v['connect.func']),
      ...at(v['connect.file'], v['connect.pskLine'], v['connect.func']),
      ...at(v['dns.file'], v['dns.line'], v['dns.func']),
    ];
    for (const release of row.releases) out[release] = list;
  }
  heads = out;
  return out;
}
let heads: Record<string, readonly string[]> | undefined;
const TWIN_DIR = fileURLToPath(new URL('../../boards/twin/', import.meta.url));

// "[E][file:line] func(): ", spaces tolerated anywhere; 2.x+ cores put "[  1234]" (ms since boot) in front.
const HEAD =
  /(\[\s*(\d+)\s*\]\s*)?\[\s*([EWIDV])\s*\]\s*\[\s*([\w.]+)\s*:\s*(\d+)\s*\]\s*([A-Za-z_]\w*)\s*\(\s*\)\s*:\s*/g;
// A comment's signature: "– Michele Sep 9 '19 at 19:15", "- user123 Mar 3, 2021 at 9:05".
const SIGNATURE = /\s+[–—-]\s+[^–—]{1,40}?\s+[A-Z][a-z]{2}\s+\d{1,2}(?:,\s*\d{4}|\s+'\d{2})?\s+at\s+\d{1,2}:\d{2}\s*$/;

export interface LogLine {
  /** The line as the board prints it (head normalised), or the user's text when it is no log line. */
  text: string;
  /** For an arduino-esp32 log line: its parts. */
  log?: { ms?: number; level: string; file: string; line: number; func: string; body: string };
}

/** Cuts prose after a log message that ends in a number: "start_ssl_client: -9984 - do you have any ...". */
function cutProse(body: string): string {
  return body.replace(/^(.*?:\s*\(?-?\d+\)?)\s+[-–—]\s+.*$/, '$1').replace(/[\s*]+$/, '');
}

/** The user's lines cut back to what the board printed, one log line each, in order, without repeats. */
export function normaliseSaw(raw: string[]): LogLine[] {
  const out: LogLine[] = [];
  const seen = new Set<string>();
  const add = (l: LogLine) => {
    if (l.text && !seen.has(l.text)) {
      seen.add(l.text);
      out.push(l);
    }
  };
  for (const r of raw) {
    const text = r
      .replace(/^\s*(?:[•*>]|-(?=\s))\s*/, '')
      .replace(/`/g, '')
      .replace(SIGNATURE, '')
      .trim();
    const heads = [...text.matchAll(HEAD)];
    if (heads.length === 0) {
      add({ text: cutProse(text) });
      continue;
    }
    // Text before the first head is the sketch's own output or the poster's prose: not a board line of its own.
    heads.forEach((m, k) => {
      const end = k + 1 < heads.length ? heads[k + 1]!.index : text.length;
      const body = cutProse(text.slice(m.index + m[0].length, end).trim());
      const log = {
        ...(m[2] ? { ms: Number(m[2]) } : {}),
        level: m[3]!,
        file: m[4]!,
        line: Number(m[5]),
        func: m[6]!,
        body,
      };
      const ms = log.ms !== undefined ? `[${String(log.ms).padStart(6)}]` : '';
      add({ text: `${ms}[${log.level}][${log.file}:${log.line}] ${log.func}(): ${body}`, log });
    });
  }
  return out;
}

/** The 3.x core the ESP32 twin imitates (boards/esp32.yaml `imitates`). */
export const CORE3 = '3.1.2';

/** A 3.x line: NetworkClientSecure (3.x renamed WiFiClientSecure) or the handshake function 3.x split out. */
export function isCore3(log: NonNullable<LogLine['log']>): boolean {
  return /^NetworkClientSecure\.cpp$/.test(log.file) || /\[ssl_starttls_handshake\(\):\d+\]/.test(log.body);
}

/** The imitated core whose log heads are exactly these lines' heads, if any. */
function esp32CoreOf(lines: LogLine[]): string | undefined {
  const logs = lines.flatMap((l) => (l.log ? [l.log] : []));
  if (logs.length === 0 || logs.some((l) => l.ms !== undefined)) return undefined;
  return Object.entries(esp32LogHeads()).find(([, list]) =>
    logs.every((l) => list.includes(`${l.file}:${l.line} ${l.func}`)),
  )?.[0];
}

export interface SawExpectations {
  /** Board key ("esp32", "esp32@1.0.2") → serial expectation and raw code. */
  byBoard: Record<string, { serial: string[] | { ordered: true; see: string[] }; code?: string }>;
  notes: string[];
}

/** The mbedTLS code a log line states: "MbedTLS message code: -9984", "start_ssl_client: -9984", "(-9984) X509". */
export function mbedtlsCode(body: string): string | undefined {
  const m =
    /message code:\s*(-\d+)|start_ssl_client:\s*(?:connect failed:?\s*)?(-\d+)|^\[\w+\(\):\d+\]:\s*\((-\d+)\)/.exec(
      body,
    );
  const n = m?.[1] ?? m?.[2] ?? m?.[3];
  return n ? `mbedtls:${n}` : undefined;
}

/** The part of a log line every core prints alike: the message, without the head or the "[func():line]" prefix. */
function messageRegex(log: NonNullable<LogLine['log']>): string | undefined {
  if (/^MbedTLS message code:/.test(log.body)) return undefined; // only cores before 1.0.4 print it: the code says it
  const body = log.body.replace(/^\[\w+\(\):\d+\]:\s*/, '');
  return literalRegex(body);
}

/** Must-see expectations for `board` from the user's lines. */
export function sawExpectations(raw: string[], board: string): SawExpectations {
  const lines = normaliseSaw(raw);
  const notes: string[] = [];
  if (lines.length === 0) return { byBoard: {}, notes };
  const code = lines.map((l) => (l.log ? mbedtlsCode(l.log.body) : undefined)).find((c) => c);
  const hasLogs = lines.some((l) => l.log);
  if (board !== 'esp32' || !hasLogs) {
    // Other stacks print no head to normalise: the user's lines, matched literally.
    return { byBoard: { [board]: { serial: lines.map((l) => literalRegex(l.text)) } }, notes };
  }
  const core = esp32CoreOf(lines);
  const byBoard: SawExpectations['byBoard'] = {};
  // The default core prints the same messages under other heads (timestamps, other line numbers).
  const messages = lines
    .map((l) => (l.log ? messageRegex(l.log) : literalRegex(l.text)))
    .filter((r): r is string => !!r);
  if (lines.some((l) => l.log && isCore3(l.log))) {
    // 3.x words its lines differently ("start_ssl_client: connect failed: -9984") and moves its line numbers from
    // release to release (docs/tls-esp32.md §2): the messages are expected on the 3.x core the twin imitates.
    byBoard[`${board}@${CORE3}`] = { serial: [...new Set(messages)], ...(code ? { code } : {}) };
    byBoard[board] = code ? { serial: [], code } : { serial: [] };
    notes.push(
      `the user's log lines are arduino-esp32 3.x's: their messages are expected on the twin imitating ${CORE3} (${board}@${CORE3}), the code on the default core`,
    );
    return { byBoard, notes };
  }
  byBoard[board] = { serial: [...new Set(messages)], ...(code ? { code } : {}) };
  if (core) {
    byBoard[`${board}@${core}`] = {
      serial: { ordered: true, see: lines.map((l) => literalRegex(l.text)) },
      ...(code ? { code } : {}),
    };
    notes.push(
      `the user's log lines are arduino-esp32 ${core}'s: expected verbatim on the twin imitating it (${board}@${core}), their messages on the default core`,
    );
  } else if (lines.some((l) => l.log && l.log.ms === undefined)) {
    notes.push(
      "the user's log lines come from a 1.0.x core the twin does not imitate line for line: only their messages are expected",
    );
  }
  return { byBoard, notes };
}
