// Mosquitto's log lines as posters paste them (1.x with OpenSSL 1.0/1.1, 2.x with OpenSSL 3), turned into regexes
// for what the rig's Mosquitto 2.0.11 on OpenSSL 3 prints for the same event (docs/tool-facts.md §5): timestamps,
// addresses, ports and client ids generalised, OpenSSL's error codes (whose numbering changed in 3.0) matched by
// their reason text, and 1.x's "Socket error on client <unknown>" also matched by 2.0's "Client <unknown>
// disconnected: Protocol error.".
import type { OutcomeKind } from '../scenario/schema.ts';
import type { SeenLine } from './lines.ts';
import { lit } from './lines.ts';

// A reason packed into OpenSSL's error code (its low 12 bits in 1.1 and 3.0): 1000 + n is "alert n received",
// SSL_R_SSLV3_ALERT_* / SSL_R_TLSV1_ALERT_* in ssl/ssl_err.c, with the text OpenSSL prints for it.
const REASONS: Record<number, string> = {
  0x412: 'sslv3 alert bad certificate',
  0x413: 'sslv3 alert unsupported certificate',
  0x414: 'sslv3 alert certificate revoked',
  0x415: 'sslv3 alert certificate expired',
  0x416: 'sslv3 alert certificate unknown',
  0x418: 'tlsv1 alert unknown ca',
  0x410: 'sslv3 alert handshake failure',
  0x42e: 'tlsv1 alert protocol version',
  0x0c7: 'peer did not return a certificate',
  0x086: 'certificate verify failed',
  0x10b: 'wrong version number',
  0x126: 'unexpected eof while reading',
};

/**
 * What the broker's TLS error says about the client. The alert a board sends names its reason: mbedTLS 2.28
 * (ssl_tls.c, ssl_parse_certificate_verify) sends bad_certificate (42) for a CN mismatch, unknown_ca (48) for an
 * untrusted chain, certificate_expired (45) for dates, certificate_unknown (46) for anything else.
 */
function tlsReason(reason: string): { kind?: OutcomeKind; code?: string } {
  const alert = Object.entries(REASONS).find(([, r]) => r === reason && /alert/.test(r));
  const code = alert ? `alert:${Number(alert[0]) - 1000}` : undefined;
  const kinds: [RegExp, OutcomeKind][] = [
    [/bad certificate/, 'tls/name-mismatch'],
    [/unknown ca/, 'tls/untrusted'],
    [/certificate expired/, 'tls/expired'],
    [/protocol version|wrong version number/, 'tls/protocol-version'],
    [/peer did not return a certificate/, 'tls/client-cert-required'],
    [/certificate verify failed/, 'tls/client-cert-rejected'],
  ];
  const kind = kinds.find(([re]) => re.test(reason))?.[1];
  return { ...(kind ? { kind } : {}), ...(code ? { code } : {}) };
}

/**
 * Mosquitto logs a failed TLS handshake in one of two forms, by when it fails: within the accept ("Client
 * connection from 127.0.0.1 failed: error:…:certificate verify failed.") or on a later read ("OpenSSL Error[0]:
 * error:…"). Which one a run prints is a matter of timing, so each form is read and matched as the other too.
 */
const OPENSSL_PREFIX = String.raw`(?:OpenSSL Error(?:\[\d+\])?|Client connection from \S+ failed)`;

function openSslError(body: string, raw: string): SeenLine | undefined {
  const m = new RegExp(`^${OPENSSL_PREFIX}: error:([0-9A-Fa-f]+):([^:]*):([^:]*):?(.*?)\\.?$`).exec(body);
  if (!m) return undefined;
  const packed = parseInt(m[1]!, 16);
  const posted = m[4]!.trim();
  // A line cut short ("sslv3 ale") is completed from the reason its code carries.
  const known = REASONS[packed & 0xfff];
  const reason = known && (!posted || (known.startsWith(posted) && posted !== known)) ? known : posted;
  if (!reason) return undefined;
  const why = tlsReason(reason);
  return {
    raw,
    source: 'broker',
    format: 'mosquitto',
    regex: `${OPENSSL_PREFIX}: error:[0-9A-Fa-f]+:SSL routines:[^:]*:${lit(reason)}`,
    codes: why.code ? [why.code] : [],
    ...(why.kind ? { kind: why.kind } : {}),
    hints: reason !== posted ? [`reason "${reason}" read from the error code ${m[1]}`] : [],
  };
}

function plain(raw: string, regex: string, extra: Partial<SeenLine> = {}): SeenLine {
  return { raw, source: 'broker', format: 'mosquitto', regex, codes: [], hints: [], ...extra };
}

/** A Mosquitto log line (after an optional timestamp), or undefined. [] for start-up lines that say nothing here. */
export function brokerLine(raw: string): SeenLine[] | undefined {
  const body = raw
    .trim()
    .replace(/^(?:\d{9,10}|\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?):\s*/, '')
    .replace(/\s+$/, '');
  const ssl = openSslError(body, raw.trim());
  if (ssl) return [ssl];
  if (/^New connection from \S+ on port \d+\.?$/.test(body))
    return [plain(raw.trim(), 'New connection from \\S+ on port \\d+\\.')];
  const socket =
    /^(?:Socket error on client (\S+), disconnecting|Client (\S+) disconnected(?::| due to) protocol error)\.?$/i.exec(
      body,
    );
  if (socket) {
    const who = socket[1] ?? socket[2]!;
    const id = who === '<unknown>' ? '<unknown>' : '\\S+';
    return [
      plain(
        raw.trim(),
        `(?:Socket error on client ${id}, disconnecting|Client ${id} disconnected(?::| due to) [Pp]rotocol error)\\.`,
      ),
    ];
  }
  if (/^Client \S+ has exceeded timeout, disconnecting\.?$/.test(body))
    return [
      plain(raw.trim(), 'has exceeded timeout', {
        regex: undefined,
        unprintable: 'the broker prints it only when a client stays silent for its whole keepalive: timing, not cause',
      }),
    ];
  if (/^New client connected from \S+ as \S+/.test(body))
    return [plain(raw.trim(), 'New client connected from \\S+ as \\S+', { kind: 'connected' })];
  const connack = /^Sending CONNACK to \S+ \((\d+), (\d+)\)$/.exec(body);
  if (connack) {
    const rc = Number(connack[2]);
    return [
      plain(raw.trim(), `Sending CONNACK to \\S+ \\(\\d+, ${rc}\\)`, {
        codes: [`connack:${rc}`],
        ...(rc === 5
          ? { kind: 'mqtt/not-authorized' as const }
          : rc === 4
            ? { kind: 'mqtt/bad-credentials' as const }
            : {}),
      }),
    ];
  }
  if (/^Client \S+ disconnected, not authori[sz]ed\.?$/.test(body))
    return [plain(raw.trim(), 'disconnected, not authori[sz]ed', { kind: 'mqtt/not-authorized' })];
  if (
    /^(?:mosquitto version \S+ (?:\(build date [^)]*\) )?(?:starting|running)|Config loaded from|Opening ipv[46] listen socket|Using default config)/.test(
      body,
    )
  )
    return [];
  return undefined;
}
