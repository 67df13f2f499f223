// The managed-process helper on real processes: ready on a line, start failures told apart, stop by escalation,
// and no child left behind when the rig exits or a signal ends it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { ProcessStartError, startManaged } from '../../rig/process/index.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function deadWithin(pid: number, ms: number): Promise<boolean> {
  for (let t = 0; t < ms; t += 50) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

async function startFailure(o: Parameters<typeof startManaged>[0]): Promise<ProcessStartError> {
  const e = await startManaged(o).then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.ok(e instanceof ProcessStartError, String(e));
  return e;
}

describe('process: managed processes', function () {
  this.timeout(20_000);

  it('is ready on the first complete line that matches, with the match', async () => {
    const p = await startManaged({
      command: 'sh',
      args: ['-c', 'printf "starting\\nREA"; sleep 0.2; echo "DY 42"; exec sleep 30'],
      ready: { line: /^READY (\d+)$/, timeoutMs: 5000 },
    });
    assert.equal(p.readyLine, 'READY 42');
    assert.equal(p.readyMatch?.[1], '42');
    assert.match(p.output('stdout'), /starting/);
    assert.equal(p.running(), true);
    const exit = await p.stop();
    assert.deepEqual(exit, { code: null, signal: 'SIGTERM' });
    assert.equal(p.running(), false);
    assert.equal(alive(p.pid), false);
  });

  it('tells a process that exits, one that says nothing and one that cannot start apart', async () => {
    const exited = await startFailure({
      command: 'sh',
      args: ['-c', 'echo "Error: bad key" >&2; exit 3'],
      ready: { line: /running/, timeoutMs: 5000 },
    });
    assert.equal(exited.reason, 'exited');
    assert.equal(exited.exit?.code, 3);
    assert.match(exited.stderr, /Error: bad key/);

    const silent = await startFailure({ command: 'sleep', args: ['30'], ready: { line: /never/, timeoutMs: 300 } });
    assert.equal(silent.reason, 'timeout');
    assert.equal(silent.exit?.signal, 'SIGKILL', 'killed, not left running');

    const missing = await startFailure({ command: '/nonexistent/rig-test', ready: { line: /x/, timeoutMs: 1000 } });
    assert.equal(missing.reason, 'spawn');
    assert.match(missing.message, /ENOENT/);
  });

  it('stops by escalation: stdin EOF first, SIGKILL for a process that ignores SIGTERM', async () => {
    const polite = await startManaged({
      command: 'sh',
      args: ['-c', 'echo up; read line; echo bye'],
      stdin: 'pipe',
      ready: { line: /^up$/, timeoutMs: 5000 },
      stop: { closeStdin: true, termAfterMs: 5000 },
    });
    assert.deepEqual(await polite.stop(), { code: 0, signal: null });
    assert.match(polite.output('stdout'), /bye/);

    const stubborn = await startManaged({
      command: 'sh',
      args: ['-c', 'trap "" TERM; echo up; while :; do sleep 0.05; done'],
      ready: { line: /^up$/, timeoutMs: 5000 },
      stop: { repeatTermMs: 50, killAfterMs: 400 },
    });
    assert.equal((await stubborn.stop()).signal, 'SIGKILL');
    assert.equal(stubborn.stop(), stubborn.stop(), 'stop() is idempotent');
  });

  const when = { exit: 'exits', SIGTERM: 'gets SIGTERM with no subscriber', SIGKILL: 'is killed (SIGKILL)' };
  for (const how of ['exit', 'SIGTERM', 'SIGKILL'] as const) {
    it(`dies with the rig when the rig ${when[how]}`, async () => {
      const rig = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(import.meta.dirname, 'helpers/hold.ts'), how === 'exit' ? 'exit' : 'wait'],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      const pid = Number(
        await new Promise<string>((resolve) => createInterface({ input: rig.stdout! }).once('line', resolve)),
      );
      assert.ok(alive(pid), 'the managed child runs');
      const ended = new Promise<{ code: number | null; signal: string | null }>((r) =>
        rig.once('exit', (code, signal) => r({ code, signal })),
      );
      if (how === 'exit') rig.stdin!.end();
      else rig.kill(how);
      const end = await ended;
      if (how !== 'exit') assert.equal(end.signal, how, 'the signal still ends the rig');
      assert.equal(await deadWithin(pid, 3000), true, `sleep ${pid} outlived the rig`);
    });
  }
});
