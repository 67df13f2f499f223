// Mosquitto 2.0 log lines → BrokerEvent. Line shapes measured on 2.0.11 (docs/tool-facts.md §5)
// and worded as in eclipse/mosquitto src/handle_connect.c, src/loop.c, src/net.c, src/logging.c.
import type { BrokerEvent } from './types.ts';

/** Removes mosquitto's timestamp prefix: epoch seconds ("1795328836: ") or a log_timestamp_format stamp. */
export function stripTimestamp(line: string): string {
  return line
    .replace(/^\d{9,}: /, '')
    .replace(/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?: /, '');
}

type Rule = { re: RegExp; make: (m: RegExpMatchArray) => Omit<BrokerEvent, 'at' | 'text'> };

const RULES: Rule[] = [
  { re: /^mosquitto version (\S+) running$/, make: () => ({ type: 'started' }) },
  // "New client connected from 127.0.0.1:58900 as probe-mtls (p2, c1, k60, u'device-01')."
  {
    re: /^New client connected from (\S+) as (\S+) \(([^)]*)\)\.?$/,
    make: (m) => ({
      type: 'connected',
      address: m[1],
      clientId: m[2],
      username: /u'([^']*)'/.exec(m[3])?.[1],
    }),
  },
  { re: /^New connection from (\S+) on port (\d+)\.$/, make: (m) => ({ type: 'connect-attempt', address: m[1] }) },
  {
    re: /^Client (\S+) disconnected, not authori[sz]ed\.$/,
    make: (m) => ({ type: 'not-authorised', ...client(m[1]) }),
  },
  // CONNACK return codes 4 (bad user name or password) and 5 (not authorised); 0 is success.
  {
    re: /^Sending CONNACK to (\S+) \(\d+, ([45]|13[45])\)$/,
    make: (m) => ({ type: 'not-authorised', ...client(m[1]) }),
  },
  { re: /^Denied PUBLISH from (\S+)/, make: (m) => ({ type: 'not-authorised', ...client(m[1]) }) },
  { re: /^OpenSSL Error\[\d+\]: /, make: () => ({ type: 'tls-error' }) },
  // "Client connection from 127.0.0.1 failed: error:0A000102:SSL routines::unsupported protocol."
  { re: /^Client connection from (\S+) failed: /, make: (m) => ({ type: 'tls-error', address: m[1] }) },
  {
    re: /^Client (\S+) disconnected(?::| due to) (?:Protocol error|protocol error|malformed packet)\.?$/i,
    make: (m) => ({ type: 'protocol-error', ...client(m[1]) }),
  },
  {
    re: /^Client (\S+) (?:disconnected|closed its connection)(?:\.| due to .*| \(.*\)\.?)$/,
    make: (m) => ({ type: 'disconnected', ...client(m[1]) }),
  },
  {
    re: /^Client (\S+) has exceeded timeout, disconnecting\.$/,
    make: (m) => ({ type: 'disconnected', ...client(m[1]) }),
  },
  { re: /^Received PUBLISH from (\S+) /, make: (m) => ({ type: 'publish', ...client(m[1]) }) },
  { re: /^Received SUBSCRIBE from (\S+)$/, make: (m) => ({ type: 'subscribe', ...client(m[1]) }) },
  { re: /^Error: /, make: () => ({ type: 'error' }) },
];

function client(id: string): { clientId?: string; address?: string } {
  if (id === '<unknown>') return {};
  // A CONNACK refusal names the peer address instead of a client id.
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(id) || id.includes(':')) return { address: id };
  return { clientId: id };
}

/** One log line → an event, or undefined for lines that are not events (PINGREQ, listener sockets…). */
export function parseLogLine(rawLine: string, at: number): BrokerEvent | undefined {
  const text = stripTimestamp(rawLine.trimEnd());
  for (const rule of RULES) {
    const m = text.match(rule.re);
    if (m) {
      const ev: BrokerEvent = { at, text, ...rule.make(m) };
      for (const k of ['clientId', 'username', 'address'] as const) if (ev[k] === undefined) delete ev[k];
      return ev;
    }
  }
  return undefined;
}

/** "mosquitto version 2.0.11 running" → "2.0.11". */
export function versionFromLine(rawLine: string): string | undefined {
  return /mosquitto version (\S+) (?:running|starting)/.exec(rawLine)?.[1];
}

/** A PUBLISH line (log_type debug): received from a client, sent to a subscriber, or refused by the ACL. */
export interface PublishLine {
  dir: 'received' | 'sending' | 'denied';
  clientId: string;
  topic: string;
  bytes: number;
}

// "Received PUBLISH from probe (d0, q1, r0, m1, 'rig/x/up', ... (5 bytes))" (src/handle_publish.c, send_publish.c);
// the topic may hold quotes, so it runs up to the fixed tail.
const PUBLISH =
  /^(Received|Sending|Denied) PUBLISH (?:from|to) (\S+) \(d\d, q\d, r\d, m\d+, '(.*)', \.\.\. \((\d+) bytes\)\)$/;

export function parsePublishLine(rawLine: string): PublishLine | undefined {
  const m = PUBLISH.exec(stripTimestamp(rawLine.trimEnd()));
  if (!m) return undefined;
  const dir = m[1] === 'Received' ? 'received' : m[1] === 'Sending' ? 'sending' : 'denied';
  return { dir, clientId: m[2], topic: m[3], bytes: Number(m[4]) };
}

// Line shapes that name the client they are about (mosquitto 2.0: handle_connect.c, loop.c, send_*.c, subs.c).
const NAMES_CLIENT: RegExp[] = [
  /^New client connected from \S+ as (\S+) \(/,
  /^Client (\S+) (?:disconnected|closed its connection|has exceeded timeout|already connected)/,
  /^(?:Received|Sending|Denied) [A-Z]+ (?:from|to) (\S+)/,
  /^(?:Socket error|Bad socket (?:read|write)) on client (\S+?)[,:]/,
  /^Outgoing messages are being dropped for client (\S+)\.$/,
  /^Expiring client (\S+) due to timeout/,
  // log_type subscribe: "<client id> <qos> <topic filter>".
  /^(\S+) [0-2] \S+$/,
];

/**
 * The client id a log line names, or undefined for a line about no client (TLS errors before CONNECT, a new
 * TCP connection, "Client <unknown> …", a CONNACK refusal that names the peer address).
 */
export function namedClientId(rawLine: string): string | undefined {
  const text = stripTimestamp(rawLine.trimEnd());
  for (const re of NAMES_CLIENT) {
    const m = re.exec(text);
    if (m) return client(m[1]).clientId;
  }
  return undefined;
}
