// Facts diagnose gathers beside the boards' run: why mosquitto would not start (its full start-up log), and
// whether the server chain reaches the user's CA (`openssl verify`), with the intermediate CA the broker
// does not send looked up among the user's own certificate files.
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { ownedTempDir } from '../process/index.ts';
import path from 'node:path';
import { BrokerStartError, startBroker } from '../broker/index.ts';
import { buildPki } from '../pki/index.ts';
import type { ProjectPaths } from '../project.ts';
import { resolveVariant } from '../scenario/resolve.ts';
import type { Scenario } from '../scenario/schema.ts';
import { runOpenssl, type StagedUserFiles, type UserFiles } from './inputs.ts';
import type { ChainFacts } from './rules.ts';

/** Starts the diagnose scenario's broker once: undefined when it runs, else mosquitto's last log lines. */
export async function brokerStartLog(scenario: Scenario, paths: ProjectPaths): Promise<string[] | undefined> {
  const vars = { 'broker.ip': '127.0.0.1' };
  const rv = resolveVariant(scenario, Object.keys(scenario.variants)[0]!, vars);
  const pki = await buildPki(rv.pki, { vars, cacheDir: path.join(paths.cache, 'pki') });
  // As in the runner: a folder the broker's own user can reach (the key copy in it is removed below).
  const owned = ownedTempDir('rig-broker-work-');
  const work = owned.dir;
  try {
    const b = await startBroker(rv.broker, pki, { provider: 'local', workDir: work, vars });
    await b.stop();
    return undefined;
  } catch (e) {
    if (e instanceof BrokerStartError) return e.logTail;
    throw e;
  } finally {
    owned.remove();
  }
}

/** `openssl verify` of the leaf with the chain the broker sends: ok, or openssl's reason ("unable to get …"). */
async function verify(
  caFile: string,
  untrusted: string[],
  leaf: string,
  dir: string,
): Promise<{ ok: boolean; error?: string }> {
  const args = ['verify', '-CAfile', caFile];
  if (untrusted.length) {
    const file = path.join(dir, `untrusted-${untrusted.length}-${Math.random().toString(36).slice(2)}.crt`);
    await writeFile(file, (await Promise.all(untrusted.map((f) => readFile(f, 'utf8')))).join(''));
    args.push('-untrusted', file);
  }
  const r = await runOpenssl([...args, leaf]);
  if (r.ok) return { ok: true };
  const said = `${r.out}\n${r.err}`;
  const m = /error \d+ at \d+ depth lookup: ?(.*)/.exec(said);
  return {
    ok: false,
    error: (m?.[1] ?? said.split('\n').find((l) => /error/i.test(l)) ?? 'verification failed').trim(),
  };
}

interface FoundCert {
  file: string;
  pem: string;
  subject: string;
  issuer: string;
}

/** The certificates in a PEM file, with RFC 2253 subject and issuer (as the summaries print them). */
async function certsIn(file: string): Promise<FoundCert[]> {
  const text = await readFile(file, 'latin1').catch(() => '');
  const out: FoundCert[] = [];
  for (const m of text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)) {
    const r = await runOpenssl(['x509', '-noout', '-subject', '-issuer', '-nameopt', 'RFC2253'], {}, `${m[0]}\n`);
    if (!r.ok) continue;
    const line = (p: string): string =>
      r.out
        .split('\n')
        .find((l) => l.startsWith(p))
        ?.slice(p.length)
        .trim() ?? '';
    out.push({ file, pem: `${m[0]}\n`, subject: line('subject='), issuer: line('issuer=') });
  }
  return out;
}

function sameCert(a: FoundCert, b: FoundCert): boolean {
  return a.pem.replace(/\s/g, '') === b.pem.replace(/\s/g, '');
}

/** Certificate files beside the user's files (a few dozen at most: this is a hint, not a search). */
async function nearbyCertFiles(f: UserFiles): Promise<string[]> {
  const dirs = [...new Set([f.cert, f.ca, f.conf].filter((x): x is string => !!x).map((x) => path.dirname(x)))];
  const given = new Set([f.cert, f.ca].filter(Boolean));
  const files: string[] = [];
  for (const d of dirs) {
    const names = await readdir(d).catch(() => [] as string[]);
    for (const n of names.sort()) {
      const file = path.join(d, n);
      if (!/\.(crt|pem|cer|ca-bundle)$/i.test(n) || given.has(file)) continue;
      const st = await stat(file).catch(() => undefined);
      if (st?.isFile() && st.size < 64_000) files.push(file);
      if (files.length >= 40) return files;
    }
  }
  return files;
}

/** Chain facts for the untrusted rules; nothing when no CA is given (the board then has none either). */
export async function chainFacts(staged: StagedUserFiles, f: UserFiles): Promise<ChainFacts> {
  if (!staged.certs.ca || !staged.parts.server) return {};
  const caFile = path.join(staged.dir, staged.certs.ca.crt);
  const leaf = path.join(staged.dir, staged.parts.server);
  const sent = Object.entries(staged.parts)
    .filter(([n]) => /^server-chain-\d+$/.test(n))
    .map(([, p]) => path.join(staged.dir, p));
  const result = await verify(caFile, sent, leaf, staged.dir);
  if (result.ok) return { verify: result };
  const [leafCert] = await certsIn(leaf);
  if (!leafCert) return { verify: result };
  const sentSubjects = new Set((await Promise.all(sent.map(certsIn))).flat().map((c) => c.subject));
  // The issuer the chain stops at: the leaf's, or the last sent certificate's.
  let top = leafCert.issuer;
  for (const c of (await Promise.all(sent.map(certsIn))).flat())
    if (c.subject === top && c.issuer !== c.subject) top = c.issuer;
  if (sentSubjects.has(top)) return { verify: result };
  // A file holding just the intermediate is the one to cat after server.crt; a full-chain file is the certfile.
  const found: NonNullable<ChainFacts['missingIntermediate']>[] = [];
  for (const file of await nearbyCertFiles(f)) {
    const all = await certsIn(file);
    for (const c of all) {
      if (c.subject !== top || c.issuer === c.subject) continue;
      const tmp = path.join(staged.dir, `candidate-${found.length}.crt`);
      await writeFile(tmp, c.pem);
      const completes = (await verify(caFile, [...sent, tmp], leaf, staged.dir)).ok;
      found.push({
        subject: c.subject,
        issuer: c.issuer,
        file,
        completes,
        fileHoldsChain: all.some((x) => sameCert(x, leafCert)),
      });
    }
  }
  const rank = (x: (typeof found)[number]): number => (x.completes ? 0 : 2) + (x.fileHoldsChain ? 1 : 0);
  const best = found.sort((a, b) => rank(a) - rank(b))[0];
  return { verify: result, ...(best ? { missingIntermediate: best } : {}) };
}
