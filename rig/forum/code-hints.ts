// What code that is no whole sketch tells (an ESP-IDF esp_mqtt_client_config_t, a snippet, a sketch cut short):
// the broker the board connects to, the port, the certificate file the firmware embeds, whether it logs in or
// presents a client certificate. Read only; such code is never built. Pure.

export interface CodeHints {
  /** The broker as the code names it: a host name or a dotted quad. */
  broker?: string;
  port?: number;
  /** A file the firmware embeds as its CA ("iot_eclipse_org_pem_start" → iot_eclipse_org.pem). */
  embeds?: string;
  /** The code gives a CA (setCACert, cert_pem, setTrustAnchors, a PEM literal). */
  ca: boolean;
  /** The code gives a client certificate and key. */
  clientCert: boolean;
  /** The code logs in with a user name and password. */
  login: boolean;
}

const URI = /\bmqtts?:\/\/(?:[^@\s"/]*@)?([A-Za-z0-9.-]+)(?::(\d+))?/;

function brokerOf(text: string): { host?: string; port?: number } {
  const uri = URI.exec(text);
  if (uri) return { host: uri[1], ...(uri[2] ? { port: Number(uri[2]) } : {}) };
  const ip = /\bIPAddress\s+\w+\s*\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)/.exec(text);
  if (ip) return { host: ip.slice(1, 5).join('.') };
  const named =
    /\b(?:mqtt_?server|mqttServer|mqtt_?broker|broker|mqtt_?host|server_?host|serverHostname|host|server)\w*\s*(?:\[\s*\])?\s*=\s*"([^"\s]+)"/i.exec(
      text,
    );
  if (named) return { host: named[1] };
  const call = /\.(?:setServer|connect)\(\s*"([^"\s]+)"\s*,/.exec(text);
  return call ? { host: call[1] } : {};
}

function portOf(text: string): number | undefined {
  const m =
    /\.port\s*=\s*"?(\d{2,5})"?/.exec(text) ??
    /\b\w*port\w*\s*=\s*(\d{2,5})\b/i.exec(text) ??
    /\.setServer\([^,()]+,\s*(\d{2,5})\s*\)/.exec(text) ??
    /#define\s+\w*PORT\w*\s+(\d{2,5})\b/i.exec(text);
  return m ? Number(m[1]) : undefined;
}

export function codeHints(text: string): CodeHints {
  const b = brokerOf(text);
  const port = b.port ?? portOf(text);
  const embedded = /\b(\w+)_(pem|crt|cer)_start\b/.exec(text);
  return {
    ...(b.host ? { broker: b.host } : {}),
    ...(port ? { port } : {}),
    ...(embedded ? { embeds: `${embedded[1]}.${embedded[2]}` } : {}),
    ca: /setCACert|cert_pem\s*=|setTrustAnchors|\.certificate\s*=|BEGIN CERTIFICATE|\bTAs\b/.test(text),
    clientCert:
      /setCertificate\s*\(|setPrivateKey\s*\(|setClientRSACert|setClientECCert|client_cert_pem|fromPEM\s*\(|BEGIN (?:RSA |EC )?PRIVATE KEY/.test(
        text,
      ),
    login: /\.username\s*=|mqtt_?user(?:name)?\s*=|\.connect\([^)]*,[^)]*,[^)]*\)|setCredentials|\.password\s*=/i.test(
      text,
    ),
  };
}

/**
 * Public test brokers whose certificates a post may have fetched or downloaded. The scenario's own broker stands
 * for them; what is known of the certificate they served then is kept (docs/tls-esp32.md §6: the 2012
 * test.mosquitto.org CA, RSA-1024, which arduino-esp32 and esp-tls refuse with flag 0x10000).
 */
export const PUBLIC_BROKERS: Record<string, { note: string; weakCa?: boolean }> = {
  'test.mosquitto.org': {
    note: 'test.mosquitto.org served a chain from its 2012 CA (mosquitto.org.crt), an RSA-1024 key',
    weakCa: true,
  },
  'iot.eclipse.org': { note: 'iot.eclipse.org (now mqtt.eclipseprojects.io) served a Let\u2019s Encrypt chain' },
  'mqtt.eclipseprojects.io': { note: 'mqtt.eclipseprojects.io serves a Let\u2019s Encrypt chain' },
  'broker.hivemq.com': { note: 'broker.hivemq.com serves a public CA chain' },
  'broker.emqx.io': { note: 'broker.emqx.io serves a public CA chain' },
};

export function isPublicBroker(host: string | undefined): boolean {
  return (
    host !== undefined && (host in PUBLIC_BROKERS || /\.(hivemq\.cloud|amazonaws\.com|azure-devices\.net)$/.test(host))
  );
}
