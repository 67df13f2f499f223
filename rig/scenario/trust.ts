// Which inputs of a run a stranger may have written (SECURITY.md): the code and files the rig runs from them must
// be sandboxed, and `rig run` refuses them where the sandbox is missing unless told --allow-unsandboxed.
// Untrusted: a post's own openssl commands (pki.verbatim) or mosquitto.conf (broker.conf), a scenario file from
// outside this checkout, a sketch or a libraries folder (librariesDir: code compiled into the twin) from outside it,
// and everything when the run says --untrusted (CI on a pull request: a PR changes files inside the checkout too).
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { LoadedScenario } from './load.ts';

function inside(root: string, p: string): boolean {
  let real = p;
  try {
    real = realpathSync(p);
  } catch {
    /* not there (yet): judge the path as written */
  }
  const r = path.relative(root, real);
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
}

function sketches(l: LoadedScenario): string[] {
  const s = l.scenario;
  const top = typeof s.sketch === 'string' ? [s.sketch] : Object.values(s.sketch ?? {});
  return [...top, ...Object.values(s.variants).flatMap((v) => (v.sketch ? [v.sketch] : []))];
}

/** Why this run's inputs are untrusted (empty: every input is the project's own). */
export function untrustedInputs(scenarios: LoadedScenario[], root: string, all = false): string[] {
  const realRoot = (() => {
    try {
      return realpathSync(root);
    } catch {
      return root;
    }
  })();
  const out: string[] = [];
  if (all) out.push('--untrusted: every input is treated as a stranger’s');
  for (const l of scenarios) {
    const s = l.scenario;
    const id = s.id;
    if (!inside(realRoot, l.file)) out.push(`${id}: the scenario file is outside this checkout (${l.file})`);
    const verbatimPki = s.pki.verbatim || Object.values(s.variants).some((v) => v.pki?.verbatim);
    if (verbatimPki) out.push(`${id}: runs a post's own openssl commands (pki.verbatim)`);
    const verbatimConf = s.broker.conf !== undefined || Object.values(s.variants).some((v) => v.broker?.conf);
    if (verbatimConf) out.push(`${id}: runs a post's own mosquitto.conf (broker.conf)`);
    for (const rel of sketches(l)) {
      // As rig/target/sketch.ts finds it: relative to the project root, else to the scenario's folder.
      const found = [root, path.dirname(l.file)]
        .map((b) => path.resolve(b, rel))
        .find((d) => existsSync(path.join(d, `${path.basename(d)}.ino`)));
      if (!inside(realRoot, found ?? path.resolve(root, rel)))
        out.push(`${id}: the sketch ${rel} is outside this checkout`);
    }
    // As rig/target/twin.ts finds it: relative to the scenario's folder.
    if (s.librariesDir && !inside(realRoot, path.resolve(path.dirname(l.file), s.librariesDir)))
      out.push(`${id}: the libraries folder ${s.librariesDir} is outside this checkout`);
  }
  return out;
}
