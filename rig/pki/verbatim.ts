// Verbatim mode: runs a forum post's own openssl commands, then picks the certificates it made.
//
// The script runs with bash (forum scripts use bash-isms such as `-extfile <(printf …)`) in an
// empty folder, stdin closed and without a controlling terminal, so a command that would prompt
// (no -subj, or a key passphrase without -passout) fails instead of hanging. `sudo X` runs X.
// When bubblewrap works here, the script runs in the rig's sandbox (rig/sandbox, SECURITY.md): as uid 65534, no
// network, seeing /usr, OpenSSL's config and its own folder (TMPDIR inside it) only, with process, memory, CPU and
// file-size limits. The files it wrote are picked without following links. The first failing command is
// reported with its line.
//
// `files` maps logical names to what the script wrote (paths relative to its folder):
//   "X" or "X.crt" → the certificate of X (PEM or DER)
//   "X.key"        → the private key of X (PEM or DER); without it, "<stem>.key" beside X's
//                    certificate file is used when it exists (server.crt → server.key)
//   {} (empty)     → every *.crt the script wrote, each with its <stem>.key when present
import { execa } from 'execa';
import { chownSync, readdirSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { VerbatimPki } from '../scenario/schema.ts';
import { PkiError } from './errors.ts';
import { lastLines, openssl } from './openssl.ts';
import { checkCertName } from './plan.ts';
import {
  NOBODY,
  readFileNoFollow,
  rigIsRoot,
  sandboxCommand,
  sandboxSupport,
  writeFileNoFollow,
} from '../sandbox/index.ts';

export interface VerbatimFiles {
  crt: string;
  key?: string;
  keyEncrypted: boolean;
}

const PRELUDE = [
  'set -eE',
  'sudo() { "$@"; }',
  'trap \'rc=$?; printf "%s\\n%s\\n" "$LINENO" "$BASH_COMMAND" > "$RIG_META/failed"; exit $rc\' ERR',
  '. "$RIG_META/user.sh"',
  '',
].join('\n');

/** Runs the (placeholder-filled) script in `<buildDir>/work` and copies the chosen files into certs/ and private/. */
export async function runVerbatim(v: VerbatimPki, buildDir: string): Promise<Record<string, VerbatimFiles>> {
  const work = path.join(buildDir, 'work');
  const run = path.join(work, 'run');
  const meta = path.join(work, 'meta');
  await mkdir(run, { recursive: true, mode: 0o700 });
  await mkdir(meta, { recursive: true });
  await writeFile(path.join(meta, 'user.sh'), v.script.endsWith('\n') ? v.script : `${v.script}\n`);
  await writeFile(path.join(meta, 'prelude.sh'), PRELUDE);

  const scratch = path.join(work, 'tmp');
  await mkdir(scratch, { recursive: true });
  const r = await runScript(work, run, meta, scratch, rigMade.has(v.script));
  const sandbox = r.sandboxed;
  const log = redactKeys(String(r.all ?? ''));
  await writeFile(path.join(buildDir, 'script.log'), `# sandbox: ${sandbox ? 'bubblewrap' : 'none'}\n${log}\n`);
  if (r.exitCode !== 0 || r.failed) {
    // Written by the script's own shell: read without following a link it may have put there.
    const failed = (await readFileNoFollow(path.join(meta, 'failed'), 4096).catch(() => undefined))?.text ?? '';
    const [line, ...command] = failed.trim().split('\n');
    const where = failed
      ? `line ${line}: \`${command.join(' ')}\``
      : `the script (${r.timedOut ? 'timed out' : `exit ${r.exitCode ?? 'none'}`})`;
    throw new PkiError(`pki.verbatim: ${where} failed: ${lastLines(log, 6) || '(no output)'}${promptHint(log)}`);
  }
  return collect(v.files, run, buildDir);
}

/**
 * Scripts the rig wrote itself in this process (rig diagnose copies the user's own staged files with plain `cp`
 * lines naming a 0700 folder the sandbox cannot see): they run as the rig. Anything else, a post's or a
 * scenario's, runs in the sandbox. Only an exact text registered here counts.
 */
const rigMade = new Set<string>();

/** Registers a script the rig generated (not a stranger's) so it runs outside the sandbox. */
export function markRigMadeScript(script: string): void {
  rigMade.add(script);
}

/** A script's limits: plenty for openssl, not for a fork bomb, a memory hog or a disk filler. */
const SCRIPT_LIMITS = { processes: 128, memoryMb: 1024, cpuSeconds: 120, fileMb: 64, openFiles: 256 };
const MAX_SCRIPT_OUTPUT = 1024 * 1024;

/**
 * Runs the script: in the rig's sandbox (rig/sandbox) when this machine has one, as uid 65534 with no network,
 * seeing /usr, OpenSSL's config and its own folder only; else as is (`rig run` refuses that unless told to).
 */
async function runScript(
  work: string,
  run: string,
  meta: string,
  scratch: string,
  trusted: boolean,
): Promise<{ all: string; exitCode?: number; failed: boolean; timedOut: boolean; sandboxed: boolean }> {
  const sandboxed = !trusted && sandboxSupport().ok;
  const env = { RIG_META: meta, HOME: run, TMPDIR: scratch, PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };
  const argv = ['/bin/bash', path.join(meta, 'prelude.sh')];
  if (sandboxed && rigIsRoot()) chownTree(work, NOBODY.uid, NOBODY.gid);
  const cmd = sandboxed
    ? sandboxCommand({ argv, writable: [work], cwd: run, env, network: 'none', limits: SCRIPT_LIMITS })
    : { command: argv[0]!, args: argv.slice(1) };
  // detached = setsid: no controlling terminal, so openssl cannot open /dev/tty to ask for a passphrase.
  const r = await execa(cmd.command, cmd.args, {
    cwd: run,
    env: sandboxed ? { PATH: process.env.PATH ?? '/usr/bin:/bin' } : env,
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    timeout: 120_000,
    detached: true,
    all: true,
    maxBuffer: MAX_SCRIPT_OUTPUT,
  });
  return { all: String(r.all ?? ''), exitCode: r.exitCode, failed: r.failed, timedOut: r.timedOut, sandboxed };
}

function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chownTree(p, uid, gid);
    else if (e.isFile()) chownSync(p, uid, gid);
  }
}

/** Resolves `files` to cert (and key) per logical name; see the header comment. */
export function mapFiles(
  files: Record<string, string>,
  present: string[],
): Record<string, { crt: string; key?: string }> {
  const certs = new Map<string, string>();
  const keys = new Map<string, string>();
  const entries = Object.entries(files);
  if (entries.length === 0) {
    for (const f of present.filter((p) => p.endsWith('.crt'))) certs.set(f.slice(0, -4), f);
  }
  for (const [logical, file] of entries) {
    if (path.isAbsolute(file) || path.normalize(file).startsWith('..')) {
      throw new PkiError(`pki.verbatim.files.${logical}: "${file}" must be a path inside the script's folder`);
    }
    if (logical.endsWith('.key')) keys.set(logical.slice(0, -4), file);
    else certs.set(logical.replace(/\.crt$/, ''), file);
  }
  for (const name of keys.keys()) {
    if (!certs.has(name))
      throw new PkiError(
        `pki.verbatim.files: key "${name}.key" has no certificate "${name}" (add "${name}: <file>.crt")`,
      );
  }
  const out: Record<string, { crt: string; key?: string }> = {};
  for (const [name, crt] of certs) {
    checkCertName(name, `pki.verbatim.files.${name}`);
    const sibling = `${crt.replace(/\.(crt|pem|cer|der)$/, '')}.key`;
    const key = keys.get(name) ?? (sibling !== crt && present.includes(sibling) ? sibling : undefined);
    out[name] = key ? { crt, key } : { crt };
  }
  return out;
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(path.join(dir, e.name), rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out;
}

async function collect(
  files: Record<string, string>,
  run: string,
  buildDir: string,
): Promise<Record<string, VerbatimFiles>> {
  const present = await listFiles(run);
  const mapped = mapFiles(files, present);
  if (Object.keys(mapped).length === 0)
    throw new PkiError(`pki.verbatim.files: nothing to pick (script wrote: ${present.join(', ') || 'nothing'})`);
  await mkdir(path.join(buildDir, 'certs'), { recursive: true });
  await mkdir(path.join(buildDir, 'private'), { recursive: true, mode: 0o700 });
  await chmod(path.join(buildDir, 'private'), 0o700);
  const out: Record<string, VerbatimFiles> = {};
  for (const [name, m] of Object.entries(mapped)) {
    for (const f of [m.crt, m.key]) {
      if (f !== undefined && !present.includes(path.normalize(f))) {
        throw new PkiError(
          `pki.verbatim.files: "${name}" needs ${f}, which the script did not write (it wrote: ${present.join(', ') || 'nothing'})`,
        );
      }
    }
    const crt = `certs/${name}.crt`;
    await copyPicked(path.join(run, m.crt), path.join(buildDir, crt), ['x509'], `pki.verbatim.files.${name}`, 0o644);
    const entry: VerbatimFiles = { crt, keyEncrypted: false };
    if (m.key) {
      entry.key = `private/${name}.key`;
      const pem = await copyPicked(
        path.join(run, m.key),
        path.join(buildDir, entry.key),
        ['pkey'],
        `pki.verbatim.files.${name}.key`,
      );
      entry.keyEncrypted = pem.includes('ENCRYPTED');
      await chmod(path.join(buildDir, entry.key), 0o600);
    }
    out[name] = entry;
  }
  await rm(path.join(buildDir, 'work'), { recursive: true, force: true });
  return out;
}

const MAX_PICKED_BYTES = 1024 * 1024;

/**
 * Copies a file the script wrote (a regular file, never through a link) to `dest` as PEM: PEM as is, DER
 * converted with `openssl <tool> -inform DER`. Returns the PEM text.
 */
async function copyPicked(src: string, dest: string, tool: string[], what: string, mode = 0o600): Promise<string> {
  const got = await readFileNoFollow(src, MAX_PICKED_BYTES).catch((e: unknown) => {
    throw new PkiError(`${what}: ${(e as Error).message}`);
  });
  if (!got) throw new PkiError(`${what}: ${src} is missing`);
  if (got.truncated) throw new PkiError(`${what}: ${src} is larger than ${MAX_PICKED_BYTES} bytes`);
  if (got.data.includes('-----BEGIN')) {
    await writeFileNoFollow(dest, got.data, mode);
    return got.text;
  }
  const der = `${dest}.der`;
  await writeFileNoFollow(der, got.data, 0o600);
  try {
    await openssl([...tool, '-inform', 'DER', '-in', der, '-out', dest], {
      cwd: path.dirname(dest),
      what: `${what}: converting ${path.basename(src)}`,
    });
  } finally {
    await rm(der, { force: true });
  }
  return readFile(dest, 'utf8');
}

/** The usual reason a forum command fails here: it wanted to ask something. */
function promptHint(log: string): string {
  if (/Country Name \(2 letter code\)|You are about to be asked/.test(log))
    return '\n(hint: nothing answers prompts here; add -subj "/CN=…" to the command)';
  if (/pass ?phrase/i.test(log))
    return '\n(hint: nothing answers prompts here; add -nodes, or -passout/-passin pass:… to the command)';
  return '';
}

/** Scripts may print keys (e.g. `genrsa` without -out); the log keeps only a marker. */
function redactKeys(text: string): string {
  return text.replace(/-----BEGIN ([A-Z ]*PRIVATE KEY)-----[\s\S]*?(-----END \1-----|$)/g, '[private key redacted]');
}
