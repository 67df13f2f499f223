// rig doctor runs what it lists: a tool whose binary is broken is MISSING even though its package is installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../rig/project.ts';

const rig = (args: string[], env: NodeJS.ProcessEnv = process.env): ReturnType<typeof spawnSync> =>
  spawnSync(process.execPath, [path.join(projectPaths().root, 'bin/rig.mjs'), ...args], {
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });

describe('rig doctor', function () {
  this.timeout(60_000);

  it('runs each tool and shows its version', function () {
    const r = rig(['doctor', '--json']);
    const report = JSON.parse(String(r.stdout)) as { tools: Record<string, { ok: boolean; version?: string }> };
    if (!report.tools.openssl?.ok) {
      console.log('skip: openssl is not installed here');
      this.skip();
    }
    assert.match(report.tools.openssl.version ?? '', /^\d+\.\d+/);
  });

  it('reports a tool whose binary fails to run as MISSING and exits 3', () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), 'rig-doctor-'));
    try {
      // A mosquitto that cannot start, found first in PATH: what a half-removed package looks like.
      writeFileSync(
        path.join(bin, 'mosquitto'),
        '#!/bin/sh\necho "mosquitto: error while loading shared libraries: libwebsockets.so.17" >&2\nexit 127\n',
      );
      chmodSync(path.join(bin, 'mosquitto'), 0o755);
      const r = rig(['doctor'], { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` });
      assert.equal(r.status, 3, String(r.stdout) + String(r.stderr));
      assert.match(String(r.stdout), /^mosquitto +MISSING +.*error while loading shared libraries/m);
      assert.match(String(r.stdout), /Missing or broken: mosquitto\b/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
