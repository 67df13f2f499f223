// A PC client's output as posters paste it: mosquitto_sub/mosquitto_pub (-d), openssl s_client, Python paho
// (ssl module exceptions), MQTT.fx / Java (javax.net.ssl). The control boards stand for these clients:
// mosquitto-cli for the mosquitto tools, control (mqtt.js on OpenSSL) for the others.
import type { OutcomeKind } from '../scenario/schema.ts';
import type { SeenLine } from './lines.ts';

function pc(raw: string, format: string, extra: Partial<SeenLine>): SeenLine {
  return { raw: raw.trim(), source: 'pc', format, codes: [], hints: [], ...extra };
}

// X509_V_ERR numbers `openssl s_client` prints (include/openssl/x509_vfy.h), as rig/control/classify.ts names them.
const S_CLIENT: Record<number, OutcomeKind> = {
  2: 'tls/untrusted',
  9: 'tls/not-yet-valid',
  10: 'tls/expired',
  18: 'tls/untrusted',
  19: 'tls/untrusted',
  20: 'tls/untrusted',
  21: 'tls/untrusted',
  62: 'tls/name-mismatch',
  64: 'tls/name-mismatch',
};

function sslText(text: string): OutcomeKind | undefined {
  if (/hostname mismatch|IP address mismatch|doesn't match|not valid for/i.test(text)) return 'tls/name-mismatch';
  if (/self[- ]signed|unable to get local issuer|unable to find valid certification path|unknown ca/i.test(text))
    return 'tls/untrusted';
  if (/certificate has expired|certificate expired/i.test(text)) return 'tls/expired';
  if (/WRONG_VERSION_NUMBER|protocol version/i.test(text)) return 'tls/protocol-version';
  return undefined;
}

export function pcLine(raw: string): SeenLine[] | undefined {
  const l = raw.trim();
  if (/^Error: A TLS error occurred\.?$/.test(l))
    return [pc(l, 'mosquitto_sub', { regex: 'A TLS error occurred', hints: ['mosquitto_sub/pub failed in TLS'] })];
  const refused = /^Connection (?:error: )?Connection Refused: (not authori[sz]ed|bad user name or password)\.?/i.exec(
    l,
  );
  if (refused)
    return [
      pc(l, 'mosquitto_sub', {
        kind: /bad user/i.test(refused[1]!) ? 'mqtt/bad-credentials' : 'mqtt/not-authorized',
      }),
    ];
  const clientLine =
    /^Client (?:mosq(?:sub|pub)?[-|/]\S*|null|\S+) (?:sending|received) (CONNECT|CONNACK|SUBSCRIBE|SUBACK|PUBLISH|PINGREQ|PINGRESP)\b(?: \((\d+)\))?/.exec(
      l,
    );
  if (clientLine) {
    const rc = clientLine[2] !== undefined ? Number(clientLine[2]) : undefined;
    return [
      pc(l, 'mosquitto_sub', {
        ...(clientLine[1] === 'CONNACK' && rc === 0 ? { kind: 'connected' as const } : {}),
        ...(clientLine[1] === 'CONNACK' && rc === 5 ? { kind: 'mqtt/not-authorized' as const } : {}),
      }),
    ];
  }
  const verify = /^verify error:num=(\d+):(.*)$/.exec(l);
  if (verify) {
    const kind = S_CLIENT[Number(verify[1])];
    return [pc(l, 'openssl s_client', { ...(kind ? { kind } : {}), codes: [`x509:${verify[1]}`] })];
  }
  const code = /^Verify return code: (\d+) \((.*)\)$/.exec(l);
  if (code) {
    const n = Number(code[1]);
    return [
      pc(l, 'openssl s_client', n === 0 ? { kind: 'connected' } : { ...(S_CLIENT[n] ? { kind: S_CLIENT[n] } : {}) }),
    ];
  }
  if (/^(?:CONNECTED\(\d+\)|depth=\d+ |verify return:\d)/.test(l)) return [];
  const py =
    /\b(ssl\.SSL(?:CertVerification)?Error|SSLCertVerificationError|javax\.net\.ssl\.\w+|SSLHandshakeException|MqttException)\b:?\s*(.*)$/.exec(
      l,
    );
  if (py) {
    const kind = sslText(py[2]!);
    return [pc(l, /javax|Mqtt/.test(py[1]!) ? 'java (MQTT.fx)' : 'python', kind ? { kind } : {})];
  }
  return undefined;
}
