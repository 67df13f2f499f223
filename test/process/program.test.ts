// Short-lived programs through the spawner (rig/process/program.ts): output, input, environment, deadline and a
// program that cannot start, as the control and broker code read them.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ownedTempDir, runProgram, startProgram } from '../../rig/process/index.ts';

describe('process: short-lived programs', function () {
  this.timeout(20_000);

  it('collects stdout, stderr and both interleaved, with the exit code; the environment is added to', async () => {
    const r = await runProgram({
      command: 'sh',
      args: ['-c', 'echo "one $RIG_T"; sleep 0.05; echo two >&2; sleep 0.05; echo "three ${HOME:+home}"; exit 4'],
      env: { RIG_T: 'x' },
    });
    assert.equal(r.stdout, 'one x\nthree home\n', 'the rig environment (HOME) is kept');
    assert.equal(r.stderr, 'two\n');
    assert.equal(r.all, 'one x\ntwo\nthree home\n');
    assert.deepEqual([r.code, r.signal, r.timedOut], [4, null, false]);
  });

  it('gives input on stdin and closes it; without input stdin is empty', async () => {
    assert.equal((await runProgram({ command: 'cat', args: [], input: 'fed\n' })).stdout, 'fed\n');
    assert.equal((await runProgram({ command: 'cat', args: [] })).stdout, '');
  });

  it('ends a program at its deadline, SIGKILL for one that ignores SIGTERM, and says so', async () => {
    const polite = await runProgram({ command: 'sleep', args: ['30'], timeoutMs: 100 });
    assert.deepEqual([polite.signal, polite.timedOut], ['SIGTERM', true]);
    const stubborn = await runProgram({
      command: 'sh',
      args: ['-c', 'trap "" TERM; while :; do sleep 0.05; done'],
      timeoutMs: 100,
    });
    assert.deepEqual([stubborn.signal, stubborn.timedOut], ['SIGKILL', true]);
  });

  it('streams output as it comes and can be stopped early; a missing program is an error, not a throw', async () => {
    const seen: string[] = [];
    const p = await startProgram({
      command: 'sh',
      args: ['-c', 'echo ready; exec sleep 30'],
      onOutput: (t) => seen.push(t),
    });
    while (!seen.join('').includes('ready')) await new Promise((r) => setTimeout(r, 10));
    p.child.kill('SIGKILL');
    assert.equal((await p.result).signal, 'SIGKILL');
    const missing = await runProgram({ command: 'rig-no-such-program', args: [] });
    assert.equal((missing.error as NodeJS.ErrnoException).code, 'ENOENT');
    assert.equal(missing.code, null);
  });

  it("removes an owned folder in rm's process: all of it, not what a link inside points to", async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'rig-test-keep-'));
    writeFileSync(path.join(outside, 'keep'), 'x');
    const owned = ownedTempDir('rig-test-rm-');
    mkdirSync(path.join(owned.dir, 'out', 'deep'), { recursive: true, mode: 0o500 });
    writeFileSync(path.join(owned.dir, 'key.pem'), 'secret', { mode: 0o400 });
    symlinkSync(outside, path.join(owned.dir, 'out', 'link'));
    await Promise.all([owned.removeAsync(), owned.removeAsync()]);
    assert.equal(existsSync(owned.dir), false);
    assert.equal(existsSync(path.join(outside, 'keep')), true, 'the link was removed, not followed');
    owned.remove(); // idempotent after the fact
    rmSync(outside, { recursive: true });
  });
});
