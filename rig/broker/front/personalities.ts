// Cloud brokers' and proxies' TLS policies, as a front in the rig imposes them before the scenario's Mosquitto
// (docs/broker-personalities.md). Each value cites the provider's own documentation; how a refusal looks on the wire
// (which alert) is the rig's model, marked where the provider does not document it.
import type { BrokerPersonalityName } from '../../scenario/schema.ts';
import { shown, type ConnectPolicy } from './connect-policy.ts';

export interface Personality {
  name: BrokerPersonalityName;
  /** No server_name (or an IP literal, which RFC 6066 §3 forbids there): the handshake is refused. */
  requireSni: boolean;
  /** On these logical ports the ClientHello must offer one of these ALPN protocols. */
  alpn?: { ports: number[]; protocols: string[] };
  minVersion: 'TLSv1.2';
  /** OpenSSL cipher list (TLS 1.2); undefined: Node's default. */
  ciphers?: string;
  /** Mutual TLS: the client must present a certificate the listener's CA signed. */
  clientCert: boolean;
  /** The front serves its own certificate (front.cert), not the listener's. */
  ownCertificate: boolean;
  /** What the provider checks in the CONNECT before the broker sees it (connect-policy.ts); none: relayed as is. */
  connect?: ConnectPolicy;
}

export const PERSONALITIES: Record<BrokerPersonalityName, Personality> = {
  // AWS IoT Core developer guide, "Protocols, port mappings, and authentication": MQTT over 443 needs the ALPN
  // protocol x-amzn-mqtt-ca with X.509 client certificates; "Server Name Indication (SNI) support": ATS endpoints
  // require SNI with the endpoint name. "Security policies" (IoTSecurityPolicy_TLS13_1_2_2022_10): TLS 1.2 and 1.3,
  // ECDHE and RSA AES-GCM/CBC suites.
  'aws-iot': {
    name: 'aws-iot',
    requireSni: true,
    alpn: { ports: [443], protocols: ['x-amzn-mqtt-ca'] },
    minVersion: 'TLSv1.2',
    ciphers:
      'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:' +
      'ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA256:AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:AES256-SHA256',
    clientCert: true,
    ownCertificate: false,
  },
  // HiveMQ Cloud documentation ("Connect your device"): TLS on 8883, SNI required ("the client must support SNI"),
  // username and password; no client certificates on the serverless plans.
  'hivemq-cloud': {
    name: 'hivemq-cloud',
    requireSni: true,
    minVersion: 'TLSv1.2',
    clientCert: false,
    ownCertificate: false,
  },
  // nginx stream module with ssl_preread off: ngx_stream_ssl_module terminates TLS with its own certificate; defaults
  // ssl_protocols TLSv1.2 TLSv1.3 (nginx >= 1.23.4) and ssl_ciphers HIGH:!aNULL:!MD5, then proxy_pass to Mosquitto.
  'nginx-stream': {
    name: 'nginx-stream',
    requireSni: false,
    minVersion: 'TLSv1.2',
    ciphers: 'HIGH:!aNULL:!MD5',
    clientCert: false,
    ownCertificate: true,
  },
  // Azure IoT Hub, "Communicate with an IoT hub using the MQTT protocol": port 8883, TLS 1.2, the ClientId is the
  // device ID, the Username "{iotHub-hostname}/{device_id}/?api-version=2021-04-12", the Password a SAS token
  // ("SharedAccessSignature sr=..&sig=..&se=..") unless the device uses an X.509 certificate; "TLS support": SNI is
  // required. "Create and manage device identities": a device ID has up to 128 characters from [A-Za-z0-9] and
  // -.%_*?!(),:=@$'. Quotas: 256 KB per device-to-cloud message, used here as the CONNECT's limit (the rig's model).
  // Which return code a refused CONNECT gets is not documented: 5 (not authorized), as forum threads show for a bad
  // token, and 2 for a device ID IoT Hub cannot have.
  'azure-iot-hub': {
    name: 'azure-iot-hub',
    requireSni: true,
    minVersion: 'TLSv1.2',
    clientCert: false,
    ownCertificate: false,
    connect: {
      maxConnectBytes: 256 * 1024,
      maxClientIdLength: 128,
      clientIdChars: /^[A-Za-z0-9\-.%_*?!(),:=@$']+$/,
      username: 'azure',
      passwordScheme: 'SharedAccessSignature',
      refusal: { clientId: 2, username: 5, password: 5 },
    },
  },
  // EMQX Cloud (Serverless and Dedicated): TLS on 8883 with SNI required ("the client must support SNI" for the
  // shared Serverless endpoint), a Let's Encrypt (ISRG Root X1) chain, and authentication always on: username and
  // password. EMQX defaults (emqx.conf mqtt.max_packet_size 1MB, mqtt.max_clientid_len 65535); a missing credential
  // is refused as bad username or password (EMQX's reason bad_username_or_password → CONNACK 4 / 0x86).
  'emqx-cloud': {
    name: 'emqx-cloud',
    requireSni: true,
    minVersion: 'TLSv1.2',
    clientCert: false,
    ownCertificate: false,
    connect: {
      maxConnectBytes: 1024 * 1024,
      maxClientIdLength: 65535,
      username: 'required',
      passwordScheme: 'any',
      refusal: { clientId: 2, username: 4, password: 4 },
    },
  },
};

/** Why a ClientHello is refused under this policy on this logical port, or undefined when it passes. */
export function helloRefusal(
  p: Personality,
  port: number,
  hello: { sni?: string; alpn: string[] },
): string | undefined {
  if (p.requireSni && !hello.sni) return 'no SNI (server_name) in the ClientHello';
  if (p.requireSni && hello.sni && /^[\d.]+$|:/.test(hello.sni))
    return `SNI "${shown(hello.sni)}" is an IP address, not the endpoint name`;
  if (p.alpn && p.alpn.ports.includes(port) && !hello.alpn.some((a) => p.alpn!.protocols.includes(a))) {
    const offered = hello.alpn.length ? `offered ${shown(hello.alpn.join(','))}` : 'none offered';
    return `no ALPN ${p.alpn.protocols.join('/')} on port ${port} (${offered})`;
  }
  return undefined;
}
