// The twin's world file (env RIG_TWIN_WORLD), read by boards/twin/core/host/world.cpp.
import { z } from 'zod';
import { checkValue } from '../format/index.ts';

const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

export const TwinWorld = z
  .object({
    hosts: z
      .record(z.string().min(1), z.string().regex(ipv4, 'dotted quad'))
      .default({})
      .describe('DNS as the board sees it: name → IPv4'),
    ports: z
      .record(z.string().regex(/^\d+$/, 'logical port number'), z.number().int().min(1).max(65535))
      .default({})
      .describe('logical port the sketch uses → real port on this host'),
    ntp: z.boolean().default(true).describe('does configTime()/SNTP get a time'),
    epoch: z.number().int().optional().describe('board clock fixed at this epoch (s) once synced; absent = host clock'),
    coreVersion: z.string().regex(/^\d+\.\d+(\.\d+)?/, 'version like 2.0.17'),
    debugLevel: z.number().int().min(0).max(5).describe('ESP32 Core Debug Level'),
    factsFile: z.string().optional().describe('absolute path; launch.ts fills it in when absent'),
    bootMs: z.number().int().min(0).optional().describe("millis() when setup() starts (the board's boot time)"),
    wifiConnectMs: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Board time WiFi takes to come up; delay() passes it without waiting'),
    realTime: z
      .boolean()
      .optional()
      .describe('waits sleep in real time; default: virtual time (board time skips what nothing can interrupt)'),
    answersBursts: z
      .boolean()
      .optional()
      .describe(
        'on virtual time, the rig answers each burst end (fact "idle <n> <lines>") with "resume <n>": a burst ends after 120 ms of board-time silence, as the rig tells them apart on a board',
      ),
    localIP: z.string().regex(ipv4, 'dotted quad').optional().describe("WiFi.localIP(): the board's DHCP address"),
    flashDir: z
      .string()
      .optional()
      .describe('absolute folder with the flash file system (SPIFFS/LittleFS) files; launch.ts fills it from `flash`'),
    tls: z
      .record(z.string().regex(/^[A-Za-z]+$/, 'a TlsBuild field'), z.union([z.string(), z.number(), z.boolean()]))
      .optional()
      .describe(
        "How the board's TLS library was built (rig/scenario/tls-build.ts, lists joined with ','): read by the board's TLS client",
      ),
    eccSlots: z
      .record(z.string().regex(/^(\d|1[0-5])$/, 'ECC508 slot 0..15'), z.string().min(1))
      .optional()
      .describe(
        'MKR1000 twin: ECCX08 slot -> absolute path of a PEM P-256 private key (read by boards/twin/mkr1000/ecc_slots.cpp)',
      ),
    module: z
      .object({
        name: z.string().min(1),
        firmware: z.string().min(1),
        ciphersuites: z.string().min(1).describe('mbedTLS suite names joined by ":", or "default"'),
        excludeSuites: z.string().describe('words joined by ":": suites whose name holds one are not offered'),
        tlsMin: z.enum(['1.0', '1.1', '1.2']),
        tlsMax: z.enum(['1.0', '1.1', '1.2']),
        sni: z.boolean(),
        checksName: z.boolean(),
        answersCertificateRequest: z.boolean(),
        clientCertificate: z.boolean(),
        dheMaxBits: z.number().int().min(0),
        failure: z.string(),
        roots: z
          .string()
          .regex(/^[A-Za-z0-9_.-]+$/, 'a file name in flashDir')
          .optional()
          .describe("PEM file (in flashDir) holding the module's whole root store; absent = the factory store"),
      })
      .strict()
      .optional()
      .describe("A WiFi module's TLS (rig/boards/modules.ts), read by boards/twin/mkr1000/module_tls.cpp"),
  })
  .strict();
export type TwinWorld = z.input<typeof TwinWorld>;
export type ResolvedTwinWorld = z.output<typeof TwinWorld> & { factsFile: string };

/** Validates a world as the file `file` will hold it: a problem is a FormatError at its line in that file. */
export function parseTwinWorld(value: unknown, file: string): z.output<typeof TwinWorld> {
  return checkValue(TwinWorld, value, file);
}
