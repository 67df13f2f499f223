// Explanations for what a firmware's TLS build leaves out or limits (build.<board>.tls, docs/tls-build.md) and for
// a cloud broker's policy (broker.personality): a curve, the input buffer, the RSA size, ALPN and SNI.
import type { CertSummary, Outcome } from '../results/schema.ts';
import type { Explanation } from './types.ts';

interface BuildRuleInput {
  certs: CertSummary[];
  outcome: Outcome;
}
type BuildRule = (i: BuildRuleInput) => Explanation | undefined;

const keys = (certs: CertSummary[]): string[] => certs.map((c) => `${c.name}: ${c.key}`);

export const unsupportedCurve: BuildRule = ({ certs, outcome: o }) => {
  if (o.kind !== 'tls/unsupported-curve') return undefined;
  const ec = certs.filter((c) => /^EC/.test(c.key) && !/P-256|prime256v1/.test(c.key));
  return {
    rule: 'unsupported-curve',
    title: `a key on a curve the board's TLS build left out${ec.length ? `: ${ec.map((c) => `${c.name} ${c.key}`).join(', ')}` : ''}`,
    why: "The firmware's mbedTLS was built without this curve (CONFIG_MBEDTLS_ECP_DP_<curve>_ENABLED off), so a certificate or key on it does not even parse.",
    evidence: keys(certs),
    stackRule:
      'mbedTLS: no OID for a curve the build lacks → MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE -0x3A00 (library/pkparse.c)',
    fixes: [
      'reissue the key on P-256 (openssl ecparam -genkey -name prime256v1)',
      'enable the curve in menuconfig (Component config → mbedTLS → Elliptic curves)',
    ],
  };
};

export const recordTooLarge: BuildRule = ({ outcome: o }) => {
  if (o.kind !== 'tls/record-too-large') return undefined;
  return {
    rule: 'record-too-large',
    title: "a TLS record larger than the board's input buffer",
    why: "The firmware's mbedTLS input buffer (CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN) is smaller than a record the broker sent, typically its Certificate message (a long chain or SAN list).",
    evidence: [o.code ?? '', ...(o.facts ?? []).filter((f) => /record-too-large/.test(f))].filter(Boolean),
    stackRule:
      'mbedTLS: -0x7100 "requesting more data than fits" (static buffer), -0x7200 "bad message length" (ssl_msg.c)',
    fixes: [
      'CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN=16384',
      'serve a shorter chain (drop the root, fewer SANs, EC keys)',
      'ask for a max fragment length the broker honours (mbedtls_ssl_conf_max_frag_len)',
    ],
  };
};

export const keyTooLarge: BuildRule = ({ certs, outcome: o }) => {
  if (o.kind !== 'tls/key-too-large') return undefined;
  const big = certs.filter((c) => /^RSA (\d+)/.test(c.key) && Number(/^RSA (\d+)/.exec(c.key)![1]) > 2048);
  return {
    rule: 'key-too-large',
    title: `an RSA key larger than the board's TLS build handles${big.length ? `: ${big.map((c) => `${c.name} ${c.key}`).join(', ')}` : ''}`,
    why: "The firmware's TLS build caps RSA (BearSSL BR_MAX_RSA_SIZE, Tasmota 2048 unless USE_4K_RSA; the ESP32's RSA accelerator 4096 bits).",
    evidence: keys(certs),
    stackRule:
      'BearSSL br_rsa_i15_public: modulus > BR_MAX_RSA_SIZE → 0; esp_bignum.c: > SOC_RSA_MAX_BIT_LEN → -0x000E',
    fixes: [
      'reissue the broker key as RSA 2048 or EC P-256',
      'build the firmware with the larger limit (USE_4K_RSA, CONFIG_MBEDTLS_LARGE_KEY_SOFTWARE_MPI)',
    ],
  };
};

export const brokerPolicy: BuildRule = ({ outcome: o }) => {
  // A board only sees the alert: the front's log line refines it (rig/outcome/refine.ts).
  const kind = o.refinedKind ?? o.kind;
  if (kind !== 'tls/alpn-required' && kind !== 'tls/sni-required') return undefined;
  const alpn = kind === 'tls/alpn-required';
  return {
    rule: alpn ? 'alpn-required' : 'sni-required',
    title: alpn ? 'the broker routes MQTT on this port only with ALPN' : 'the broker needs the endpoint name as SNI',
    why: alpn
      ? 'AWS IoT serves HTTPS and MQTT on 443 and treats a client without the ALPN protocol x-amzn-mqtt-ca as HTTPS.'
      : 'Cloud brokers pick the certificate and the tenant by the server name; a client that sends none (connect by IP) is refused.',
    evidence: [o.refinedBy ?? o.brokerReason ?? '', o.code ?? ''].filter(Boolean),
    stackRule: "the broker front's log (broker.personality)",
    fixes: alpn
      ? ['setAlpnProtocols({"x-amzn-mqtt-ca", NULL}) on WiFiClientSecure', 'use port 8883, which needs no ALPN']
      : [
          'connect by the endpoint name, not its IP address',
          'use a client that sends SNI (BearSSL: connect(host), not connect(IPAddress))',
        ],
  };
};

export const BUILD_RULES: readonly BuildRule[] = [unsupportedCurve, recordTooLarge, keyTooLarge, brokerPolicy];
