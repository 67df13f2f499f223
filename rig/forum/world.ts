// The board's world in the skeleton: which board and sketch run (the poster's sketch when it is whole, else the
// rig's sketch for the poster's TLS library: esp-mqtt for ESP-IDF logs, SSLClient for SSLClient's lines, the
// board's probe otherwise), where it connects, what fails (the closest cause when the post does not show it), and
// the broker and PKI that make it fail that way. Names are tied together: the conf's files are the PKI's entries,
// the file the firmware embeds is the CA the board gets.
import type { OutcomeKind } from '../scenario/schema.ts';
import { isIPv4 } from 'node:net';
import { codeHints, isPublicBroker, PUBLIC_BROKERS } from './code-hints.ts';
import { confFacts, logicalName, type ConfFacts } from './conf-files.ts';
import type { Evidence, Family } from './evidence.ts';
import { isPlaceholderHost } from './sketch-secrets.ts';
import type { Cause } from './world-pki.ts';

export type Stack = 'mbedtls' | 'esp-tls' | 'bearssl-esp8266' | 'arduinobearssl' | 'sslclient';

export interface BoardChoice {
  board: string;
  family: Family;
  stack: Stack;
  /** The rig's sketch folder standing for the poster's firmware; undefined = the board's probe or the user's sketch. */
  sketch?: string;
  hardwareOnly?: string;
}

// The twin models the module (boards/twin/modules) once a scenario says what was uploaded to it; a post rarely does.
const WIFISSL =
  "WiFiSSLClient does TLS inside the WiFi module's firmware (WINC1500 or NINA): say what was uploaded to it " +
  '(module: { firmware, roots: [ca] }) and drop hardwareOnly to run the modelled module on the twin';
const AXTLS =
  'axTLS (the ESP8266 core up to 2.4) does the TLS here; the ESP8266 twin runs BearSSL (core 2.5 and later)';

const PROBE_BY_FAMILY: Record<Family, Stack> = {
  esp32: 'mbedtls',
  esp8266: 'bearssl-esp8266',
  mkr1000: 'arduinobearssl',
};

/** Board and sketch: the poster's sketch decides the board; without one, the TLS library, then the post's words. */
export function chooseBoard(
  e: Evidence,
  o: { userBoard?: Family; override?: string; userSketch: boolean },
  notes: string[],
): BoardChoice {
  const family = (o.override as Family | undefined) ?? o.userBoard ?? e.family;
  if (!family) notes.push("the post names no board and its lines are no board's own: esp32 assumed (use --board)");
  else if (!o.override && !o.userBoard) notes.push(`board ${family}: recognised from ${e.familyFrom}`);
  const fam: Family = family ?? 'esp32';
  if (o.userSketch) {
    // The poster's own sketch runs; its TLS library still decides what the twin can do and which codes it gives.
    if (e.library === 'wifisslclient' || e.library === 'axtls')
      return {
        board: fam,
        family: fam,
        stack: PROBE_BY_FAMILY[fam],
        hardwareOnly: e.library === 'axtls' ? AXTLS : WIFISSL,
      };
    return { board: fam, family: fam, stack: e.library === 'sslclient' ? 'sslclient' : PROBE_BY_FAMILY[fam] };
  }
  switch (e.library) {
    case 'esp-mqtt':
      notes.push(
        "esp-mqtt/esp-tls lines or config: the rig's esp-mqtt sketch (sketches/esp32-esp-mqtt) stands for the poster's ESP-IDF app",
      );
      return { board: 'esp32', family: 'esp32', stack: 'esp-tls', sketch: 'sketches/esp32-esp-mqtt' };
    case 'sslclient':
      if (fam !== 'mkr1000')
        notes.push(
          `SSLClient (BearSSL on the MCU): the rig runs it on its MKR1000 twin; the poster's ${fam} does the same TLS`,
        );
      return {
        board: 'mkr1000',
        family: 'mkr1000',
        stack: 'sslclient',
        sketch: 'sketches/forum-samd21-sslclient-pubsub',
      };
    case 'wifisslclient':
      return {
        board: 'mkr1000',
        family: 'mkr1000',
        stack: 'arduinobearssl',
        sketch: 'sketches/forum-mkr1000-wifisslclient',
        hardwareOnly: WIFISSL,
      };
    case 'axtls':
      return { board: 'esp8266', family: 'esp8266', stack: 'bearssl-esp8266', hardwareOnly: AXTLS };
    case 'mongoose-os':
      notes.push(
        "Mongoose OS on an ESP32 (mbedTLS): the ESP32's probe sketch (WiFiClientSecure, mbedTLS) stands for it",
      );
      break;
    default:
      notes.push(`the ${fam} probe sketch stands for the poster's firmware`);
  }
  return { board: fam, family: fam, stack: PROBE_BY_FAMILY[fam] };
}

export interface Host {
  connect: string;
  /** The host as the post wrote it. */
  posted?: string;
  public: boolean;
}

/** Where the board connects: the post's broker as the rig's (an IP or placeholder → {{broker.ip}}). */
export function chooseHost(posted: string | undefined, notes: string[]): Host {
  if (!posted) {
    notes.push('the post does not say where the board connects: {{broker.ip}} assumed');
    return { connect: '{{broker.ip}}', public: false };
  }
  if (isIPv4(posted) || isPlaceholderHost(posted)) {
    notes.push(`the board's broker ${posted} → {{broker.ip}} (the run's broker)`);
    return { connect: '{{broker.ip}}', posted, public: false };
  }
  if (isPublicBroker(posted)) {
    notes.push(
      `${posted} is a public broker: the scenario's own broker stands for it (the name resolves to it)${PUBLIC_BROKERS[posted] ? `; ${PUBLIC_BROKERS[posted].note}` : ''}`,
    );
    return { connect: posted, posted, public: true };
  }
  return { connect: posted, posted, public: false };
}

export function postedHost(text: string, sketchBroker: string | undefined): string | undefined {
  return sketchBroker ?? codeHints(text).broker;
}

/** The closest cause of the post's failure; what the post does not show is the most common cause, said in the notes. */
export function chooseCause(e: Evidence, host: Host, notes: string[], ownCerts = false): Cause {
  const byKind: Partial<Record<OutcomeKind, Cause>> = {
    'tls/name-mismatch': 'name',
    'tls/untrusted': 'trust',
    'tls/weak-key': 'weak-key',
    'tls/weak-signature': 'weak-signature',
    'dns/failed': 'dns',
    'tls/client-cert-required': 'client-cert',
    'tls/expired': 'expired',
    'tls/not-yet-valid': 'expired',
    'mqtt/not-authorized': 'auth',
    'mqtt/bad-credentials': 'auth',
    connected: 'none',
  };
  const c = e.kind ? byKind[e.kind] : undefined;
  if (c) return c;
  if (host.public && host.posted && PUBLIC_BROKERS[host.posted]?.weakCa) {
    notes.push(`closest cause: ${host.posted}'s RSA-1024 CA, which the ESP32 refuses (flag 0x10000)`);
    return 'weak-key';
  }
  if (host.public) {
    notes.push('closest cause: the CA the board was given did not sign the certificate the broker sent');
    return 'trust';
  }
  const said = e.codes.length ? `shows ${e.codes.join(', ')} but not why` : 'shows no error line';
  // The post's own certificates decide what fails; a cause is only assumed for certificates the rig makes.
  if (!ownCerts)
    notes.push(
      `the post ${said}: the closest cause assumed is the most common one, a certificate for another name than the board connects to`,
    );
  return 'name';
}

export const KIND_OF: Record<Cause, OutcomeKind | undefined> = {
  name: 'tls/name-mismatch',
  trust: 'tls/untrusted',
  'weak-key': 'tls/weak-key',
  'weak-signature': 'tls/weak-signature',
  dns: 'dns/failed',
  // An ESP32 sees the broker's alert (-30592) or, when the close overtakes it, a reset (-80): no one kind.
  'client-cert': undefined,
  expired: 'tls/expired',
  auth: 'mqtt/not-authorized',
  none: 'connected',
};

export interface Names {
  ca: string;
  server: string;
  facts: ConfFacts;
}

/** PKI names from the conf's files (raspberrypi.crt → "raspberrypi"), else ca / server. */
export function namesFromConf(conf: string | undefined): Names {
  const facts = confFacts(conf);
  return {
    ca: facts.cafile ? logicalName(facts.cafile) : 'ca',
    server: facts.certfile ? logicalName(facts.certfile) : 'server',
    facts,
  };
}
