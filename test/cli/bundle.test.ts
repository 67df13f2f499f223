// bin/rig.mjs runs the CLI from an esbuild bundle cached by the sources' hash (bin/cli-bundle.mjs). The bundle must
// behave as the sources do through tsx, find the rig's files from each module's own import.meta.url, and survive
// several rig processes building it at once.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../rig/project.ts';

const root = projectPaths().root;

function rig(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'rig.mjs'), ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('cli: the cached bundle', function () {
  this.timeout(120_000);
  let tmp = '';
  let cache = '';
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-cli-bundle-'));
    symlinkSync(path.join(root, 'node_modules'), path.join(tmp, 'node_modules'));
    cache = path.join(tmp, 'cache');
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('three rigs started at once on an empty cache build one bundle and all run from it', async () => {
    const env = { RIG_BUNDLE_CACHE: cache, RIG_DEBUG_BUNDLE: '1' };
    const runs = await Promise.all([1, 2, 3].map(() => rig(['list'], env)));
    for (const r of runs) {
      assert.equal(r.code, 0, r.err);
      assert.doesNotMatch(r.err, /no CLI bundle/);
      assert.equal(r.out, runs[0]!.out);
    }
    const bundles = readdirSync(cache);
    assert.equal(bundles.length, 1, bundles.join(', '));
    assert.match(bundles[0]!, /^cli-[0-9a-f]{24}$/);
    assert.ok(readdirSync(path.join(cache, bundles[0]!)).includes('main.mjs'));
  });

  it('prints what the sources print through tsx: boards and twins (files found from import.meta.url), a check', async () => {
    const scenario = path.join(root, 'scenarios', 'seeds', 'esp8266-san-ip-bad-server-name.yaml');
    for (const args of [['list'], ['check', scenario], ['check', path.join(root, 'package.json')]]) {
      const bundled = await rig(args, { RIG_BUNDLE_CACHE: cache });
      const source = await rig(args, { RIG_FROM_SOURCE: '1' });
      assert.equal(bundled.code, source.code, `${args.join(' ')}: ${bundled.err}`);
      assert.equal(bundled.out, source.out, args.join(' '));
      assert.equal(bundled.err, source.err, args.join(' '));
    }
  });
});
