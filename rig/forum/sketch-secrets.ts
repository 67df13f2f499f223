// Replaces the obvious secrets of a pasted sketch by arduino_secrets.h SECRET_* placeholders
// (contract: sketches/README.md): PEM blocks, WiFi and MQTT credentials, the broker address.
// Only what is unambiguous is replaced; every replacement is listed so the user can check it.

export interface SketchSecrets {
  text: string;
  replaced: string[];
  /** The PEM blocks taken out of the sketch (decoded from their C string literals), by placeholder. */
  pems: { secret: string; pem: string }[];
  /** Port literals replaced by SECRET_PORT (the port the rig gives the board). */
  ports: number[];
  /** The broker string literal found in the sketch (a name or a dotted quad), if any. */
  broker?: string;
  board?: 'esp32' | 'esp8266' | 'mkr1000';
}

function pemSecret(varName: string, pem: string): string {
  if (/PRIVATE KEY/.test(pem) || /key/i.test(varName)) return 'SECRET_CLIENT_KEY';
  if (/\bca\b|ca_|_ca|root|trust|anchor/i.test(varName)) return 'SECRET_CA_CERT';
  if (/client|device|cert/i.test(varName)) return 'SECRET_CLIENT_CERT';
  return 'SECRET_CA_CERT';
}

function credentialSecret(varName: string): string | undefined {
  const n = varName.toLowerCase();
  if (/ssid/.test(n)) return 'SECRET_SSID';
  if (/mqtt.*(user|name)|^user(name)?$|mqtt_?usr/.test(n)) return 'SECRET_MQTT_USER';
  if (/mqtt.*pass|broker.*pass/.test(n)) return 'SECRET_MQTT_PASS';
  if (/pass|psk|wifi_?key/.test(n)) return 'SECRET_PASS';
  if (/mqtt_?server|broker|mqtt_?host|server_?host|^server$|^host$|mqtt_?broker|serverhostname/.test(n))
    return 'SECRET_BROKER';
  return undefined;
}

function detectBoard(sketch: string): SketchSecrets['board'] {
  if (/#include\s*[<"]ESP8266WiFi\.h|BearSSL::/.test(sketch)) return 'esp8266';
  if (/#include\s*[<"](WiFi101|WiFiNINA|ArduinoBearSSL)\.h/.test(sketch)) return 'mkr1000';
  if (/#include\s*[<"](WiFi|WiFiClientSecure|ESPmDNS)\.h|esp_mqtt|mqtt_client\.h/.test(sketch)) return 'esp32';
  return undefined;
}

/** The text of C string literals ("..." pieces joined), with the escapes a pasted PEM uses. */
function cStringText(body: string): string {
  return [...body.matchAll(/"((?:[^"\\\n]|\\.)*)"/g)]
    .map((m) => m[1]!)
    .join('')
    .replace(/\\n/g, '\n')
    .replace(/\\r/g, '')
    .replace(/\\"/g, '"')
    .replace(/\\\\/g, '\\');
}

/** A broker address that is a placeholder ("YOUR_BROKER_IP", "<broker_ip>", "xxx.xxx.x.x"), not a name. */
export function isPlaceholderHost(value: string): boolean {
  const v = value.trim();
  return v === '' || /^<.*>$|your|x{3}|(^|[_-])ip$/i.test(v) || (/^[\dx]+(\.[\dx]+){3}$/i.test(v) && /x/i.test(v));
}

/**
 * Port literals where the sketch gives the broker its port: setServer(host, 8883), client.connect(host, 8883),
 * `const int mqtt_port = 8883;`, `#define MQTT_PORT 8883`, `.port = 8883`. The post's port (a NAT forward,
 * another listener) means nothing to the rig: the board must use the one the rig maps its listener to.
 */
function replacePorts(text: string, ports: number[]): string {
  const take = (lit: string) => {
    ports.push(Number(lit));
    return 'SECRET_PORT';
  };
  return text
    .replace(
      /(\.(?:setServer|connect)\(\s*[^,()"]+(?:\([^()]*\))?\s*,\s*)(\d{2,5})(\s*\))/g,
      (_w, a: string, n: string, b: string) => `${a}${take(n)}${b}`,
    )
    .replace(
      /(\b(?:const\s+)?(?:unsigned\s+)?(?:int|uint16_t|uint32_t|long|short|word|size_t)\s+\w*port\w*\s*=\s*)(\d{2,5})\b/gi,
      (_w, a: string, n: string) => `${a}${take(n)}`,
    )
    .replace(/^(\s*#define\s+\w*PORT\w*\s+)(\d{2,5})\b/gim, (_w, a: string, n: string) => `${a}${take(n)}`)
    .replace(/(\.port\s*=\s*)(\d{2,5})\b/g, (_w, a: string, n: string) => `${a}${take(n)}`);
}

export function replaceSketchSecrets(sketch: string): SketchSecrets {
  const replaced: string[] = [];
  const pems: { secret: string; pem: string }[] = [];
  let text = sketch;

  // R"DELIM( ...PEM... )DELIM" initialisers.
  text = text.replace(
    /(\b([A-Za-z_][A-Za-z0-9_]*)\s*(\[\s*\])?\s*(PROGMEM\s*)?=\s*)R"([A-Za-z0-9_]*)\(([\s\S]*?)\)\5"/g,
    (whole, lhs: string, name: string, _a, _b, _d, body: string) => {
      if (!/-----BEGIN /.test(body)) return whole;
      const s = pemSecret(name, body);
      replaced.push(`${name}: PEM → ${s}`);
      pems.push({ secret: s, pem: body.replace(/^\s*\n/, '') });
      return `${lhs}${s}`;
    },
  );
  // "-----BEGIN ...\n" \ "...\n" \ ... "-----END ...\n" (string literals joined by backslash-newlines).
  text = text.replace(
    /(\b([A-Za-z_][A-Za-z0-9_]*)\s*(\[\s*\])?\s*(PROGMEM\s*)?=\s*\\?\s*)((?:"[^"\n]*"\s*\\?\s*)*"[^"\n]*-----END [A-Z ]+-----[^"\n]*")/g,
    (whole, lhs: string, name: string, _a, _b, body: string) => {
      if (!/-----BEGIN /.test(body)) return whole;
      const s = pemSecret(name, body);
      replaced.push(`${name}: PEM → ${s}`);
      pems.push({ secret: s, pem: cStringText(body) });
      return `${lhs.replace(/\\\s*$/, '')}${s}`;
    },
  );

  // const char* ssid = "..."; and friends.
  let broker: string | undefined;
  text = text.replace(
    /(\b(?:const\s+)?(?:char\s*\*\s*|char\s+|String\s+)(?:const\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(\[\s*\])?\s*=\s*)"([^"\n]*)"/g,
    (whole, lhs: string, name: string, _arr, value: string) => {
      const s = credentialSecret(name);
      if (!s) return whole;
      if (s === 'SECRET_BROKER') broker = value;
      replaced.push(`${name}: "${s === 'SECRET_BROKER' ? value : '…'}" → ${s}`);
      return `${lhs}${s}`;
    },
  );
  // client.connect(id, "user", "password"): credentials written into the call.
  text = text.replace(
    /(\.connect\(\s*[^,()]+(?:\([^()]*\))?\s*,\s*)"([^"\n]*)"(\s*,\s*)"([^"\n]*)"/g,
    (_w, a: string, _u, b: string) => {
      replaced.push('connect(): user and password literals → SECRET_MQTT_USER, SECRET_MQTT_PASS');
      return `${a}SECRET_MQTT_USER${b}SECRET_MQTT_PASS`;
    },
  );
  // #define WIFI_SSID "..." style.
  text = text.replace(
    /^(\s*#define\s+([A-Za-z_][A-Za-z0-9_]*)\s+)"([^"\n]*)"/gm,
    (whole, lhs: string, name: string, value: string) => {
      if (/^SECRET_/.test(name)) return whole;
      const s = credentialSecret(name);
      if (!s) return whole;
      if (s === 'SECRET_BROKER') broker = value;
      replaced.push(`#define ${name} → ${s}`);
      return `${lhs}${s}`;
    },
  );

  const ports: number[] = [];
  text = replacePorts(text, ports);
  if (ports.length)
    replaced.push(`port ${[...new Set(ports)].join(', ')} → SECRET_PORT (the rig's port for the scenario's listener)`);

  if (replaced.length > 0 && !/#include\s+"arduino_secrets\.h"/.test(text)) {
    // After the last #include of the head, so the macros exist where they are used.
    const lines = text.split('\n');
    let at = -1;
    lines.forEach((l, i) => {
      if (/^\s*#include\b/.test(l) && (at === i - 1 || at < 0 || lines.slice(at + 1, i).every((x) => !x.trim())))
        at = i;
    });
    const firstUse = lines.findIndex((l) => /\bSECRET_[A-Z_]+\b/.test(l) && !/^\s*#include/.test(l));
    const insertAt = at >= 0 && (firstUse < 0 || at < firstUse) ? at + 1 : 0;
    lines.splice(insertAt, 0, '#include "arduino_secrets.h"  // [rig new] secrets and certificates');
    text = lines.join('\n');
  } else if (!/#include\s+"arduino_secrets\.h"/.test(text)) {
    text = `#include "arduino_secrets.h"  // [rig new]\n${text}`;
  }
  const board = detectBoard(sketch);
  return {
    text: text.endsWith('\n') ? text : `${text}\n`,
    replaced,
    pems,
    ports: [...new Set(ports)],
    ...(broker !== undefined ? { broker } : {}),
    ...(board ? { board } : {}),
  };
}
