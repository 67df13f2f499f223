// One builder per cache entry: concurrent callers wait for it, a lock left by a dead process is taken over, and a
// failed build leaves no lock behind.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { access, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildOnce } from '../../rig/process/index.ts';

describe('buildOnce', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rig-build-once-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const entry = (): { file: string; isDone: () => Promise<boolean> } => {
    const file = path.join(dir, 'entry');
    return {
      file,
      isDone: () =>
        access(file).then(
          () => true,
          () => false,
        ),
    };
  };

  it('three concurrent callers: one build, the others wait for its result', async () => {
    const e = entry();
    let builds = 0;
    let waits = 0;
    const call = (): Promise<void> =>
      buildOnce({
        lockFile: path.join(dir, 'entry.lock'),
        isDone: e.isDone,
        onWait: () => waits++,
        pollMs: 10,
        build: async () => {
          builds++;
          await sleep(100);
          await writeFile(e.file, 'built');
        },
      });
    await Promise.all([call(), call(), call()]);
    assert.equal(builds, 1);
    assert.equal(waits, 2);
    assert.ok(!existsSync(path.join(dir, 'entry.lock')), 'the lock is gone');
  });

  it('takes over a lock whose owner is dead (a pid that is not running)', async () => {
    const e = entry();
    writeFileSync(path.join(dir, 'entry.lock'), '999999999 1\n');
    let builds = 0;
    await buildOnce({
      lockFile: path.join(dir, 'entry.lock'),
      isDone: e.isDone,
      pollMs: 10,
      build: async () => {
        builds++;
        await writeFile(e.file, 'built');
      },
    });
    assert.equal(builds, 1);
  });

  it("a failed build is the caller's error and leaves no lock: the next call builds", async () => {
    const e = entry();
    const lockFile = path.join(dir, 'entry.lock');
    await assert.rejects(
      buildOnce({ lockFile, isDone: e.isDone, build: () => Promise.reject(new Error('g++ said no')) }),
      /g\+\+ said no/,
    );
    assert.ok(!existsSync(lockFile));
    await buildOnce({ lockFile, isDone: e.isDone, build: () => writeFile(e.file, 'built') });
    assert.ok(existsSync(e.file));
  });
});
