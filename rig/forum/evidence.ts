// What a post tells, put together: the classified lines (serial, broker log, PC client), the outcome they state
// (raw codes and a kind), the board family, its TLS library and core line format, the broker the board connects
// to, and what the poster says of PC clients ("MQTT.fx connects fine"). Pure.
import type { OutcomeKind } from '../scenario/schema.ts';
import { classifyLines, type SeenLine } from './lines.ts';

export type Family = 'esp32' | 'esp8266' | 'mkr1000';
/** The TLS client the post's board runs, where it decides the rig's sketch. */
export type Library = 'esp-mqtt' | 'sslclient' | 'wifisslclient' | 'mongoose-os' | 'axtls';

export interface PcClaim {
  client: 'control' | 'mosquitto-cli';
  works: boolean;
  /** The poster's sentence, or the PC client's line. */
  said: string;
  /** What the PC client's own output says failed, when it says. */
  kind?: OutcomeKind;
}

export interface Evidence {
  lines: SeenLine[];
  serial: SeenLine[];
  broker: SeenLine[];
  pc: SeenLine[];
  codes: string[];
  /** The kind the lines state, if any (the board's own lines first, then the broker's, then PC output). */
  kind?: OutcomeKind;
  dnsFailed?: string;
  family?: Family;
  /** Where `family` came from, for the notes. */
  familyFrom?: string;
  library?: Library;
  pcClaims: PcClaim[];
  notes: string[];
}

const FAMILY_WORDS: [RegExp, Family][] = [
  [/\b(ESP-?32|ESP32-\w+|WROOM-32|Lollin32|ESP-WROOM-32U?)\b/i, 'esp32'],
  [/\b(ESP-?8266|NodeMCU|Wemos D1|D1 mini|ESP-?01)\b/i, 'esp8266'],
  [/\b(MKR ?1000|MRK ?1000|MKR ?WiFi ?1010|Nano 33 IoT|SAMD21|WINC1500|MKR)\b/i, 'mkr1000'],
];

function familyFromLines(lines: SeenLine[]): Family | undefined {
  const h = lines.flatMap((l) => l.hints);
  if (h.some((x) => /^esp32|^esp-idf$|mongoose-os/.test(x))) return 'esp32';
  if (h.includes('esp8266')) return 'esp8266';
  return undefined;
}

/** The board the failure is about: the sentence with a failure word wins over a passing mention. */
function familyFromProse(prose: string): Family | undefined {
  const sentences = prose.split(/(?<=[.!?])\s+|\n+/);
  const failing = sentences.filter((s) =>
    /fail|error|can'?t|cannot|not (?:able|work|connect)|doesn'?t|problem/i.test(s),
  );
  for (const pool of [failing, sentences]) {
    for (const s of pool) {
      const hit = FAMILY_WORDS.find(([re]) => re.test(s));
      if (hit) return hit[1];
    }
  }
  return undefined;
}

function libraryOf(text: string, lines: SeenLine[]): Library | undefined {
  const hints = lines.flatMap((l) => l.hints);
  if (hints.includes('sslclient') || /#include\s*[<"]SSLClient\.h|\bSSLClient\s+\w+\s*\(/.test(text))
    return 'sslclient';
  if (
    hints.includes('esp-idf') ||
    /esp_mqtt_client_config_t|esp_mqtt_client_init|CONFIG_BROKER_URI|mqtt_ssl example/i.test(text)
  )
    return 'esp-mqtt';
  if (/\bWiFiSSLClient\b/.test(text)) return 'wifisslclient';
  if (hints.includes('mongoose-os') || /Mongoose ?OS/i.test(text)) return 'mongoose-os';
  // axTLS's API (ESP8266 core up to 2.4, gone in 3.0): load*() from files, set*(buffer, length).
  const axtlsApi =
    /\b(?:loadCertificate|loadPrivateKey|loadCACert)\s*\(|\baxTLS\b|\.set(?:Certificate|PrivateKey|CACert)\s*\([^,()]+,\s*\w+\s*\)/;
  if (hints.includes('axtls') || axtlsApi.test(text)) return 'axtls';
  return undefined;
}

const PC_TOOLS =
  /\b(MQTT\.?fx|mqtt-spy|MQTT ?Spy|MQTT Explorer|MQTTX|MQTT ?Lens|MQTT ?Box|mosquitto_(?:sub|pub)|mosquitto (?:to )?(?:publish|subscribe)|mosquitto_pub\s*\/\s*sub|paho|python|node-?red|windows (?:program|client)|GUI client|(?:with|and|using) (?:an? |the |my )?mqtt client|laptop|from my pc|desktop client)\b/i;
const WORKS =
  /\b(works?|worked|working|connects?|connected|successful(?:ly)?|fine|no (?:problem|issue|trouble)s?|(?:hasn'?t|haven'?t|without) (?:had )?any (?:problem|issue|trouble)s?|able to use|managed to connect)\b/i;
const FAILS =
  /\b(?:not|neither|nor|never|fails?|failed|cannot|can't|doesn't|don't|didn't|won't|isn't|wasn't|couldn't)\b/i;
const CONDITIONAL = /as long as|only (?:if|when)|without verif|if I (?:don'?t|do not) verify|insecure/i;

/** What the poster says of PC clients. A claim about another broker (a public one the board does not use) is noted, not kept. */
function pcClaims(prose: string, notes: string[]): PcClaim[] {
  const out: PcClaim[] = [];
  for (const raw of prose.split(/(?<=[.!?])\s+|\n+/)) {
    const s = raw.trim();
    const tool = PC_TOOLS.exec(s);
    if (!tool) continue;
    const positive = WORKS.test(s);
    const anyTrouble =
      /(?:hasn'?t|haven'?t|without) (?:had )?any (?:problem|issue|trouble)s?|no (?:problem|issue|trouble)s?/i.test(s);
    if (CONDITIONAL.test(s)) {
      notes.push(`the poster's PC client works only under a condition ("${s}"): not used as an expectation`);
      continue;
    }
    const works = positive && (anyTrouble || !FAILS.test(s.replace(/\bnot (?:only|just)\b/gi, '')));
    if (!positive && !FAILS.test(s)) continue;
    const client = /mosquitto/i.test(tool[1]!) ? 'mosquitto-cli' : 'control';
    if (!out.some((c) => c.client === client)) out.push({ client, works, said: s });
  }
  return out;
}

/** What PC clients' own output says: mosquitto_sub/pub for mosquitto-cli, the others (s_client, paho, Java) for control. */
function pcOutputClaims(pc: SeenLine[]): PcClaim[] {
  const out: PcClaim[] = [];
  for (const l of pc) {
    if (!l.kind && !/TLS error/.test(l.raw)) continue;
    const client = l.format.startsWith('mosquitto') ? 'mosquitto-cli' : 'control';
    if (out.some((c) => c.client === client)) continue;
    const works = l.kind === 'connected';
    out.push({ client, works, said: l.raw, ...(l.kind && !works ? { kind: l.kind } : {}) });
  }
  return out;
}

/** The most telling kind: the board's own lines, then the broker's (the alert the board sent), then a PC's. */
function kindOf(serial: SeenLine[], broker: SeenLine[]): OutcomeKind | undefined {
  for (const pool of [serial, broker]) {
    const k = pool.find((l) => l.kind && l.kind !== 'connected')?.kind;
    if (k) return k;
  }
  // PubSubClient's states that are the broker's CONNACK (PubSubClient.h: MQTT_CONNECT_BAD_CREDENTIALS 4, UNAUTHORIZED 5).
  const codes = [...serial, ...broker].flatMap((l) => l.codes);
  if (codes.includes('pubsubclient:5')) return 'mqtt/not-authorized';
  if (codes.includes('pubsubclient:4')) return 'mqtt/bad-credentials';
  return undefined;
}

export function gatherEvidence(input: { saw: string[]; prose?: string; code?: string; sketch?: string }): Evidence {
  const notes: string[] = [];
  const lines = classifyLines(input.saw);
  const serial = lines.filter((l) => l.source === 'serial');
  const broker = lines.filter((l) => l.source === 'broker');
  const pc = lines.filter((l) => l.source === 'pc');
  const text = [input.prose ?? '', input.code ?? '', input.sketch ?? '', ...input.saw].join('\n');
  const fromLines = familyFromLines(serial);
  const fromProse = familyFromProse(input.prose ?? input.saw.join('\n'));
  const library = libraryOf(text, serial);
  // The library decides the board where the post does not: esp-mqtt and Mongoose OS are ESP32's, WiFiSSLClient is
  // the WINC1500's (MKR1000), and SSLClient runs on the rig's MKR1000 twin.
  const fromLibrary: Family | undefined =
    library === 'esp-mqtt' || library === 'mongoose-os'
      ? 'esp32'
      : library === 'axtls'
        ? 'esp8266'
        : library
          ? 'mkr1000'
          : undefined;
  const family = fromLines ?? fromProse ?? fromLibrary;
  const dnsFailed = lines.find((l) => l.dnsFailed)?.dnsFailed;
  const kind = kindOf(serial, broker);
  return {
    lines,
    serial,
    broker,
    pc,
    codes: [...new Set(lines.flatMap((l) => l.codes))],
    ...(kind ? { kind } : {}),
    ...(dnsFailed ? { dnsFailed } : {}),
    ...(family
      ? { family, familyFrom: fromLines ? 'the log format' : fromProse ? 'the post' : `its library (${library})` }
      : {}),
    ...(library ? { library } : {}),
    pcClaims: [...pcOutputClaims(pc), ...pcClaims(input.prose ?? '', notes)].filter(
      (c, i, all) => all.findIndex((x) => x.client === c.client) === i,
    ),
    notes,
  };
}
