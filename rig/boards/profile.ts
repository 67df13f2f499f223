// Board profile format (boards/*.yaml), version 1: what a board is, how to build and reach it,
// and how its serial output maps to outcomes. Patterns live here, not in code.
import { z } from 'zod';
import { MODULE_IDS } from './modules.ts';
import { OutcomeKind, Regex } from '../scenario/schema.ts';
import { TlsBuild } from '../scenario/tls-build.ts';

/** A line rule: a regex over one serial line; `code`/`detail` may use $1.. from the match. */
export const OutcomeRule = z
  .object({
    match: Regex,
    unless: Regex.optional().describe('The rule does not apply to a line this also matches (instead of a lookahead)'),
    code: z.string().optional().describe('Raw fact, e.g. "mbedtls:$1" or "bearssl:$1"'),
    kind: OutcomeKind.optional().describe('Canonical kind when the line alone decides it'),
    detail: z.string().optional(),
    final: z.boolean().optional().describe('The attempt is decided once this line is seen'),
    closes: z
      .boolean()
      .optional()
      .describe("This line ends an attempt and still counts for it (a sketch's summary line)"),
  })
  .strict();
export type OutcomeRule = z.infer<typeof OutcomeRule>;

export const OutcomeMap = z
  .object({
    rules: z.array(OutcomeRule).default([]),
    codes: z.record(z.string(), OutcomeKind).default({}).describe('raw code → canonical kind'),
  })
  .strict();
export type OutcomeMap = z.infer<typeof OutcomeMap>;

export const UsbId = z
  .object({
    vid: z.string().regex(/^[0-9a-f]{4}$/, 'four lower-case hex digits, no 0x'),
    pid: z.string().regex(/^[0-9a-f]{4}$/, 'four lower-case hex digits, no 0x'),
  })
  .strict();

export const HardwareProfile = z
  .object({
    fqbn: z.string().regex(/^[^:\s]+:[^:\s]+:[^:\s]+(:.+)?$/, 'vendor:arch:board[:options]'),
    core: z.object({ id: z.string(), version: z.string(), url: z.string().optional() }).strict(),
    libraries: z.array(z.string().regex(/^[^@]+@[^@]+$/, 'Name@version')).default([]),
    usb: z.array(UsbId).default([]),
    baud: z.number().int().positive().default(115200),
    reset: z.enum(['dtr-rts', 'none', 'touch-1200']).default('dtr-rts'),
    uploadTimeoutMs: z.number().int().positive().default(120_000),
    reenumerates: z
      .boolean()
      .default(false)
      .describe('Native USB: the port comes back under another name after upload'),
    bootNoiseBaud: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('ROM prints at this baud before the app (ESP8266: 74880)'),
    bootloaderUsb: z
      .array(UsbId)
      .default([])
      .describe('USB ids while in the bootloader (MKR1000 after a 1200-bps touch)'),
    fqbnVariants: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
        z.string().regex(/^[^:\s=,]+=[^:\s=,]+(,[^:\s=,]+=[^:\s=,]+)*$/, 'key=value[,key=value]'),
      )
      .default({})
      .describe('Named extra board options appended to the FQBN, e.g. ssl-debug: "dbg=Serial,lvl=SSL"'),
  })
  .strict();
export type HardwareProfile = z.infer<typeof HardwareProfile>;

/** A C macro as g++ -D takes it: NAME or NAME=value. */
const Define = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(=.*)?$/,
    'NAME or NAME=value, NAME a C macro name (e.g. ESP32, ARDUINO_BOARD="ESP32_DEV")',
  );

/** What a sketch-only define may take from the core version being imitated. */
export const SKETCH_DEFINE_PLACEHOLDERS = ['version', 'major', 'minor', 'patch', 'debugLevel'] as const;

const SketchDefine = Define.superRefine((d, ctx) => {
  for (const [, name] of d.matchAll(/\{([^{}]*)\}/g)) {
    if (!(SKETCH_DEFINE_PLACEHOLDERS as readonly string[]).includes(name!))
      ctx.addIssue({
        code: 'custom',
        message: `unknown placeholder {${name}} (have ${SKETCH_DEFINE_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`,
      });
  }
});

/**
 * How the board's twin is compiled and linked: the facts the board's Arduino core gives every build (platform.txt
 * and boards.txt defines, the TLS library it links). One row for all core versions; a later per-version table can
 * reuse this shape for its rows.
 */
export const TwinBuildFacts = z
  .object({
    defines: z
      .array(Define)
      .default([])
      .describe('-D for the host core and the sketch, as the board core defines them (ESP32, ARDUINO_ARCH_ESP32, …)'),
    sketchDefines: z
      .array(SketchDefine)
      .default([])
      .describe(
        '-D for the sketch unit only (the host core library is shared by all core versions), with {version} {major} ' +
          '{minor} {patch} of the core version the cell runs and {debugLevel}, e.g. ESP_ARDUINO_VERSION_MAJOR={major}',
      ),
    libs: z
      .array(z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_+.-]*$/, 'a library name as -l takes it (mbedtls, bearssl)'))
      .default([])
      .describe('Libraries the twin links, as -l<name>: the TLS library the board really uses'),
  })
  .strict();
export type TwinBuildFacts = z.infer<typeof TwinBuildFacts>;

/** What one value of a board's FQBN menu does to the build, as its boards.txt sets it for platform.txt. */
export const MenuEffect = z
  .object({
    defines: z
      .array(Define)
      .default([])
      .describe('-D the option adds to every unit (e.g. DEBUG_ESP_PORT=Serial for esp8266 dbg=Serial)'),
    debugLevel: z
      .number()
      .int()
      .min(0)
      .max(5)
      .optional()
      .describe('The Core Debug Level the option sets (ESP32 DebugLevel: build.code_debug → CORE_DEBUG_LEVEL)'),
  })
  .strict();
export type MenuEffect = z.infer<typeof MenuEffect>;

const MenuName = z.string().regex(/^[A-Za-z0-9_]+$/, 'an FQBN menu name as boards.txt spells it (DebugLevel, dbg)');

/** Between reset and WiFi: what the board's own timing and DHCP make a sketch print. */
export const TwinBoot = z
  .object({
    setupMs: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('millis() when setup() starts (the core starts its clock before the sketch)'),
    wifiConnectMs: z
      .number()
      .int()
      .min(0)
      .default(0)
      .describe('How long WiFi.begin() takes to associate and get a DHCP lease (board time, not waited for)'),
    localIP: z
      .string()
      .regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'a dotted quad')
      .default('192.168.1.50')
      .describe("WiFi.localIP(): the address the LAN's DHCP server gives the board"),
  })
  .strict();
export type TwinBoot = z.infer<typeof TwinBoot>;

export const TwinProfile = z
  .object({
    core: z.enum(['esp32', 'esp8266', 'mkr1000']).describe('Host core variant under boards/twin/'),
    coreVersions: z
      .array(z.string())
      .min(1)
      .describe('Core versions every scenario runs on; the first is the default, more than one adds a matrix axis'),
    imitates: z
      .array(z.string())
      .default([])
      .describe(
        'Further core versions the twin can imitate, run only where a scenario pins one ("esp32@1.0.6" in expect). ' +
          "Filled from the family's version table (boards/twin/versions/<core>.yaml) when the profiles are loaded",
      ),
    debugLevel: z.number().int().min(0).max(5).default(1).describe('ESP32 Core Debug Level (1 = Error)'),
    module: z
      .enum(MODULE_IDS)
      .optional()
      .describe(
        "The WiFi module whose firmware does WiFiSSLClient's TLS (its table: boards/twin/modules/<module>.yaml); " +
          'the twin models it, and a scenario says its firmware and uploaded roots (`module:`)',
      ),
    build: TwinBuildFacts.describe('Compiler and linker facts of the board (twin.build.defines, sketchDefines, libs)'),
    defines: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a C macro name'), z.string())
      .default({})
      .describe(
        "This profile's own -D options on top of build.defines (NAME: value, '' for a bare -DNAME), like a Tools " +
          'menu choice: e.g. DEBUG_ESP_SSL and DEBUG_ESP_PORT for an ESP8266 SSL debug profile',
      ),
    menus: z
      .record(
        MenuName,
        z.record(z.string().regex(/^[A-Za-z0-9_]+$/, 'a menu value as boards.txt spells it'), MenuEffect),
      )
      .default({})
      .describe(
        "The FQBN menus the twin honours (options after the board's third ':'), each value with what boards.txt " +
          'makes it add to the build: the same options reach arduino-cli on hardware',
      ),
    ignoredMenus: z
      .array(MenuName)
      .default([])
      .describe('FQBN menus that change nothing a twin shows (upload speed, flash layout): accepted and ignored'),
    tls: TlsBuild.optional().describe(
      "How the core's TLS library is built (a preset such as arduino-esp32-2.0, or sdkconfig / BearSSL options); " +
        "a scenario's build.<board>.tls goes over it",
    ),
    boot: TwinBoot.default({ setupMs: 0, wifiConnectMs: 0, localIP: '192.168.1.50' }).describe(
      'Boot and WiFi timing and the DHCP address, so serial output looks like the board',
    ),
  })
  .strict();
export type TwinProfile = z.infer<typeof TwinProfile>;

export const BoardProfile = z
  .object({
    version: z.literal(1),
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    name: z.string(),
    family: z.enum(['esp32', 'esp8266', 'mkr1000', 'host']),
    kind: z.enum(['board', 'control']).default('board'),
    stack: z.enum(['mbedtls', 'bearssl-esp8266', 'arduinobearssl', 'esp-tls', 'openssl-node', 'openssl-mosquitto']),
    probeSketch: z.string().optional(),
    hardware: HardwareProfile.optional(),
    twin: TwinProfile.optional(),
    timeoutMultiplier: z.number().positive().default(1),
    outcome: OutcomeMap.default({ rules: [], codes: {} }),
  })
  .strict();
export type BoardProfile = z.infer<typeof BoardProfile>;
