// rig.pki(): certificates from a spec (the scenario file's `pki:` section, as an object), issued with the openssl
// CLI by rig/pki and cached by content hash, exactly as a scenario's are.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildPki, type PkiBundle, type PkiCert } from '../pki/index.ts';
import { projectPaths } from '../project.ts';
import type { PkiSpec } from '../scenario/schema.ts';

export interface PkiOptions {
  /** What `{{broker.ip}}` in a SAN becomes (default 127.0.0.1: twins reach a local broker there). */
  brokerIp?: string;
  /** The clock for relative validity (`days`, `expired`, `notYetValid`); default now. */
  now?: Date;
}

/** Issued certificates: files on disk (keys in a 0700 private/ folder) and their summaries. */
export interface Pki {
  readonly spec: PkiSpec;
  /** The address `{{broker.ip}}` was filled with. */
  readonly brokerIp: string;
  readonly dir: string;
  /** name → { crt, key, chain, summary } (paths of PEM files). */
  readonly certs: Readonly<Record<string, PkiCert>>;
  /** The bundle the broker and target layers take. */
  readonly bundle: PkiBundle;
  /** A certificate's PEM text. */
  pem(name: string): Promise<string>;
}

export async function issuePki(spec: PkiSpec, o: PkiOptions = {}): Promise<Pki> {
  const brokerIp = o.brokerIp ?? '127.0.0.1';
  const bundle = await buildPki(spec, {
    vars: { 'broker.ip': brokerIp },
    cacheDir: path.join(projectPaths().cache, 'pki'),
    ...(o.now ? { now: o.now } : {}),
  });
  return {
    spec,
    brokerIp,
    dir: bundle.dir,
    certs: bundle.certs,
    bundle,
    pem: async (name) => {
      const c = bundle.certs[name];
      if (!c) throw new Error(`no certificate named "${name}" (have: ${Object.keys(bundle.certs).join(', ')})`);
      return readFile(c.crt, 'utf8');
    },
  };
}

/** A Pki, or the spec to issue one from. */
export function isPki(x: Pki | PkiSpec): x is Pki {
  return typeof (x as Pki).pem === 'function' && 'bundle' in x;
}
