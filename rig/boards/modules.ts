// A WiFi module's TLS table (boards/twin/modules/<module>.yaml): what the TLS inside the module firmware does (WINC1500
// for WiFi101's WiFiSSLClient, NINA-W102 for WiFiNINA's), per firmware release. The one place the modelled behaviour
// lives: the twin receives the chosen row as its world's `module` settings and does only what they say.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { compareVersions, parseWithSchema } from '../format/index.ts';

export const MODULE_IDS = ['winc1500', 'nina-w102'] as const;
export type ModuleId = (typeof MODULE_IDS)[number];

const Release = z.string().regex(/^\d+\.\d+\.\d+$/, 'a firmware release like 19.6.1');
/** mbedTLS suite names (mbedtls_ssl_get_ciphersuite_id), or "default": mbedTLS's own list. */
const Suites = z.union([
  z.literal('default'),
  z.array(z.string().regex(/^TLS-[A-Z0-9-]+$/, 'an mbedTLS suite name like TLS-RSA-WITH-AES-128-CBC-SHA')).min(1),
]);
const TlsVersion = z.enum(['1.0', '1.1', '1.2']);

export const ModuleRow = z
  .object({
    firmware: z.array(Release).min(1).describe('The firmware releases this row is'),
    ciphersuites: Suites.describe('What the client offers, with the library the twin imitates'),
    olderLibrary: z
      .object({ before: Release, ciphersuites: Suites })
      .strict()
      .optional()
      .describe('What a library release before `before` offers on this firmware'),
    excludeSuites: z
      .array(z.string().regex(/^[A-Z0-9]+$/, 'a word of a suite name, e.g. CHACHA20'))
      .optional()
      .describe('Suites whose name holds one of these words are not offered (what the firmware is built without)'),
    tls: z.object({ min: TlsVersion, max: TlsVersion }).strict(),
    sni: z.boolean().describe('Sends the host name as SNI when the sketch connects by name'),
    checksName: z.boolean().describe("Checks the host name against the server's certificate"),
    answersCertificateRequest: z
      .boolean()
      .describe('Answers a CertificateRequest with an (empty) Certificate message, as RFC 5246 wants'),
    clientCertificate: z.boolean().describe('The sketch can make the module present a client certificate'),
    dheMaxBits: z.number().int().positive().optional().describe('Largest DH prime the module processes'),
  })
  .strict();
export type ModuleRow = z.infer<typeof ModuleRow>;

export const ModuleTable = z
  .object({
    module: z.string().min(1).describe('The module as reports name it: WINC1500, NINA-W102'),
    library: z.string().min(1).describe('The Arduino library whose WiFiSSLClient uses the module'),
    defaultFirmware: Release,
    failure: z.string().min(1).describe('What the sketch sees of any TLS failure'),
    rootKeyTypes: z
      .array(z.enum(['rsa', 'ec']))
      .min(1)
      .describe('Key types the root-store upload accepts'),
    factoryRoots: z.string().min(1).describe('What the store holds before anything is uploaded'),
    rows: z.array(ModuleRow).min(1),
  })
  .strict();
export type ModuleTable = z.infer<typeof ModuleTable>;

/** The module of a scenario or variant: firmware, roots uploaded with the firmware updater, the library release. */
export interface ModuleState {
  firmware?: string | undefined;
  /** PKI certificate names, the whole store; undefined = the factory store. */
  roots?: string[] | undefined;
  library?: string | undefined;
}

/** What the twin reads (world `module`): scalars only, lists joined by ':'. */
export interface ModuleWorld {
  name: string;
  firmware: string;
  ciphersuites: string;
  /** Words joined by ':'; "" = none. */
  excludeSuites: string;
  tlsMin: '1.0' | '1.1' | '1.2';
  tlsMax: '1.0' | '1.1' | '1.2';
  sni: boolean;
  checksName: boolean;
  answersCertificateRequest: boolean;
  clientCertificate: boolean;
  dheMaxBits: number;
  failure: string;
}

export function moduleTableFile(twinDir: string, id: ModuleId): string {
  return path.join(twinDir, 'modules', `${id}.yaml`);
}

const cache = new Map<string, ModuleTable>();
export function loadModuleTable(twinDir: string, id: ModuleId): ModuleTable {
  const file = moduleTableFile(twinDir, id);
  let t = cache.get(file);
  if (!t) {
    t = parseWithSchema(ModuleTable, readFileSync(file, 'utf8'), file);
    cache.set(file, t);
  }
  return t;
}

/** Every firmware release the table covers, oldest first. */
export function moduleReleases(t: ModuleTable): string[] {
  return t.rows.flatMap((r) => r.firmware).sort(compareVersions);
}

/** The row covering `firmware`, or a sentence naming what the table covers. */
export function moduleRow(t: ModuleTable, firmware: string): ModuleRow | string {
  const row = t.rows.find((r) => r.firmware.includes(firmware));
  return row ?? `${t.module} firmware ${firmware} is not modelled (the table covers ${moduleReleases(t).join(', ')})`;
}

/** The settings of one cell's module: the row of its firmware, with the library release's suites. */
export function moduleWorld(t: ModuleTable, state: ModuleState): ModuleWorld | string {
  const firmware = state.firmware ?? t.defaultFirmware;
  const row = moduleRow(t, firmware);
  if (typeof row === 'string') return row;
  const older = row.olderLibrary && state.library && compareVersions(state.library, row.olderLibrary.before) < 0;
  const suites = older ? row.olderLibrary!.ciphersuites : row.ciphersuites;
  return {
    name: t.module,
    firmware,
    ciphersuites: suites === 'default' ? 'default' : suites.join(':'),
    excludeSuites: (row.excludeSuites ?? []).join(':'),
    tlsMin: row.tls.min,
    tlsMax: row.tls.max,
    sni: row.sni,
    checksName: row.checksName,
    answersCertificateRequest: row.answersCertificateRequest,
    clientCertificate: row.clientCertificate,
    dheMaxBits: row.dheMaxBits ?? 0,
    failure: t.failure,
  };
}

/** "modelled: WINC1500 19.6.1": what a report says of a cell on a modelled stack. */
export function modelledLabel(w: Pick<ModuleWorld, 'name' | 'firmware'>): string {
  return `modelled: ${w.name} ${w.firmware}`;
}
