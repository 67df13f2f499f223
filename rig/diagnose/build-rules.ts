// Explanations for what a firmware's TLS build leaves out or limits (build.<board>.tls, docs/tls-build.md) and for
// a cloud broker's policy (broker.personality): a curve, the input buffer, the RSA size, ALPN and SNI, a root the
// provider migrated to, a CONNECT too large for the client's buffer or the broker.
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

// Roots a provider moved its server chains to while devices kept the old anchor in their firmware.
const MIGRATIONS = [
  {
    old: /Baltimore CyberTrust Root/i,
    now: /DigiCert Global Root G2/i,
    why: 'Azure IoT Hub moved its server certificates from Baltimore CyberTrust Root to DigiCert Global Root G2 (2023); a device that carries only Baltimore no longer finds an anchor for the chain.',
    fixes: ['add DigiCert Global Root G2 to the trusted roots (keep Baltimore beside it while a hub is not migrated)'],
  },
  {
    old: /DST Root CA X3/i,
    now: /ISRG Root X1/i,
    why: "Let's Encrypt chains (EMQX Cloud, HiveMQ Cloud and most self-hosted brokers) end at ISRG Root X1; the cross-signing DST Root CA X3 expired on 30 September 2021.",
    fixes: ['trust ISRG Root X1 instead of DST Root CA X3'],
  },
];

const untrustedOutcome = (o: Outcome): boolean =>
  (o.refinedKind ?? o.kind) === 'tls/untrusted' || o.code === 'bearssl:62' || o.code === 'mbedtls:-9984';

export const rootMigration: BuildRule = ({ certs, outcome: o }) => {
  if (!untrustedOutcome(o)) return undefined;
  for (const m of MIGRATIONS) {
    const given = certs.find((c) => m.old.test(c.subject));
    const served = certs.find((c) => m.now.test(c.subject) || m.now.test(c.issuer));
    if (!given || !served) continue;
    return {
      rule: 'root-migrated',
      title: `untrusted: the board trusts ${given.subject}, the broker's chain now ends at another root`,
      why: m.why,
      evidence: [`${given.name}: ${given.subject}`, `${served.name}: ${served.subject}, issuer ${served.issuer}`],
      stackRule: 'no trust anchor for the chain: mbedTLS -9984 (verify flags 0x8), BearSSL 62',
      fixes: m.fixes,
    };
  }
  return undefined;
};

export const connectTooLarge: BuildRule = ({ outcome: o }) => {
  const client =
    o.kind === 'mqtt/packet-too-large' &&
    (o.code === 'pubsubclient-too-large:connect' || !!o.facts?.includes('pubsubclient-too-large:connect'));
  const front = /front refused CONNECT .*-byte limit/.test(o.refinedBy ?? '');
  if (!client && !front) return undefined;
  return {
    rule: 'connect-too-large',
    title: client ? "the CONNECT does not fit the MQTT client's buffer" : "the CONNECT is over the broker's limit",
    why: client
      ? "PubSubClient builds CONNECT in its one buffer (256 bytes in 2.8, 128 before): a long username or password, such as Azure IoT Hub's '<hub>/<device>/?api-version=' and its SAS token, does not fit, and connect() gives up before sending anything."
      : 'The broker reads CONNECT packets up to a size and drops a larger one without a CONNACK.',
    evidence: [o.detail ?? '', o.refinedBy ?? ''].filter(Boolean),
    stackRule: client
      ? 'PubSubClient CHECK_STRING_LENGTH: _client->stop(), connect() false, state() unchanged'
      : "the broker front's log (broker.personality)",
    fixes: client
      ? [
          'mqtt.setBufferSize(512) before connect() (PubSubClient 2.8)',
          '#define MQTT_MAX_PACKET_SIZE 512 (2.7 and before, in PubSubClient.h)',
        ]
      : ['shorten the client id, username or password', 'send the long value after connecting'],
  };
};

export const BUILD_RULES: readonly BuildRule[] = [
  unsupportedCurve,
  recordTooLarge,
  keyTooLarge,
  brokerPolicy,
  rootMigration,
  connectTooLarge,
];
