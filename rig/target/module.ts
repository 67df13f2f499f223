// A twin cell's WiFi module (the board profile's `twin.module`): the row of its table for the scenario's firmware
// and library release, and the root store the scenario uploaded with the firmware updater, as the twin reads them.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadModuleTable, modelledLabel, moduleWorld, type ModuleId, type ModuleWorld } from '../boards/modules.ts';
import { TargetError } from '../errors.ts';
import type { PkiBundle } from '../pki/index.ts';
import type { ModuleSpec } from '../scenario/schema.ts';
import { blankNonCode, readSketch } from '../twin/sketch.ts';

/** The flash file (in the twin's flashDir) that holds the uploaded store. */
export const MODULE_ROOTS_FILE = 'module-roots.pem';

export interface CellModule {
  world: ModuleWorld & { roots?: string };
  /** The uploaded store's PEM, when the scenario uploaded one. */
  rootsPem?: Buffer;
  /** "modelled: WINC1500 19.6.1", for every report of the cell. */
  label: string;
  /** What the upload refused (an ECDSA root on the WINC1500), for the report. */
  notes: string[];
}

/**
 * The module of a cell, or undefined on a board without one. A firmware the table does not cover is `unsupported`
 * (the twin would have to guess); a root the module's updater cannot write is left out, as the updater leaves it.
 */
export async function cellModule(
  twinDir: string,
  id: ModuleId | undefined,
  spec: ModuleSpec,
  pki: PkiBundle,
): Promise<CellModule | undefined> {
  if (!id) return undefined;
  const table = loadModuleTable(twinDir, id);
  const world = moduleWorld(table, spec);
  if (typeof world === 'string') throw new TargetError('unsupported', world);
  const notes: string[] = [];
  const pems: string[] = [];
  for (const name of spec.roots ?? []) {
    const c = pki.certs[name];
    if (!c) throw new TargetError('not-configured', `module.roots: no certificate named "${name}" in pki`);
    const pem = await readFile(c.crt, 'utf8');
    const type = new X509Certificate(pem).publicKey.asymmetricKeyType;
    const kind = type === 'rsa' ? 'rsa' : type === 'ec' ? 'ec' : undefined;
    if (!kind || !table.rootKeyTypes.includes(kind)) {
      notes.push(
        `${table.module} root store: "${name}" not uploaded (${type ?? 'unknown'} key; the updater writes ${table.rootKeyTypes.join('/')} roots only)`,
      );
      continue;
    }
    pems.push(pem.endsWith('\n') ? pem : `${pem}\n`);
  }
  const uploaded = spec.roots !== undefined;
  return {
    world: { ...world, ...(uploaded ? { roots: MODULE_ROOTS_FILE } : {}) },
    ...(uploaded ? { rootsPem: Buffer.from(pems.join(''), 'utf8') } : {}),
    label: modelledLabel(world),
    notes,
  };
}

/** Whether the sketch's TLS is the module's (WiFiSSLClient), not a library on the MCU (ArduinoBearSSL). */
export async function usesModuleTls(sketchDir: string): Promise<boolean> {
  const s = await readSketch(sketchDir);
  return [...s.inos, ...s.others].some((f) => /\bWiFiSSLClient\b/.test(blankNonCode(f.text)));
}
