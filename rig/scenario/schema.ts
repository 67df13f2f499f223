// The scenario file format, version 1. One schema is the single source of truth: the loader
// validates with it, TypeScript types are inferred from it, and `rig schema` exports it as JSON Schema.
import { z } from 'zod';
import { Regex } from './regex.ts';
import { Steps } from './steps.ts';
import { TlsBuild } from './tls-build.ts';

export { Regex };

export const SCENARIO_VERSION = 1;

/** Canonical outcome kinds: raw codes stay raw, kinds make boards comparable. */
export const OUTCOME_KINDS = [
  'connected',
  'tls/name-mismatch',
  'tls/untrusted',
  'tls/expired',
  'tls/not-yet-valid',
  'tls/weak-signature',
  'tls/weak-key',
  'tls/client-cert-required',
  'tls/client-cert-rejected',
  'tls/protocol-version',
  'tls/no-trust-configured',
  'tls/handshake-failed',
  'tls/bad-certificate-format',
  // What the firmware's TLS build lacks or limits (build.<board>.tls): a curve, the input buffer, the RSA size.
  'tls/unsupported-curve',
  'tls/record-too-large',
  'tls/key-too-large',
  // A broker front's policy (broker.personality): no ALPN / no SNI where the cloud broker requires one.
  'tls/alpn-required',
  'tls/sni-required',
  'mqtt/not-authorized',
  'mqtt/bad-credentials',
  'mqtt/packet-too-large',
  'mqtt/connection-lost',
  'tcp/refused',
  'tcp/reset',
  'dns/failed',
  'timeout',
  'crash',
  'build/unsupported',
  'build/failed',
  'unknown',
] as const;
export const OutcomeKind = z.enum(OUTCOME_KINDS);
export type OutcomeKind = z.infer<typeof OutcomeKind>;

const Id = z
  .string()
  .max(128, 'at most 128 characters')
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" or "-"');
const DateStr = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 date, e.g. 2024-01-31T00:00:00Z');

// ---------- PKI ----------
export const SubjectSpec = z
  .object({
    C: z.string().optional(),
    ST: z.string().optional(),
    L: z.string().optional(),
    O: z.string().optional(),
    OU: z.string().optional(),
    CN: z.string().optional(),
    emailAddress: z.string().optional(),
  })
  .strict()
  .describe('Distinguished name fields; CA and server may be identical');

export const KeySpec = z
  .object({
    type: z.enum(['rsa', 'ec']).default('rsa'),
    bits: z
      .union([z.literal(1024), z.literal(2048), z.literal(3072), z.literal(4096)])
      .optional()
      .describe('RSA modulus size (default 2048)'),
    curve: z.enum(['P-256', 'P-384']).optional().describe('EC curve (default P-256)'),
    passphrase: z.string().optional().describe('Encrypt the private key with this passphrase (AES-256)'),
  })
  .strict();

export const ValiditySpec = z
  .object({
    days: z.number().int().positive().optional().describe('Valid from now for this many days (default 365)'),
    notBefore: DateStr.optional(),
    notAfter: DateStr.optional(),
    expired: z.boolean().optional().describe('Ended yesterday (notBefore a year back)'),
    notYetValid: z.boolean().optional().describe('Starts tomorrow'),
  })
  .strict();

export const CertSpec = z
  .object({
    subject: SubjectSpec.default({}),
    issuer: Id.optional().describe(
      'Name of the issuing certificate; self-signed when omitted on a CA named "ca", else "ca"',
    ),
    selfSigned: z.boolean().optional(),
    ca: z.boolean().optional().describe('Is a CA (basicConstraints CA:TRUE); default true for "ca" and intermediates'),
    san: z
      .array(z.string().regex(/^(DNS|IP|email|URI):.+$/, 'SAN like "DNS:raspberry" or "IP:{{broker.ip}}"'))
      .optional(),
    key: KeySpec.optional(),
    hash: z.enum(['sha1', 'sha256', 'sha384', 'sha512']).optional().describe('Signature hash (default sha256)'),
    version: z
      .union([z.literal(1), z.literal(3)])
      .optional()
      .describe('X.509 version; 1 = no extensions'),
    validity: ValiditySpec.optional(),
    basicConstraints: z.string().optional().describe('Verbatim openssl value, e.g. "critical,CA:TRUE,pathlen:0"'),
    keyUsage: z.array(z.string()).optional(),
    extendedKeyUsage: z.array(z.string()).optional(),
  })
  .strict();
export type CertSpec = z.infer<typeof CertSpec>;

export const VerbatimPki = z
  .object({
    script: z
      .string()
      .min(1)
      .describe("The forum post's own openssl commands, one per line, run with sh in an isolated temp folder"),
    files: z
      .record(z.string(), z.string())
      .describe(
        'Logical name → file the script writes, e.g. { ca: ca.crt, server: server.crt, server.key: server.key }',
      ),
  })
  .strict();
export type VerbatimPki = z.infer<typeof VerbatimPki>;

export const PkiSpec = z
  .object({
    verbatim: VerbatimPki.optional(),
  })
  .catchall(CertSpec)
  .describe('Named certificates (ca, server, client, …) or a verbatim openssl script');
// zod infers the catchall as an index signature that `verbatim` would have to satisfy too; spell it out.
export type PkiSpec = { verbatim?: VerbatimPki; [name: string]: CertSpec | VerbatimPki | undefined };

/** The named certificates of a declarative PKI (everything but `verbatim`). */
export function certEntries(p: PkiSpec): [string, CertSpec][] {
  return Object.entries(p).filter((e): e is [string, CertSpec] => e[0] !== 'verbatim' && e[1] !== undefined);
}

// ---------- Broker ----------
export const ListenerTls = z
  .object({
    cert: Id.default('server').describe('PKI name of the server certificate'),
    ca: Id.optional().describe('PKI name of the CA file given to mosquitto (cafile); default "ca"'),
    version: z
      .enum(['tlsv1.1', 'tlsv1.2', 'tlsv1.3'])
      .optional()
      .describe('Minimum TLS version (mosquitto tls_version)'),
    ciphers: z.string().optional(),
    ciphersTls13: z.string().optional(),
    requireCertificate: z.boolean().optional(),
    useIdentityAsUsername: z.boolean().optional(),
    revoked: z
      .array(Id)
      .min(1)
      .optional()
      .describe(
        'PKI names of client certificates revoked: the rig has the cafile certificate sign a CRL listing them ' +
          '(openssl ca -gencrl) and gives it to mosquitto (crlfile); checked only with requireCertificate',
      ),
  })
  .strict();

export const Listener = z
  .object({
    port: z.number().int().min(1).max(65535).describe('Logical port; the rig maps it to a free port'),
    tls: ListenerTls.optional(),
    allowAnonymous: z.boolean().optional(),
    passwordFile: z.boolean().optional().describe('Use the broker users as password_file on this listener'),
    protocol: z.enum(['mqtt', 'websockets']).optional(),
  })
  .strict();

export const BROKER_PERSONALITIES = ['aws-iot', 'azure-iot-hub', 'emqx-cloud', 'hivemq-cloud', 'nginx-stream'] as const;
export const BrokerPersonality = z.enum(BROKER_PERSONALITIES);
export type BrokerPersonalityName = z.infer<typeof BrokerPersonality>;

export const BrokerFront = z
  .object({
    cert: Id.optional().describe(
      "PKI name of the certificate the front serves (nginx-stream's own; default: the listener's)",
    ),
  })
  .strict();

export const BrokerSpec = z
  .object({
    personality: BrokerPersonality.optional().describe(
      "A TLS front in the rig before Mosquitto with a cloud broker's or proxy's policy: aws-iot (SNI, ALPN " +
        'x-amzn-mqtt-ca on 443, client certificates), azure-iot-hub (SNI, device-ID client id, ' +
        'username <hub>/<device>/?api-version=, SAS token password), emqx-cloud (SNI, username and password), ' +
        'hivemq-cloud (SNI), nginx-stream (its own certificate); its refusals are in the broker log',
    ),
    front: BrokerFront.optional(),
    listeners: z.array(Listener).min(1).optional(),
    perListenerSettings: z.boolean().optional(),
    allowAnonymous: z.boolean().optional(),
    users: z
      .record(z.string(), z.string())
      .optional()
      .describe('username → password (hashed as mosquitto_passwd makes it)'),
    acl: z.array(z.string()).optional().describe('ACL file lines, e.g. "user alice", "topic readwrite #"'),
    persistence: z
      .boolean()
      .optional()
      .describe(
        "mosquitto persistence: sessions, subscriptions and queued QoS 1 messages are saved in the run's data " +
          'folder and read again when the broker restarts (default false)',
      ),
    logType: z.array(z.string()).optional(),
    conf: z
      .string()
      .optional()
      .describe(
        'Verbatim mosquitto.conf with placeholders {{pki.NAME.crt}}, {{pki.NAME.key}}, {{port.N}}, {{passwd}}, {{acl}}',
      ),
    image: z.string().optional().describe('Container image for the container provider'),
  })
  .strict()
  .refine((b) => b.listeners !== undefined || b.conf !== undefined, 'listeners or conf');
export type BrokerSpec = z.infer<typeof BrokerSpec>;

// ---------- Client (what the board, and the controls, do) ----------
export const ClockSpec = z
  .object({
    ntp: z.boolean().optional().describe('NTP reachable: configTime() sets the board clock'),
    date: DateStr.optional().describe('Board clock fixed at this date'),
    realTime: z
      .boolean()
      .optional()
      .describe(
        "Twins: waits sleep in real time instead of the board's virtual clock (for sketches that race the wall clock)",
      ),
  })
  .strict();

export const WifiSpec = z
  .object({
    ip: z
      .string()
      .regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'a dotted quad')
      .optional()
      .describe("WiFi.localIP(): the board's DHCP address (default: in the broker's LAN, else the profile's)"),
    connectMs: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('How long the board takes to join the WiFi (board time; default from the board profile)'),
  })
  .strict();

export const ClientSpec = z
  .object({
    connect: z
      .string()
      .optional()
      .describe('Host the board connects to: a name or a dotted quad; {{broker.ip}} allowed'),
    byIp: z.boolean().optional().describe('Call connect(IPAddress) / setServer(IPAddress) instead of a name'),
    port: z.number().int().min(1).max(65535).optional().describe('Logical listener port (default: first TLS listener)'),
    ca: z.union([Id, z.null()]).optional().describe('PKI name given to the board as trust anchor; null = none'),
    cert: Id.optional().describe('PKI name of the client certificate'),
    insecure: z.boolean().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    clientId: z.string().optional(),
    topic: z.string().optional(),
    tlsVersion: z.enum(['tlsv1.2', 'tlsv1.3']).optional().describe('Maximum TLS version offered by the control client'),
    clock: ClockSpec.optional(),
    hosts: z
      .record(z.string(), z.union([z.string(), z.null()]))
      .optional()
      .describe('Board DNS: name → address; the connect name resolves to the broker unless mapped to null'),
    config: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .optional()
      .describe('Extra SECRET_* values for arduino_secrets.h'),
    wifi: WifiSpec.optional(),
  })
  .strict();
export type ClientSpec = z.infer<typeof ClientSpec>;

// ---------- The sketch's build and flash: board options, defines, library versions, files ----------
const CMacro = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(=.*)?$/, 'NAME or NAME=value, as -D takes it (e.g. MQTT_MAX_PACKET_SIZE=512)');

export const BoardBuild = z
  .object({
    fqbnOptions: z
      .record(
        z.string().regex(/^[A-Za-z0-9_]+$/, 'an FQBN menu name (DebugLevel, dbg, lvl)'),
        z.union([z.string().regex(/^[A-Za-z0-9_]+$/, 'a menu value as boards.txt spells it'), z.number().int()]),
      )
      .optional()
      .describe(
        "Board menu options, as after the FQBN's third ':' (e.g. { DebugLevel: info } or { dbg: Serial, lvl: SSL }); " +
          "they override the profile's FQBN, and reach the twin build and arduino-cli alike",
      ),
    defines: z
      .array(CMacro)
      .optional()
      .describe('-D for every unit (core, libraries, sketch), like compiler.cpp.extra_flags on arduino-cli'),
    tls: TlsBuild.optional().describe(
      "How the board's TLS library was built (sdkconfig / BearSSL options, or a preset), over the board profile's",
    ),
    dataModel: z
      .enum(['lp64', 'ilp32'])
      .optional()
      .describe(
        "Twins only: the C data model the twin is compiled for. lp64 (default) is the host's (64-bit long); ilp32 is " +
          'g++ -m32, 32-bit int/long/pointers as on ESP32, ESP8266 and SAMD, so millis() wraps at 2^32 ms. ' +
          'Default ilp32 when the steps set millis (clock: { millis })',
      ),
  })
  .strict();
export type BoardBuild = z.infer<typeof BoardBuild>;

export const BuildSpec = z
  .record(z.string(), BoardBuild)
  .describe('board id (or "*" for every board) → its build options');

export const LibraryPins = z
  .record(
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/, 'a library name as library.properties spells it'),
    z.union([z.string().regex(/^\d+(\.\d+){0,3}$/, 'a version like "2.7" or "0.1.8"'), z.number().nonnegative()]),
  )
  .describe(
    'Library name → version (quote it: 2.10 is not 2.1): the version the twin imitates and hardware installs, ' +
      'e.g. { PubSubClient: "2.7" }',
  );

/** A path in the board's flash file system (SPIFFS, LittleFS): "/ca.crt", "/certs/client.key". */
export const FlashPath = z
  .string()
  .regex(/^\/?[A-Za-z0-9_.+@ -]+(\/[A-Za-z0-9_.+@ -]+)*$/, 'a flash path like "/ca.crt" (letters, digits, . _ - + @)')
  .refine((p) => !p.split('/').includes('..') && !p.split('/').includes('.'), 'no "." or ".." segments');

export const FilesSpec = z
  .record(FlashPath, z.union([z.string(), z.null()]))
  .describe(
    'What the sketch reads from flash (SPIFFS/LittleFS), path → content: text with {{pki.NAME.crt}}, ' +
      '{{pki.NAME.key}}, {{broker.ip}}, or exactly {{pki.NAME.der}} / {{pki.NAME.key.der}} for binary DER; ' +
      "null removes a file a variant inherits. Adds to (and overrides) the sketch's data/ folder",
  );

/** The WiFi module's state (MKR1000's WINC1500, the NINA-W102): what the firmware updater put on it. */
export const ModuleSpec = z
  .object({
    firmware: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, 'a firmware release like 19.6.1 or 1.4.8')
      .optional()
      .describe("The module's firmware (default: the module table's defaultFirmware)"),
    roots: z
      .array(z.string().regex(/^[\w.-]+$/, 'a certificate name from pki'))
      .optional()
      .describe(
        'Certificates (pki names) uploaded with the firmware updater in one go: the whole root store, as an ' +
          "upload replaces it; absent = the factory store (public roots, none of the scenario's)",
      ),
    library: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, 'a release like 0.16.0')
      .optional()
      .describe('The WiFi101/WiFiNINA release (default: the one the twin imitates); WiFi101 < 0.16.1 offers DHE'),
  })
  .strict()
  .describe("The WiFi module whose firmware does WiFiSSLClient's TLS (boards/twin/modules/<module>.yaml)");
export type ModuleSpec = z.infer<typeof ModuleSpec>;

// ---------- Variants and expectations ----------
export const Variant = ClientSpec.extend({
  description: z.string().optional(),
  pki: z
    .object({
      verbatim: VerbatimPki.optional().describe("Replaces the scenario's verbatim script and files for this variant"),
    })
    .catchall(CertSpec.partial())
    .optional()
    .describe('Patch merged into the named certificates, or a replacement verbatim script'),
  broker: z
    .object({
      personality: BrokerPersonality.optional(),
      listeners: z.array(Listener).optional(),
      users: z.record(z.string(), z.string()).optional(),
      acl: z.array(z.string()).optional().describe("Replaces the scenario's ACL file lines"),
      persistence: z.boolean().optional(),
      conf: z.string().optional(),
    })
    .strict()
    .optional(),
  sketch: z.string().optional(),
  build: BuildSpec.optional().describe("Merged over the scenario's build (options by key, defines added)"),
  libraries: LibraryPins.optional().describe("Merged over the scenario's library pins"),
  files: FilesSpec.optional().describe("Merged over the scenario's files (null removes one)"),
  steps: Steps.optional().describe("Replaces the scenario's steps for this variant"),
  module: ModuleSpec.optional().describe("Merged over the scenario's module (firmware, roots, library by key)"),
}).strict();
export type Variant = z.infer<typeof Variant>;

export const SerialExpect = z
  .object({
    see: z.array(Regex).optional().describe('Regexes that must appear'),
    notSee: z.array(Regex).optional().describe('Regexes that must not appear'),
    ordered: z.boolean().optional().describe('The see regexes must match in this order'),
  })
  .strict();

export const MessageExpect = z
  .object({
    topic: z.string().describe('Topic filter the observer subscribes to'),
    payload: Regex.optional(),
    count: z.number().int().min(1).default(1),
    withinMs: z.number().int().positive().optional(),
  })
  .strict();

export const Expectation = z
  .object({
    kind: OutcomeKind.optional().describe(
      'The outcome: the board\'s own kind, or the kind the broker\'s log narrows it to (a handshake_failure alert "refined" to tls/client-cert-required by "peer did not return a certificate")',
    ),
    boardKind: OutcomeKind.optional().describe("The kind the board itself reported, without the broker's refinement"),
    brokerReason: Regex.optional().describe(
      'Regex on why the broker refused, as its log words it ("peer did not return a certificate", "no shared cipher")',
    ),
    code: z
      .string()
      .regex(
        /^[a-z][a-z0-9_-]*:-?[A-Za-z0-9_.]+$/,
        'a raw code like "bearssl:56", "mbedtls:-9984", "pubsubclient:-2", "openssl:CERT_HAS_EXPIRED"',
      )
      .optional(),
    serial: z.union([z.array(Regex), SerialExpect]).optional(),
    brokerLog: z.array(Regex).optional().describe('Regexes matched against the broker log'),
    messages: z.array(MessageExpect).optional(),
    timeoutMs: z.number().int().positive().optional(),
    hardwareOnly: z.string().optional().describe('Reason this cell needs real hardware; skipped on twins'),
    failingStep: z
      .string()
      .optional()
      .describe(
        'The step (its name) where this cell is known to fail (a regression variant): the cell passes when ' +
          'exactly this step fails and every step before it held',
      ),
    posted: z
      .array(z.string())
      .optional()
      .describe(
        'What the forum poster saw, verbatim (rig new --from-forum): a run shows it beside what the cell printed',
      ),
  })
  .strict();
export type Expectation = z.infer<typeof Expectation>;

export const Scenario = z
  .object({
    version: z.literal(SCENARIO_VERSION),
    id: Id,
    title: z.string().max(200, 'at most 200 characters').optional(),
    description: z.string().optional(),
    tags: z.array(z.string()).default([]),
    source: z.array(z.string()).default([]).describe('"seed <file name>" or a link to the forum thread'),
    pki: PkiSpec,
    broker: BrokerSpec,
    sketch: z
      .union([z.string(), z.record(z.string(), z.string())])
      .optional()
      .describe("Sketch folder, or board → sketch folder; default: the board profile's probe sketch"),
    boards: z.array(z.string()).min(1),
    build: BuildSpec.optional(),
    libraries: LibraryPins.optional(),
    librariesDir: z
      .string()
      .optional()
      .describe(
        'An arduino-cli libraries folder (relative to this file) whose portable libraries the twin compiles; ' +
          "the twin's own WiFi, TLS and MQTT libraries take the place of the board's",
      ),
    files: FilesSpec.optional(),
    module: ModuleSpec.optional(),
    client: ClientSpec.default({}),
    variants: z.record(Id, Variant).default({ default: {} }),
    expect: z.record(z.string(), z.record(z.string(), Expectation)).describe('variant → board (or "*") → expectation'),
    timeoutMs: z.number().int().positive().optional(),
    steps: Steps.optional(),
    retries: z.number().int().min(0).optional().describe('Retries allowed for failures, not only errors'),
  })
  .strict();
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioInput = z.input<typeof Scenario>;
