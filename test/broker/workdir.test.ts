// Broker work folders (server key, password file) of a rig killed with SIGKILL are removed by the next rig.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brokerWorkDir, sweepStaleWorkDirs } from '../../rig/broker/workdir.ts';

describe('broker work folders', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-workdir-test-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it("removes folders whose owner is gone, keeps live owners' and unmarked ones", async () => {
    const dead = spawnSync('true').pid!; // a pid that has exited (reuse within this test is not a concern)
    const stale = path.join(tmp, 'rig-broker-work-stale');
    mkdirSync(stale);
    writeFileSync(path.join(stale, 'rig-owner.pid'), `${dead}\n`);
    writeFileSync(path.join(stale, 'server.key'), 'KEY');
    const mine = await brokerWorkDir('rig-broker-work-', tmp);
    const unmarked = path.join(tmp, 'rig-broker-someone-else');
    mkdirSync(unmarked);
    const other = path.join(tmp, 'not-a-broker');
    mkdirSync(other);
    writeFileSync(path.join(other, 'rig-owner.pid'), `${dead}\n`);
    assert.deepEqual(await sweepStaleWorkDirs(tmp), [stale]);
    assert.equal(existsSync(stale), false);
    assert.ok(existsSync(mine) && existsSync(unmarked) && existsSync(other));
  });
});
