// Mosquitto 2.0 log lines → BrokerEvent. Line shapes measured on 2.0.11 (reference/ecosystem-api.md §5)
// and worded as in eclipse/mosquitto src/handle_connect.c, src/loop.c, src/net.c, src/logging.c.
import type { BrokerEvent } from './types.ts';

/** Removes mosquitto's timestamp prefix: epoch seconds ("1795328836: ") or a log_timestamp_format stamp. */
export function stripTimestamp(line: string): string {
  return line.replace(/^\d{9,}: /, '').replace(/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?: /, '');
}

type Rule = { re: RegExp; make: (m: RegExpMatchArray) => Omit<BrokerEvent, 'at' | 'text'> };

const RULES: Rule[] = [
  { re: /^mosquitto version (\S+) running$/, make: () => ({ type: 'started' }) },
  // "New client connected from 127.0.0.1:58900 as probe-mtls (p2, c1, k60, u'device-01')."
  { re: /^New client connected from (\S+) as (\S+) \(([^)]*)\)\.?$/, make: (m) => ({
    type: 'connected', address: m[1], clientId: m[2], username: /u'([^']*)'/.exec(m[3])?.[1] }) },
  { re: /^New connection from (\S+) on port (\d+)\.$/, make: (m) => ({ type: 'connect-attempt', address: m[1] }) },
  { re: /^Client (\S+) disconnected, not authori[sz]ed\.$/, make: (m) => ({ type: 'not-authorised', ...client(m[1]) }) },
  // CONNACK return codes 4 (bad user name or password) and 5 (not authorised); 0 is success.
  { re: /^Sending CONNACK to (\S+) \(\d+, ([45]|13[45])\)$/, make: (m) => ({ type: 'not-authorised', ...client(m[1]) }) },
  { re: /^Denied PUBLISH from (\S+)/, make: (m) => ({ type: 'not-authorised', ...client(m[1]) }) },
  { re: /^OpenSSL Error\[\d+\]: /, make: () => ({ type: 'tls-error' }) },
  // "Client connection from 127.0.0.1 failed: error:0A000102:SSL routines::unsupported protocol."
  { re: /^Client connection from (\S+) failed: /, make: (m) => ({ type: 'tls-error', address: m[1] }) },
  { re: /^Client (\S+) disconnected(?::| due to) (?:Protocol error|protocol error|malformed packet)\.?$/i,
    make: (m) => ({ type: 'protocol-error', ...client(m[1]) }) },
  { re: /^Client (\S+) (?:disconnected|closed its connection)(?:\.| due to .*| \(.*\)\.?)$/, make: (m) => ({ type: 'disconnected', ...client(m[1]) }) },
  { re: /^Client (\S+) has exceeded timeout, disconnecting\.$/, make: (m) => ({ type: 'disconnected', ...client(m[1]) }) },
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
