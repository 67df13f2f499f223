// PKI timing for a seed-like scenario (ca + server + client, RSA 2048): a cold build and a warm hit.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PkiSpec } from '../scenario/schema.ts';
import { buildPki } from './index.ts';

export interface PkiBenchResult {
  coldMs: number;
  warmMs: number;
  hash: string;
}

export const SEED_LIKE_PKI: PkiSpec = {
  ca: { subject: { C: 'IT', O: 'Home', OU: 'CA', CN: 'MQTT CA' }, validity: { days: 3650 } },
  server: {
    subject: { C: 'IT', O: 'Home', OU: 'Server', CN: 'raspberry' },
    san: ['IP:{{broker.ip}}', 'DNS:raspberry'],
  },
  client: { subject: { C: 'IT', O: 'Home', OU: 'Client', CN: 'ESP8266' }, extendedKeyUsage: ['clientAuth'] },
};

/** Times one cold build in a fresh cache folder, then one warm hit; removes the folder. */
export async function pkiBench(cacheRoot: string = os.tmpdir()): Promise<PkiBenchResult> {
  const cacheDir = await mkdtemp(path.join(cacheRoot, 'rig-pki-bench-'));
  try {
    const ctx = { vars: { 'broker.ip': '127.0.0.1' }, cacheDir };
    let t = performance.now();
    const cold = await buildPki(SEED_LIKE_PKI, ctx);
    const coldMs = performance.now() - t;
    t = performance.now();
    const warm = await buildPki(SEED_LIKE_PKI, ctx);
    const warmMs = performance.now() - t;
    if (cold.cached || !warm.cached) throw new Error('pkiBench: expected a cold build then a warm hit');
    return { coldMs: Math.round(coldMs), warmMs: Math.round(warmMs * 10) / 10, hash: cold.hash };
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
}
