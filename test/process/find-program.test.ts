// One program lookup for doctor's checks and the processes the rig starts: PATH first, then /usr/sbin and /sbin.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findProgram } from '../../rig/process/index.ts';

describe('findProgram', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rig-find-program-'));
    writeFileSync(path.join(dir, 'rig-runnable'), '#!/bin/sh\n');
    chmodSync(path.join(dir, 'rig-runnable'), 0o755);
    writeFileSync(path.join(dir, 'rig-plain-file'), 'not a program\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds an executable on PATH and skips a file that is not executable', async () => {
    assert.equal(await findProgram('rig-runnable', { PATH: dir }), path.join(dir, 'rig-runnable'));
    assert.equal(await findProgram('rig-plain-file', { PATH: dir }), undefined);
  });

  it('looks in /usr/sbin and /sbin when PATH lacks them (where Debian puts mosquitto)', async function () {
    const inSbin = await findProgram('mosquitto', { PATH: dir });
    if (!inSbin) {
      console.log('      (skipped: no mosquitto in /usr/sbin or /sbin on this machine)');
      return this.skip();
    }
    assert.match(inSbin, /^\/(usr\/)?sbin\/mosquitto$/);
  });

  it('takes a name with a slash as a path, as written', async () => {
    assert.equal(await findProgram('./relative/tool', { PATH: dir }), './relative/tool');
  });
});
