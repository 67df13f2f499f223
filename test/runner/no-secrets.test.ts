// A run folder is uploaded as a CI artifact: no private key, password file or password may land in it.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadScenario } from '../../rig/scenario/load.ts';
import { projectPaths } from '../../rig/project.ts';
import { runQuiet } from '../helpers/matrix.ts';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('run folders hold no secrets', function () {
  this.timeout(240_000);
  it('passwords, key passphrases and private keys (also an MKR1000 slot key under the sandbox) stay out', async () => {
    const paths = projectPaths();
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-secrets-'));
    const loaded = await loadScenario(path.join(paths.scenarios, 'matrix', 'matrix-trust-and-auth.yaml'));
    const r = await runQuiet({
      scenarios: [loaded],
      filter: /\/(bad-password|client-cert)\//,
      outDir: path.join(tmp, 'run'),
      sandbox: true,
      paths,
    });
    assert.ok(
      r.results.cells.some((c) => c.id === 'matrix-trust-and-auth/client-cert/mkr1000' && c.status === 'pass'),
      'the sandboxed MKR1000 connects with its slot key',
    );
    assert.ok(r.results.cells.filter((c) => c.variant === 'bad-password').every((c) => c.status === 'pass'));
    const all = files(r.runDir);
    assert.ok(
      all.some((f) => f.endsWith('mosquitto.conf')),
      'the broker conf is kept for the report',
    );
    for (const f of all) {
      assert.doesNotMatch(path.basename(f), /\.key$|^passwd$/, f);
      const text = readFileSync(f, 'latin1');
      assert.doesNotMatch(text, /PRIVATE KEY-----/, f);
      assert.doesNotMatch(text, /correct-horse|battery-staple/, f);
    }
    rmSync(tmp, { recursive: true, force: true });
  });
});
