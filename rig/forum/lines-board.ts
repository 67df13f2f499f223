// A board's serial line as posters paste it: arduino-esp32 logs (1.0.x "[E][file:line] func(): ", 2.x and 3.x
// with "[  1234]" in front), ESP-IDF logs ("E (1234) esp-tls: ..."), the ESP8266 core's BearSSL debug lines
// ("BSSL:..."), SSLClient's "(SSLClient)(SSL_ERROR)(func): ...", Mongoose OS lines, BearSSL error texts and the
// sketch's own PubSubClient state lines ("failed, rc=-2").
import type { OutcomeKind } from '../scenario/schema.ts';
import type { SeenLine } from './lines.ts';
import { lit } from './lines.ts';
import { isCore3, mbedtlsCode, normaliseSaw } from './saw.ts';

// getLastSSLError's texts (docs/tls-bearssl.md §1, boards/esp8266.yaml) and SSLClient's, which print BearSSL's
// error names the same way.
const BEARSSL_TEXTS: [RegExp, number, OutcomeKind][] = [
  [/Expected server name was not found in the chain/, 56, 'tls/name-mismatch'],
  [/Chain could not be linked to a trust anchor/, 62, 'tls/untrusted'],
  [/Certificate is expired or not yet valid/, 54, 'tls/expired'],
  [/Public key found in certificate is too small/, 60, 'tls/weak-key'],
  [/Signature is invalid/, 52, 'tls/weak-signature'],
  [/Not a CA, or path length constraint violation/, 58, 'tls/untrusted'],
];

function bearsslText(text: string): { codes: string[]; kind?: OutcomeKind } {
  const hit = BEARSSL_TEXTS.find(([re]) => re.test(text));
  return hit ? { codes: [`bearssl:${hit[1]}`], kind: hit[2] } : { codes: [] };
}

function serial(raw: string, format: string, extra: Partial<SeenLine>): SeenLine {
  return { raw: raw.trim(), source: 'serial', format, codes: [], hints: [], ...extra };
}

/**
 * Messages of esp-tls / tcp_transport / esp-mqtt that the esp-mqtt twin prints at Error level, each with the tags
 * IDF versions gave its line (docs/tls-esp32.md §5: "esp-tls-mbedtls" since IDF 4.3, "TRANS_SSL" in old IDF,
 * "transport_base" / "mqtt_client" in lower case in newer ones).
 */
const IDF_PRINTED: [RegExp, string][] = [
  [/^mbedtls_ssl_handshake returned/, 'esp-tls(?:-mbedtls)?|TRANS_SSL'],
  [/^Failed to open new connection/, 'esp-tls'],
  [/^Failed to open a new connection/, 'TRANSPORT_BASE|transport_base|TRANS_SSL|TRANS_TCP'],
  [/^Error transport connect/, 'MQTT_CLIENT|mqtt_client'],
  [/^couldn't get hostname for/, 'esp-tls'],
];
const IDF_LIBRARY_TAGS =
  /^(esp-tls|esp-tls-mbedtls|TRANS_SSL|TRANS_TCP|TRANSPORT_BASE|transport_base|MQTT_CLIENT|mqtt_client)$/;

function hexClass(text: string): string {
  return lit(text).replace(
    /0x([0-9a-fA-F]+)/g,
    (_, h: string) => `0x${h.replace(/[a-fA-F]/g, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`)}`,
  );
}

function idfLine(raw: string): SeenLine[] | undefined {
  const m = /^([EWIDV]) \(([\d:.]+)\) ([\w.\-/]+): ?(.*)$/.exec(raw.trim());
  if (!m) return undefined;
  const [, level, , tag, msg] = m as unknown as [string, string, string, string, string];
  const s = serial(raw, 'esp-idf', { hints: ['esp-idf'] });
  const hs = /mbedtls_ssl_handshake returned -0x([0-9a-fA-F]+)/.exec(msg);
  if (hs) s.codes.push(`esp-tls:-0x${hs[1]!.toLowerCase()}`);
  const host = /couldn't get hostname for :([^:]*):/.exec(msg);
  if (host) {
    s.dnsFailed = host[1]!;
    s.kind = 'dns/failed';
  }
  if (/Common Name \(CN\) does not match/.test(msg)) s.kind = 'tls/name-mismatch';
  if (/not correctly signed by the trusted CA/.test(msg)) s.kind = 'tls/untrusted';
  if (/unacceptable key|RSA too short/.test(msg)) s.kind = 'tls/weak-key';
  if (/unacceptable hash/.test(msg)) s.kind = 'tls/weak-signature';
  if (/validity has expired/.test(msg)) s.kind = 'tls/expired';
  const errCode = /error code reported from esp-tls: 0x([0-9a-f]+)/i.exec(msg);
  if (errCode) s.codes.push(`esp-tls-err:0x${errCode[1]!.toLowerCase()}`);
  const printed = IDF_LIBRARY_TAGS.test(tag) ? IDF_PRINTED.find(([re]) => re.test(msg)) : undefined;
  if (level === 'E' && printed) {
    // "couldn't get hostname for :h:" gained ": getaddrinfo() returns 202, addrinfo=0x0" in later IDF versions.
    s.regex = `^E \\(\\d+\\) (?:${printed[1]}): ${hexClass(msg.replace(/\s+$/, ''))}`;
  } else {
    s.unprintable =
      level !== 'E'
        ? `an ESP-IDF ${level} line: the Arduino core's IDF logs at Error level only (docs/tls-esp32.md §5)`
        : `tag ${tag} is the application's own log, not esp-tls/esp-mqtt's: the rig runs its esp-mqtt sketch`;
  }
  return [s];
}

function esp32Lines(raw: string): SeenLine[] | undefined {
  if (!/\[\s*[EWIDV]\s*\]\s*\[\s*[\w.]+\s*:\s*\d+\s*\]/.test(raw)) return undefined;
  return normaliseSaw([raw]).flatMap((l) => {
    if (!l.log) return [];
    const { log } = l;
    const s = serial(l.text, log.ms !== undefined ? 'arduino-esp32 2.x/3.x' : 'arduino-esp32 1.0.x', {
      esp32: log,
      hints: [log.ms !== undefined ? (isCore3(log) ? 'esp32-core-3' : 'esp32-core-2') : 'esp32-core-1'],
    });
    const code = mbedtlsCode(log.body);
    if (code) s.codes.push(code);
    const dns = /DNS Failed for (\S+)/.exec(log.body);
    if (dns) {
      s.dnsFailed = dns[1]!;
      s.kind = 'dns/failed';
    }
    if (log.level !== 'E')
      s.unprintable = `a [${log.level}] line: the rig's ESP32 runs Core Debug Level Error, as the Arduino IDE's default does`;
    return [s];
  });
}

/** A sketch's own report of PubSubClient's state: "failed, rc=-2", "failed with state -2", "status code =-2". */
function stateLine(raw: string): SeenLine[] | undefined {
  const m =
    /(?:\brc\s*=\s*|\bstate\s*(?:\(\))?\s*[=:]?\s*|status code\s*=?\s*|\(KO!\):\s*)(-?\d)(?!\d)/i.exec(raw) ??
    undefined;
  // Output, not prose around it: a heading or a long sentence that quotes the state is the poster's words.
  if (!m || !/fail|KO|state|rc=|error/i.test(raw) || /^\s*#{1,6}\s/.test(raw) || raw.trim().split(/\s+/).length > 14)
    return undefined;
  return [
    serial(raw, 'sketch', {
      codes: [`pubsubclient:${m[1]}`],
      hints: ['pubsubclient'],
      unprintable: "the poster's sketch prints it; the rig's sketch states the same code its own way",
    }),
  ];
}

function sslClientLine(raw: string): SeenLine[] | undefined {
  const m = /^\(SSLClient\)\((SSL_\w+)\)\((\w+)\): ?(.*)$/.exec(raw.trim());
  if (!m) return undefined;
  const [, level, func, msg] = m as unknown as [string, string, string, string];
  const t = bearsslText(msg);
  // The twin's SSLClient prints the error lines of a failed handshake; INFO/WARN depend on the sketch's debug level.
  const printed = level === 'SSL_ERROR' && (func === 'm_print_br_error' || func === 'm_start_ssl');
  return [
    serial(raw, 'sslclient', {
      codes: t.codes,
      ...(t.kind ? { kind: t.kind } : {}),
      hints: ['sslclient'],
      ...(printed
        ? { regex: `^${lit(raw.trim())}$` }
        : {
            unprintable: `an SSLClient ${level} line of ${func}(): it depends on the sketch's debug level and retries`,
          }),
    }),
  ];
}

function otherLine(raw: string): SeenLine[] | undefined {
  const l = raw.trim();
  const bssl = /^BSSL:(.*)$/.exec(l);
  if (bssl) {
    const t = bearsslText(bssl[1]!);
    return [
      serial(l, 'bearssl', {
        ...t,
        hints: ['esp8266'],
        unprintable: 'the ESP8266 core prints BSSL: lines only in a debug build (Debug port + SSL level)',
      }),
    ];
  }
  // The ESP8266 core before 2.5 did TLS with axTLS: "Error: SSL error 40", "Alert: handshake failure".
  if (/^(?:Error: SSL error \d+|Alert: [a-z ]+|State:\s+\w.*\(\d+\))$/.test(l))
    return [
      serial(l, 'axtls', {
        hints: ['esp8266', 'axtls'],
        unprintable: 'axTLS (ESP8266 core 2.4 and before) prints it; the twins run BearSSL',
      }),
    ];
  const mgos = /^(mg_ssl_if_mbed_err|mgos_\w+)\s+(?:0x[0-9a-f]+\s+)?(.*)$/.exec(l);
  if (mgos) {
    const code = /SSL error: (-\d+)/.exec(mgos[2]!);
    return [
      serial(l, 'mongoose-os', {
        codes: code ? [`mbedtls:${code[1]}`] : [],
        hints: ['esp32', 'mongoose-os'],
        unprintable: "Mongoose OS's own log: the rig's ESP32 runs arduino-esp32; the mbedTLS code it names is expected",
      }),
    ];
  }
  const sslErr = /^(?:SSL error|TLS error|Last SSL error was)\s*:?\s*(.*)$/i.exec(l);
  const text = bearsslText(sslErr?.[1] ?? l);
  if (text.codes.length)
    return [
      serial(l, 'sketch', { ...text, unprintable: "the poster's sketch prints BearSSL's error text its own way" }),
    ];
  if (/Guru Meditation Error|^Exception \(\d+\):|Soft WDT reset/.test(l))
    return [serial(l, 'crash', { kind: 'crash', regex: lit(l) })];
  return undefined;
}

export function boardLine(raw: string): SeenLine[] | undefined {
  return idfLine(raw) ?? esp32Lines(raw) ?? sslClientLine(raw) ?? otherLine(raw) ?? stateLine(raw);
}
