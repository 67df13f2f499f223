// Control-client failures → canonical outcome kinds. Raw codes stay raw ("openssl:CERT_HAS_EXPIRED",
// "connack:5", "node:ECONNREFUSED"); the kind makes a control comparable with the boards.
// Node error codes measured with mqtt.js 5 against mosquitto 2.0.11 (docs/tool-facts.md §4).
import type { OutcomeKind } from '../scenario/schema.ts';

export interface Classified {
  kind: OutcomeKind;
  code: string;
}

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'CERT_CHAIN_TOO_LONG',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
]);
const CLIENT_CERT_REJECTED = new Set([
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
  'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
]);
const PROTOCOL_VERSION = /protocol version|unsupported protocol|no protocols available|alert number 70\b/i;

/** An error from mqtt.js / Node's tls: `code` is a string (Node, OpenSSL) or a CONNACK return code. */
export function classifyNodeError(
  err: { code?: string | number; message: string },
  ctx: { clientCert: boolean },
): Classified {
  const { code, message } = err;
  if (typeof code === 'number') {
    // MQTT 3.1.1 CONNACK 4/5, MQTT 5 reason codes 134/135 (ErrorWithReasonCode in mqtt.js src/lib/handlers/connack.ts).
    const kind: OutcomeKind =
      code === 5 || code === 135
        ? 'mqtt/not-authorized'
        : code === 4 || code === 134
          ? 'mqtt/bad-credentials'
          : 'unknown';
    return { kind, code: `connack:${code}` };
  }
  const c = code ?? '';
  const raw = (prefix: string) => `${prefix}:${c || 'none'}`;
  if (c === 'ERR_TLS_CERT_ALTNAME_INVALID') return { kind: 'tls/name-mismatch', code: raw('openssl') };
  if (c === 'CERT_HAS_EXPIRED') return { kind: 'tls/expired', code: raw('openssl') };
  if (c === 'CERT_NOT_YET_VALID') return { kind: 'tls/not-yet-valid', code: raw('openssl') };
  if (UNTRUSTED.has(c)) return { kind: 'tls/untrusted', code: raw('openssl') };
  if (/md too weak|digest algorithm too weak/i.test(message))
    return { kind: 'tls/weak-signature', code: raw('openssl') };
  if (/key too small/i.test(message)) return { kind: 'tls/weak-key', code: raw('openssl') };
  if (c === 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED')
    return { kind: 'tls/client-cert-required', code: raw('openssl') };
  if (CLIENT_CERT_REJECTED.has(c)) {
    return { kind: ctx.clientCert ? 'tls/client-cert-rejected' : 'tls/handshake-failed', code: raw('openssl') };
  }
  if (
    PROTOCOL_VERSION.test(message) ||
    c === 'ERR_SSL_UNSUPPORTED_PROTOCOL' ||
    c === 'ERR_SSL_NO_PROTOCOLS_AVAILABLE'
  ) {
    return { kind: 'tls/protocol-version', code: raw('openssl') };
  }
  if (c === 'ECONNREFUSED') return { kind: 'tcp/refused', code: raw('node') };
  if (c === 'ECONNRESET' || c === 'EPIPE') return { kind: 'tcp/reset', code: raw('node') };
  if (c === 'ENOTFOUND' || c === 'EAI_AGAIN') return { kind: 'dns/failed', code: raw('node') };
  if (/connack timeout/i.test(message)) return { kind: 'timeout', code: 'mqttjs:connack-timeout' };
  if (c === 'ETIMEDOUT') return { kind: 'timeout', code: raw('node') };
  if (c.startsWith('ERR_SSL') || c === 'EPROTO') return { kind: 'tls/handshake-failed', code: raw('openssl') };
  return { kind: 'unknown', code: raw('node') };
}

// OpenSSL X509_V_ERR numbers as printed by `openssl s_client` ("verify error:num=10:certificate has expired"),
// named like Node's error codes so both controls give the same raw code (openssl include/openssl/x509_vfy.h).
const X509_V_ERR: Record<number, { name: string; kind: OutcomeKind }> = {
  2: { name: 'UNABLE_TO_GET_ISSUER_CERT', kind: 'tls/untrusted' },
  7: { name: 'CERT_SIGNATURE_FAILURE', kind: 'tls/untrusted' },
  9: { name: 'CERT_NOT_YET_VALID', kind: 'tls/not-yet-valid' },
  10: { name: 'CERT_HAS_EXPIRED', kind: 'tls/expired' },
  18: { name: 'DEPTH_ZERO_SELF_SIGNED_CERT', kind: 'tls/untrusted' },
  19: { name: 'SELF_SIGNED_CERT_IN_CHAIN', kind: 'tls/untrusted' },
  20: { name: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', kind: 'tls/untrusted' },
  21: { name: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', kind: 'tls/untrusted' },
  24: { name: 'INVALID_CA', kind: 'tls/untrusted' },
  26: { name: 'INVALID_PURPOSE', kind: 'tls/untrusted' },
  62: { name: 'HOSTNAME_MISMATCH', kind: 'tls/name-mismatch' },
  64: { name: 'IP_ADDRESS_MISMATCH', kind: 'tls/name-mismatch' },
  66: { name: 'EE_KEY_TOO_SMALL', kind: 'tls/weak-key' },
  67: { name: 'CA_KEY_TOO_SMALL', kind: 'tls/weak-key' },
  68: { name: 'CA_MD_TOO_WEAK', kind: 'tls/weak-signature' },
};

/** `openssl s_client` output → the verify error it reports, if any. */
export function classifyVerifyError(sClientOutput: string): Classified | undefined {
  const m = /verify error:num=(\d+):/.exec(sClientOutput);
  if (!m) return undefined;
  const e = X509_V_ERR[Number(m[1])];
  return e
    ? { kind: e.kind, code: `openssl:${e.name}` }
    : { kind: 'tls/untrusted', code: `openssl:X509_V_ERR_${m[1]}` };
}

/**
 * mosquitto_pub/mosquitto_sub (run with -d) exit code and output → outcome. Strings from
 * eclipse/mosquitto client/pub_client.c, client_shared.c and lib/strings_mosq.c (2.0.11), measured here.
 * `needsVerifyDiagnosis` is set for "certificate verify failed", which the CLI does not explain.
 */
export function classifyCliOutput(
  exitCode: number,
  output: string,
  ctx: { clientCert: boolean; tls: boolean },
): Classified & { needsVerifyDiagnosis?: boolean; inferred?: string } {
  // The exit status depends on where libmosquitto noticed the failure (1 or 8 for one cause, measured), so
  // codes come from what the CLI printed; the exit status is the code only when nothing better was printed.
  const raw = `mosquitto_cli:${exitCode}`;
  const alert =
    /alert (unknown ca|bad certificate|decrypt error|certificate unknown|unsupported certificate|certificate expired|certificate required|protocol version)/i
      .exec(output)?.[1]
      ?.toLowerCase()
      .replace(/ /g, '_');
  if (/Connection Refused: not authori[sz]ed/i.test(output)) return { kind: 'mqtt/not-authorized', code: 'connack:5' };
  if (/Connection Refused: bad user name or password/i.test(output))
    return { kind: 'mqtt/bad-credentials', code: 'connack:4' };
  // libmosquitto checks the name itself (X509_VERIFY_PARAM_set1_host): OpenSSL's verify error 62.
  if (/host name verification failed/i.test(output))
    return { kind: 'tls/name-mismatch', code: 'openssl:HOSTNAME_MISMATCH' };
  if (alert === 'certificate_required') return { kind: 'tls/client-cert-required', code: `tls-alert:${alert}` };
  if (alert && alert !== 'protocol_version') {
    return { kind: ctx.clientCert ? 'tls/client-cert-rejected' : 'tls/handshake-failed', code: `tls-alert:${alert}` };
  }
  if (PROTOCOL_VERSION.test(output)) return { kind: 'tls/protocol-version', code: alert ? `tls-alert:${alert}` : raw };
  if (/ca md too weak|digest algorithm too weak/i.test(output))
    return { kind: 'tls/weak-signature', code: 'openssl:CA_MD_TOO_WEAK' };
  if (/key too small/i.test(output)) return { kind: 'tls/weak-key', code: 'openssl:EE_KEY_TOO_SMALL' };
  if (/certificate verify failed/i.test(output))
    return { kind: 'tls/untrusted', code: raw, needsVerifyDiagnosis: true };
  if (/Error: Connection refused/i.test(output)) return { kind: 'tcp/refused', code: 'errno:ECONNREFUSED' };
  if (/Lookup error|Name or service not known|Temporary failure in name resolution/i.test(output))
    return { kind: 'dns/failed', code: raw };
  // With TLS 1.3 a require_certificate broker rejects after the client's handshake is done; depending on
  // timing the CLI then reports only "Protocol error" (measured), never the alert.
  if (/Error: Protocol error/.test(output) && ctx.tls) {
    return {
      kind: ctx.clientCert ? 'tls/client-cert-rejected' : 'tls/client-cert-required',
      code: raw,
      inferred: 'inferred from "Protocol error" on a TLS connection: the CLI did not print the TLS 1.3 alert',
    };
  }
  if (/The connection was lost/i.test(output)) return { kind: 'mqtt/connection-lost', code: raw };
  if (/A TLS error occurred/i.test(output)) return { kind: 'tls/handshake-failed', code: raw };
  if (/Protocol error/i.test(output)) return { kind: 'tcp/reset', code: raw };
  return { kind: 'unknown', code: raw };
}
