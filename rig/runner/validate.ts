// The one validation path of scenario files, for `rig check` and for `rig run` (and every command that loads
// scenarios to run them): the file as the loader reads it (schema, cross-references, board profiles, duplicate
// ids), then each variant as its broker session will resolve it (rig/runner/session.ts), checked without running
// anything: the resolved PKI as buildPki plans it, a verbatim broker conf's placeholders, and the build options and
// library versions the boards' twins must know. A scenario `rig check` accepts is one `rig run` does not reject
// before its cells run.
import { readFile } from 'node:fs/promises';
import type { BoardProfile } from '../boards/profile.ts';
import type { Problem } from '../errors.ts';
import { placeholders, positionProblems, type PathProblem } from '../format/index.ts';
import { checkPkiSpec, PkiError } from '../pki/index.ts';
import { loadScenarios } from '../scenario/files.ts';
import type { LoadedScenario } from '../scenario/load.ts';
import { resolveVariant, type ResolvedVariant } from '../scenario/resolve.ts';
import { certEntries, type Scenario } from '../scenario/schema.ts';
import { buildProblems, loadBuildTables, type BuildTables } from '../twin/scenario-check.ts';
import { moduleProblems } from './module-check.ts';

/** Any address: placeholders are checked by name, the address itself only exists once a broker runs. */
const VARS = { 'broker.ip': '192.0.2.1' };

/** Loads scenario files and checks every variant; all problems of all files come back in one FormatError. */
export async function loadRunnableScenarios(
  files: string[],
  profiles: ReadonlyMap<string, BoardProfile>,
): Promise<LoadedScenario[]> {
  const tables = await loadBuildTables(profiles);
  return loadScenarios(files, profiles, (l) => runnableProblems(l, profiles, tables));
}

/**
 * What a session would reject in this scenario's variants, and what a twin build would (an FQBN menu option or a
 * library version the twin does not know), at its place in the file.
 */
export async function runnableProblems(
  l: LoadedScenario,
  profiles: ReadonlyMap<string, BoardProfile>,
  tables: BuildTables,
): Promise<Problem[]> {
  const found = [
    ...variantProblems(l.scenario),
    ...buildProblems(l.scenario, profiles, tables),
    ...moduleProblems(l.scenario, profiles),
  ];
  if (found.length === 0) return [];
  return positionProblems(await readFile(l.file, 'utf8'), l.file, found);
}

export function variantProblems(s: Scenario): PathProblem[] {
  const out = new Map<string, PathProblem>();
  const add = (p: PathProblem): void => {
    out.set(`${p.path.join('.')}\n${p.message}`, p);
  };
  for (const v of Object.keys(s.variants)) {
    let rv: ResolvedVariant;
    try {
      rv = resolveVariant(s, v, VARS);
    } catch (e) {
      add({ path: ['variants', v], message: `variant ${v}: ${(e as Error).message}` });
      continue;
    }
    const pki = pkiProblem(s, v, rv);
    if (pki) add(pki);
    for (const p of confProblems(s, v, rv)) add(p);
    for (const p of fingerprintProblems(s, v, rv)) add(p);
  }
  return [...out.values()];
}

/** buildPki's static rejection of the variant's resolved PKI, at the variant's patch or the scenario's pki. */
function pkiProblem(s: Scenario, v: string, rv: ResolvedVariant): PathProblem | undefined {
  try {
    checkPkiSpec(rv.pki, VARS);
    return undefined;
  } catch (e) {
    if (!(e instanceof PkiError)) throw e;
    const patch = s.variants[v]?.pki;
    // "pki.server.validity: …" names the field; a first line is enough for a position.
    const message = e.message.split('\n')[0]!;
    const field = /^pki((?:\.[A-Za-z0-9_-]+)*)/.exec(message)?.[1]?.split('.').filter(Boolean) ?? [];
    if (!patch || Object.keys(patch).length === 0) return { path: ['pki', ...field], message };
    const named = certEntries(s.pki).map(([n]) => n);
    if (patch.verbatim && named.length > 0)
      return {
        path: ['variants', v, 'pki', 'verbatim'],
        message: `variant ${v}: its verbatim script replaces only the scenario's script; the scenario's named certificates (${named.join(', ')}) stay, and a PKI cannot have both: give the scenario a verbatim script too, or patch the named certificates`,
      };
    if (s.pki.verbatim && Object.keys(patch).some((k) => k !== 'verbatim'))
      return {
        path: ['variants', v, 'pki'],
        message: `variant ${v}: named certificates patched over the scenario's verbatim script; a PKI cannot have both: replace the script (pki.verbatim) instead`,
      };
    return { path: ['variants', v, 'pki', ...field], message: `variant ${v}: ${message}` };
  }
}

/** `{{pki.NAME.tasmota-fingerprint}}` in client.config: NAME must be a named certificate with an RSA key. */
function fingerprintProblems(s: Scenario, v: string, rv: ResolvedVariant): PathProblem[] {
  const certs = new Map(certEntries(rv.pki));
  const out: PathProblem[] = [];
  for (const [k, value] of Object.entries(rv.client.config)) {
    if (typeof value !== 'string') continue;
    for (const name of placeholders(value)) {
      const m = /^pki\.(.+)\.tasmota-fingerprint$/.exec(name);
      if (!m) continue;
      const cert = certs.get(m[1]!);
      const why = !cert
        ? `no PKI certificate named "${m[1]}" (have: ${[...certs.keys()].join(', ') || 'none'})`
        : cert.key?.type === 'ec'
          ? `"${m[1]}" has an EC key; Tasmota fingerprints RSA keys only`
          : undefined;
      if (!why) continue;
      const own = s.variants[v]?.config?.[k] !== undefined;
      out.push({
        path: own ? ['variants', v, 'config', k] : ['client', 'config', k],
        message: `${own ? `variant ${v}: ` : ''}client.config ${k} {{${name}}}: ${why}`,
      });
    }
  }
  return out;
}

/** Placeholders of a verbatim conf that the broker stage could not fill (renderVerbatimConf's rejection). */
function confProblems(s: Scenario, v: string, rv: ResolvedVariant): PathProblem[] {
  const conf = rv.broker.conf;
  if (conf === undefined) return [];
  const names = new Set([
    ...certEntries(rv.pki).map(([n]) => n),
    ...Object.keys(rv.pki.verbatim?.files ?? {}).map((k) => k.replace(/\.(crt|key)$/, '')),
  ]);
  const own = s.variants[v]?.broker?.conf !== undefined;
  const out: PathProblem[] = [];
  for (const name of placeholders(conf)) {
    const cert = /^pki\.([A-Za-z0-9._-]+)\.(crt|key)$/.exec(name);
    if (cert ? names.has(cert[1]!) : /^port\.\d+$/.test(name) || ['passwd', 'acl', ...Object.keys(VARS)].includes(name))
      continue;
    const why = cert
      ? `no PKI certificate named "${cert[1]}" (have: ${[...names].join(', ') || 'none'})`
      : 'unknown placeholder (known: pki.NAME.crt, pki.NAME.key, port.N, passwd, acl, broker.ip)';
    out.push({
      path: own ? ['variants', v, 'broker', 'conf'] : ['broker', 'conf'],
      message: `${own ? `variant ${v}: ` : ''}broker.conf {{${name}}}: ${why}`,
    });
  }
  return out;
}
