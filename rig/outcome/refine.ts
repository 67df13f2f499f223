// A board reports what it can know: a handshake_failure alert, a reset, a closed connection. Why the broker
// refused is in the broker's log ("peer did not return a certificate", "no shared cipher"). This turns those
// log lines into a refinement recorded beside the board's own kind, never in its place.
import type { Outcome } from '../results/schema.ts';
import type { OutcomeKind } from '../scenario/schema.ts';

interface BrokerReason {
  /** OpenSSL's reason string as Mosquitto logs it ("OpenSSL Error[0]: error:0A0000C7:SSL routines::<reason>"). */
  match: RegExp;
  reason: string;
  /** The kind the reason narrows an ambiguous board kind to; none when it names no kind of its own. */
  kind?: OutcomeKind;
}

// OpenSSL 3 reason strings (crypto/err/openssl.txt, SSL_R_*): what the broker side saw go wrong in a handshake.
const REASONS: BrokerReason[] = [
  // SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE: require_certificate and the client sent none (alert 40 on TLS 1.2).
  {
    match: /peer did not return a certificate/,
    reason: 'peer did not return a certificate',
    kind: 'tls/client-cert-required',
  },
  // SSL_R_CERTIFICATE_VERIFY_FAILED on the broker: the client's certificate did not verify against its cafile.
  {
    match: /SSL routines::certificate verify failed/,
    reason: 'certificate verify failed',
    kind: 'tls/client-cert-rejected',
  },
  // SSL_R_UNSUPPORTED_PROTOCOL: the client's highest version is below the listener's tls_version.
  { match: /unsupported protocol/, reason: 'unsupported protocol', kind: 'tls/protocol-version' },
  // The same alert 40 as a missing certificate: no suite the client offered is enabled on the listener.
  { match: /no shared cipher/, reason: 'no shared cipher' },
  // The broker front's refusals (rig/broker/front, broker.personality): a cloud broker's SNI and ALPN rules.
  { match: /front refused .*: no ALPN/, reason: 'no ALPN', kind: 'tls/alpn-required' },
  { match: /front refused .*: (no SNI|SNI "[^"]*" is an IP address)/, reason: 'no SNI', kind: 'tls/sni-required' },
  // The front's CONNECT limits (connect-policy.ts): a CONNECT over the provider's size is dropped without a CONNACK.
  // A reason only: as a kind it would make every cell expecting mqtt/packet-too-large (the client's own buffer,
  // decided on the board) wait for a broker line that never comes.
  { match: /front refused CONNECT .*-byte limit/, reason: 'CONNECT too large' },
  // SSL_R_WRONG_VERSION_NUMBER: bytes that are no TLS record (plain MQTT sent to a TLS port).
  { match: /wrong version number/, reason: 'wrong version number' },
];

/** Board kinds that say only "the peer refused" or "the connection ended": the broker may say why. */
const AMBIGUOUS: ReadonlySet<string> = new Set([
  'tls/handshake-failed',
  'tcp/reset',
  'mqtt/connection-lost',
  'unknown',
]);
/** A board's own timeout keeps its kind, but the broker's reason is recorded beside it. */
const REASON_ONLY: ReadonlySet<string> = new Set(['timeout']);

/** True when the broker's log could still refine this board kind. */
export function refinable(kind: Outcome['kind']): boolean {
  return AMBIGUOUS.has(kind) || REASON_ONLY.has(kind);
}

/** True when some broker reason refines to this kind (waiting for the broker's log can still meet it). */
export function refinesTo(kind: string): boolean {
  return REASONS.some((r) => r.kind === kind);
}

/**
 * The outcome with the broker's reason beside the board's kind, when the board's kind is ambiguous and the
 * cell's broker log names one reason (several different ones: the reasons are listed, nothing is refined).
 */
export function refineOutcome(o: Outcome, brokerLog: readonly string[]): Outcome {
  if (!refinable(o.kind)) return o;
  const found: { r: BrokerReason; line: string }[] = [];
  for (const line of brokerLog) {
    const r = REASONS.find((x) => x.match.test(line));
    if (r && !found.some((f) => f.r === r)) found.push({ r, line });
  }
  if (found.length === 0) return o;
  const kinds = new Set(found.map((f) => f.r.kind));
  const kind = kinds.size === 1 ? found[0]!.r.kind : undefined;
  return {
    ...o,
    brokerReason: found.map((f) => f.r.reason).join('; '),
    refinedBy: found[0]!.line,
    ...(kind && AMBIGUOUS.has(o.kind) && kind !== o.kind ? { refinedKind: kind } : {}),
  };
}

/** "tls/handshake-failed (bearssl:296), refined by the broker to tls/client-cert-required (peer did not …)". */
export function describeOutcome(o: Outcome): string {
  const board = `${o.kind}${o.code ? ` (${o.code})` : ''}`;
  if (o.refinedKind) return `${board}, refined by the broker to ${o.refinedKind} (${o.brokerReason ?? ''})`;
  if (o.brokerReason) return `${board}; broker: ${o.brokerReason}`;
  return board;
}
