// What a cell's board has in its flash file system (SPIFFS, LittleFS): the sketch's data/ folder (what the IDE's
// "Sketch Data Upload" puts there), then the scenario's `files:` with their placeholders filled from the cell's PKI
// and broker ({{pki.ca.crt}}, {{pki.client.key}}, {{broker.ip}}; exactly {{pki.NAME.der}} / {{pki.NAME.key.der}} give
// binary DER, as `openssl x509|rsa|ec -outform DER` makes it). Placeholder syntax: the rig's one grammar (rig/format).
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { TargetError } from '../errors.ts';
import { fillTemplate, fillVars, placeholders } from '../format/index.ts';
import type { PkiBundle } from '../pki/index.ts';

export interface FlashFiles {
  /** Flash path ("/ca.crt") → bytes. */
  files: Record<string, Buffer>;
  /** Private key text that went into a file: the run's redactor must hide it if the sketch prints it. */
  secrets: string[];
}

/** Builds the flash image's files; `templates` are the resolved scenario files (path → content template). */
export async function flashFiles(
  sketchDir: string | undefined,
  templates: Record<string, string>,
  pki: PkiBundle,
  vars: Record<string, string>,
): Promise<FlashFiles> {
  const files: Record<string, Buffer> = sketchDir ? await dataFolder(path.join(sketchDir, 'data')) : {};
  const secrets: string[] = [];
  const pkiVars: Record<string, string> = { ...vars };
  for (const [name, c] of Object.entries(pki.certs)) {
    pkiVars[`pki.${name}.crt`] = await readFile(c.crt, 'utf8');
    if (c.key) pkiVars[`pki.${name}.key`] = await readFile(c.key, 'utf8');
  }
  for (const [p, template] of Object.entries(templates)) {
    const key = p.startsWith('/') ? p : `/${p}`;
    const der = /^pki\.([\w.-]+?)\.(der|key\.der)$/.exec(soleName(template) ?? '');
    if (der) {
      files[key] = await derOf(pki, der[1]!, der[2] === 'der' ? 'crt' : 'key', `files.${p}`);
      if (der[2] === 'key.der') secrets.push(files[key].toString('base64'));
      continue;
    }
    const text = fillTemplate(
      template,
      (name) => (Object.hasOwn(pkiVars, name) ? pkiVars[name] : undefined),
      (name) => {
        throw new TargetError('not-configured', `files.${p}: unknown placeholder {{${name}}}`);
      },
    );
    for (const name of placeholders(template))
      if (/^pki\.[\w.-]+\.key$/.test(name)) secrets.push(...keyLines(pkiVars[name]));
    files[key] = Buffer.from(text, 'utf8');
  }
  return { files, secrets };
}

/** The placeholder's name when the text is that one placeholder alone (spaces around it allowed). */
function soleName(text: string): string | undefined {
  const names = placeholders(text);
  return names.length === 1 && fillVars(text, { [names[0]!]: '' }).trim() === '' ? names[0] : undefined;
}

async function derOf(pki: PkiBundle, name: string, what: 'crt' | 'key', where: string): Promise<Buffer> {
  const c = pki.certs[name];
  if (!c) throw new TargetError('not-configured', `${where}: no certificate named "${name}" in pki`);
  if (what === 'crt') return Buffer.from(new X509Certificate(await readFile(c.crt)).raw);
  const file = c.keyPlain ?? c.key;
  if (!file) throw new TargetError('not-configured', `${where}: certificate "${name}" has no private key`);
  const key = createPrivateKey(await readFile(file));
  // What `openssl rsa -outform DER` / `openssl ec -outform DER` write: PKCS#1 for RSA, SEC 1 for EC.
  return key.export({ format: 'der', type: key.asymmetricKeyType === 'ec' ? 'sec1' : 'pkcs1' }) as Buffer;
}

/** A sketch's data/ folder, path by path (sub-folders too), as the upload tools put it in flash. */
async function dataFolder(dir: string, prefix = ''): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  const isDir = await stat(dir)
    .then((s) => s.isDirectory())
    .catch(() => false);
  if (!isDir) return out;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) Object.assign(out, await dataFolder(p, `${prefix}/${e.name}`));
    else if (e.isFile()) out[`${prefix}/${e.name}`] = await readFile(p);
  }
  return out;
}

/** A private key's base64 lines (a sketch may print a file without its BEGIN line). */
function keyLines(pem: string | undefined): string[] {
  return (pem ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length >= 16 && /^[A-Za-z0-9+/=]+$/.test(l));
}
