// Replaces the obvious secrets of a pasted sketch by arduino_secrets.h SECRET_* placeholders
// (contract: sketches/README.md): PEM blocks, WiFi and MQTT credentials, the broker address.
// Only what is unambiguous is replaced; every replacement is listed so the user can check it.

export interface SketchSecrets {
  text: string;
  replaced: string[];
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
  if (/mqtt_?server|broker|mqtt_?host|server_?host|^server$|^host$|mqtt_?broker|serverhostname/.test(n)) return 'SECRET_BROKER';
  return undefined;
}

export function detectBoard(sketch: string): SketchSecrets['board'] {
  if (/#include\s*[<"]ESP8266WiFi\.h|BearSSL::/.test(sketch)) return 'esp8266';
  if (/#include\s*[<"](WiFi101|WiFiNINA|ArduinoBearSSL)\.h/.test(sketch)) return 'mkr1000';
  if (/#include\s*[<"](WiFi|WiFiClientSecure|ESPmDNS)\.h|esp_mqtt|mqtt_client\.h/.test(sketch)) return 'esp32';
  return undefined;
}

export function replaceSketchSecrets(sketch: string): SketchSecrets {
  const replaced: string[] = [];
  let text = sketch;

  // R"DELIM( ...PEM... )DELIM" initialisers.
  text = text.replace(/(\b([A-Za-z_][A-Za-z0-9_]*)\s*(\[\s*\])?\s*(PROGMEM\s*)?=\s*)R"([A-Za-z0-9_]*)\(([\s\S]*?)\)\5"/g,
    (whole, lhs: string, name: string, _a, _b, _d, body: string) => {
      if (!/-----BEGIN /.test(body)) return whole;
      const s = pemSecret(name, body);
      replaced.push(`${name}: PEM → ${s}`);
      return `${lhs}${s}`;
    });
  // "-----BEGIN ...\n" \ "...\n" \ ... "-----END ...\n" (string literals joined by backslash-newlines).
  text = text.replace(/(\b([A-Za-z_][A-Za-z0-9_]*)\s*(\[\s*\])?\s*(PROGMEM\s*)?=\s*\\?\s*)((?:"[^"\n]*"\s*\\?\s*)*"[^"\n]*-----END [A-Z ]+-----[^"\n]*")/g,
    (whole, lhs: string, name: string, _a, _b, body: string) => {
      if (!/-----BEGIN /.test(body)) return whole;
      const s = pemSecret(name, body);
      replaced.push(`${name}: PEM → ${s}`);
      return `${lhs.replace(/\\\s*$/, '')}${s}`;
    });

  // const char* ssid = "..."; and friends.
  let broker: string | undefined;
  text = text.replace(/(\b(?:const\s+)?(?:char\s*\*\s*|char\s+|String\s+)(?:const\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(\[\s*\])?\s*=\s*)"([^"\n]*)"/g,
    (whole, lhs: string, name: string, _arr, value: string) => {
      const s = credentialSecret(name);
      if (!s) return whole;
      if (s === 'SECRET_BROKER') broker = value;
      replaced.push(`${name}: "${s === 'SECRET_BROKER' ? value : '…'}" → ${s}`);
      return `${lhs}${s}`;
    });
  // client.connect(id, "user", "password"): credentials written into the call.
  text = text.replace(/(\.connect\(\s*[^,()]+(?:\([^()]*\))?\s*,\s*)"([^"\n]*)"(\s*,\s*)"([^"\n]*)"/g, (_w, a: string, _u, b: string) => {
    replaced.push('connect(): user and password literals → SECRET_MQTT_USER, SECRET_MQTT_PASS');
    return `${a}SECRET_MQTT_USER${b}SECRET_MQTT_PASS`;
  });
  // #define WIFI_SSID "..." style.
  text = text.replace(/^(\s*#define\s+([A-Za-z_][A-Za-z0-9_]*)\s+)"([^"\n]*)"/gm, (whole, lhs: string, name: string, value: string) => {
    if (/^SECRET_/.test(name)) return whole;
    const s = credentialSecret(name);
    if (!s) return whole;
    if (s === 'SECRET_BROKER') broker = value;
    replaced.push(`#define ${name} → ${s}`);
    return `${lhs}${s}`;
  });

  if (replaced.length > 0 && !/#include\s+"arduino_secrets\.h"/.test(text)) {
    // After the last #include of the head, so the macros exist where they are used.
    const lines = text.split('\n');
    let at = -1;
    lines.forEach((l, i) => { if (/^\s*#include\b/.test(l) && (at === i - 1 || at < 0 || lines.slice(at + 1, i).every((x) => !x.trim()))) at = i; });
    const firstUse = lines.findIndex((l) => /\bSECRET_[A-Z_]+\b/.test(l) && !/^\s*#include/.test(l));
    const insertAt = at >= 0 && (firstUse < 0 || at < firstUse) ? at + 1 : 0;
    lines.splice(insertAt, 0, '#include "arduino_secrets.h"  // [rig new] secrets and certificates');
    text = lines.join('\n');
  } else if (!/#include\s+"arduino_secrets\.h"/.test(text)) {
    text = `#include "arduino_secrets.h"  // [rig new]\n${text}`;
  }
  const board = detectBoard(sketch);
  return { text: text.endsWith('\n') ? text : `${text}\n`, replaced, ...(broker !== undefined ? { broker } : {}), ...(board ? { board } : {}) };
}
