// What a row of each family's version table holds (boards/twin/versions/<family>.yaml `values`), after `extends`.
// The twin's C++ reads these keys by name (flattened "a.b.c"), so a row must give every one of them. Printed lines
// are printf formats the twin fills in: each is checked here for the conversions its C++ caller passes.
import { z } from 'zod';

export type VersionFamily = 'esp32' | 'esp8266' | 'mkr1000';

/** The conversions of a printf format, in order ("%04X" → "X"; "%%" skipped). */
export function conversions(format: string): string[] {
  return [...format.matchAll(/%[-+ #0]*\d*(?:\.\d+)?(?:hh|h|ll|l|z)?([diouxXsc%])/g)]
    .map((m) => m[1]!)
    .filter((c) => c !== '%');
}

/** A printf format whose conversions are one of the given lists (e.g. fmt('s') or fmt(['s'], ['s', 'd'])). */
function fmt(...allowed: (string | string[])[]): z.ZodString {
  const lists = allowed.map((a) => (Array.isArray(a) ? a : a.split('')));
  const shown = lists.map((l) => l.map((c) => `%${c}`).join(' ') || 'no conversion').join(' or ');
  return z.string().superRefine((s, ctx) => {
    if ([...s].some((c) => c.charCodeAt(0) < 0x20))
      ctx.addIssue({ code: 'custom', message: 'printable text (no control characters)' });
    const got = conversions(s);
    if (!lists.some((l) => l.length === got.length && l.every((c, i) => c === got[i])))
      ctx.addIssue({
        code: 'custom',
        message: `conversions must be ${shown}, got ${got.map((c) => `%${c}`).join(' ') || 'none'}`,
      });
  });
}
const text = fmt('');
const line = z
  .number()
  .int()
  .min(0)
  .describe('source line printed by the log macro (0: this release has no such site)');
const level = z.number().int().min(1).max(5).describe('Core Debug Level the line needs (1 E … 5 V)');
const file = z.string().regex(/^[\w.]+$/, 'a file base name');
const func = z.string().regex(/^[A-Za-z_]\w*$/, 'a function name');

const Esp32Values = z
  .object({
    log: z.object({ timestamp: z.boolean().describe('2.0.x/3.x "[%6u]" prefix; 1.0.x none') }).strict(),
    handleError: z
      .object({
        twoLines: z.boolean().describe('before 1.0.4: the text, then "MbedTLS message code: %d"'),
        file,
        line,
        codeLine: line,
        func,
        format: fmt('sdds', 's').describe('one-line: [%s():%d]: (%d) %s; two-line: %s'),
        codeFormat: fmt('d'),
      })
      .strict(),
    sites: z
      .object({
        file,
        handshakeFunc: func,
        drbgSeed: line,
        configDefaults: line,
        alpn: line,
        caParse: line,
        pskConf: line,
        certParse: line,
        keyParse: line,
        setHostname: line,
        sslSetup: line,
        handshake: line,
        dataToRead: line,
        sendData: line,
        pskHexLine: line,
        pskHexText: text,
      })
      .strict(),
    socket: z
      .object({
        style: z.enum(['blocking', 'select']).describe('1.0.x blocking lwip_connect; 2.0.x+ non-blocking + select'),
        fd: z.number().int().min(0).describe('socket number lwIP hands out first (LWIP_SOCKET_OFFSET)'),
        func,
        connectFailedLine: line,
        connectFailedText: text,
        connectOnFdLine: line,
        connectOnFdFormat: fmt('dds'),
        selectTimeoutLine: line,
        selectTimeoutFormat: fmt('dd'),
        socketErrorLine: line,
        socketErrorFormat: fmt('dds'),
      })
      .strict(),
    connect: z
      .object({
        file,
        func,
        line,
        pskLine: line,
        format: fmt('d'),
        pskFormat: fmt('d'),
        postponedLine: line.describe('3.x: log_i before the failure line (0: none)'),
        postponedText: text,
        lastErrorZeroIsEmpty: z.boolean().describe('lastError() returns 0 and no text when nothing failed (not 3.x)'),
      })
      .strict(),
    dns: z
      .object({
        inStartSslClient: z
          .boolean()
          .describe('1.0.x/2.0.0 resolve inside start_ssl_client, so "start_ssl_client: -1" follows the DNS line'),
        file,
        func,
        line,
        format: fmt('s', 'sd'),
        error: z.number().int().describe('the %d of a two-argument format (lwIP getaddrinfo error)'),
      })
      .strict(),
    streamLoad: z
      .object({
        sharedBuffer: z
          .boolean()
          .describe('1.0.0-1.0.4: the three certificate loaders share one static buffer, freed by the next load'),
      })
      .strict(),
    trust: z
      .object({
        noTrust: z.enum(['verify-none', 'refuse']).describe('no CA, PSK or setInsecure(): <1.0.5 goes on unverified'),
        noTrustLine: line,
        noTrustLevel: level,
        noTrustText: text,
        insecureLine: line,
        insecureLevel: level,
        insecureText: text,
      })
      .strict(),
    mbedtls: z
      .object({
        sanIp: z.boolean().describe('iPAddress SAN entries match (mbedTLS >= 3.5: core 3.1+)'),
        dhm: z.boolean().describe('DHE suites offered (MBEDTLS_DHM_C)'),
      })
      .strict(),
    espTls: z
      .object({
        idf: z.string().regex(/^\d+\.\d+(\.\d+)?$/),
        tlsTag: z.string().min(1),
        handshakeFormat: fmt('x', 'X'),
        caParseFormat: fmt('x', 'X'),
        noVerifyText: text,
        dnsFormat: fmt('s'),
        socketFd: z.number().int().min(0),
        connectErrorFormat: fmt('ds', '').describe('"[sock=%d] delayed connect error: %s" ("" when not printed)'),
        timeoutFormat: fmt('d', '').describe('"[sock=%d] select() timeout" ("" when not printed)'),
        timeoutCode: z.number().int(),
        openFailedText: text,
        transportTag: z.string().min(1),
        transportTlsText: text,
        transportTcpFormat: fmt('d', ''),
        mqttTag: z.string().min(1),
        receiveFormat: fmt('sd', '').describe('"%s: mqtt_message_receive() returned %d" ("" when not printed)'),
        invalidTypeFormat: fmt('dd', '').describe(
          '"Invalid MSG_TYPE response: %d, read_len: %d" ("" when not printed)',
        ),
        sdkVersion: z.string().describe('ESP.getSdkVersion()'),
      })
      .strict(),
  })
  .strict();

const bsslLine = fmt('').describe('"BSSL:" debug text without the prefix ("" when this release does not print it)');
const Esp8266Values = z
  .object({
    bearssl: z
      .object({
        alertPrefix: z.boolean().describe('getLastSSLError() prefixes "SSL received/sent fatal alert - " (3.0.0+)'),
        handshakeTimeoutMs: z.number().int().min(0).describe('0: _run_until has no timeout (a silent peer hangs)'),
        debug: z
          .object({
            start: bsslLine,
            willFail: bsslLine,
            nameLookup: bsslLine,
            tcpFail: bsslLine,
            resetFail: bsslLine,
            timeout: bsslLine,
            handshakeFailed: bsslLine,
            couldntConnect: fmt('s', ''),
            connected: bsslLine,
          })
          .strict(),
      })
      .strict(),
  })
  .strict();

const SamdValues = z.object({ core: z.object({ name: z.string() }).strict() }).strict();
const ArduinoBearSslValues = z
  .object({
    eccVerifyByDefault: z
      .boolean()
      .describe('ECDSA verification goes through the ECCX08 (P-256/SHA-256 only) even without setEccSlot (<= 1.7.5)'),
    trustAnchors: z.number().int().min(0).describe('built-in anchors (TAs_NUM): documentation, the twin keeps its set'),
  })
  .strict();
const WiFi101Values = z
  .object({ getTimeWaitMs: z.number().int().min(0).describe('WiFi.getTime() polls the WINC this long when unsynced') })
  .strict();

/** Value schema per table (family) and per library table ("mkr1000.ArduinoBearSSL"). */
export const FAMILY_VALUES: Record<string, z.ZodType> = {
  esp32: Esp32Values,
  esp8266: Esp8266Values,
  mkr1000: SamdValues,
  'mkr1000.ArduinoBearSSL': ArduinoBearSslValues,
  'mkr1000.WiFi101': WiFi101Values,
};
