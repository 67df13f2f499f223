// The content-addressed PKI cache: <cacheDir>/<hash>/{certs,private,summary.json}.
// A build happens in a temp folder beside the target and is renamed into place, so concurrent
// builds of one hash never see each other's half-written files; the loser of the race drops its copy.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { ownerAlive } from '../process/index.ts';
import path from 'node:path';
import { z } from 'zod';
import { CertSummary } from '../results/schema.ts';

/** Bump when the layout or the way certificates are made changes: old cache entries are then ignored. */
export const PKI_SCHEMA_VERSION = 1;

const RelPath = z
  .string()
  .refine((p) => !path.isAbsolute(p) && !p.split('/').includes('..'), 'a path inside the PKI folder');

export const ManifestCert = z
  .object({
    crt: RelPath,
    key: RelPath.optional(),
    keyPlain: RelPath.optional().describe('Unencrypted copy of an encrypted key (for the broker)'),
    chain: RelPath.optional().describe('Leaf followed by its intermediates'),
    keyEncrypted: z.boolean().default(false),
    summary: CertSummary,
  })
  .strict();
export type ManifestCert = z.infer<typeof ManifestCert>;

/** summary.json: what a cache entry holds. No key material, no passphrases. */
export const PkiManifest = z
  .object({
    schema: z.literal(PKI_SCHEMA_VERSION),
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    mode: z.enum(['declarative', 'verbatim']),
    openssl: z.string(),
    createdAt: z.string(),
    certs: z.record(z.string(), ManifestCert),
  })
  .strict();
export type PkiManifest = z.infer<typeof PkiManifest>;

/** JSON with sorted keys, so equal specs hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function cacheKey(parts: { spec: unknown; openssl: string; day: string | null }): string {
  return createHash('sha256')
    .update(canonicalJson({ schema: PKI_SCHEMA_VERSION, openssl: parts.openssl, day: parts.day, spec: parts.spec }))
    .digest('hex');
}

/** The manifest of a finished entry, or undefined when absent or unreadable (then it is rebuilt). */
export async function loadEntry(dir: string): Promise<PkiManifest | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, 'summary.json'), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = PkiManifest.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // truncated or hand-edited JSON: treat as missing
  }
}

/** A fresh private build folder next to the final one (same filesystem, so rename is atomic). */
export async function makeBuildDir(cacheDir: string, hash: string): Promise<string> {
  await mkdir(cacheDir, { recursive: true });
  await sweepDeadBuilds(cacheDir);
  const dir = path.join(
    cacheDir,
    `.build-${hash.slice(0, 12)}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
  );
  await mkdir(dir, { mode: 0o755 }); // certs/ stays readable; private/ is 0700
  return dir;
}

/** Build folders (keys mid-build) of a rig killed before it could remove them: `.build-<hash>-<pid>-<random>`. */
async function sweepDeadBuilds(cacheDir: string): Promise<void> {
  for (const name of await readdir(cacheDir).catch(() => [] as string[])) {
    const pid = /^\.build-[0-9a-f]+-(\d+)-/.exec(name)?.[1];
    if (pid && pid !== String(process.pid) && !ownerAlive(pid))
      await rm(path.join(cacheDir, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Writes summary.json last, then renames the build folder to <cacheDir>/<hash>. When another build
 * got there first its entry wins and ours is deleted. Returns the final folder.
 */
export async function publish(buildDir: string, finalDir: string, manifest: PkiManifest): Promise<string> {
  await writeFile(path.join(buildDir, 'summary.json'), `${JSON.stringify(PkiManifest.parse(manifest), null, 2)}\n`);
  try {
    await rename(buildDir, finalDir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
    await rm(buildDir, { recursive: true, force: true });
    if (!(await loadEntry(finalDir)))
      throw new Error(`PKI cache entry ${finalDir} exists but has no valid summary.json; delete it`, { cause: e });
  }
  return finalDir;
}
