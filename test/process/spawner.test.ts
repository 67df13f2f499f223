// The spawner (rig/process/spawner.c and .ts) on real processes: children come from it (not from the rig),
// with the environment, folder, stdio and session asked for; exec failures, exit codes and signals arrive as
// child_process would give them; and nothing of the rig's leaks into a child.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnChild, spawnDirect, type OwnedChild } from '../../rig/process/index.ts';

async function outputOf(c: OwnedChild): Promise<{ stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  for (const s of ['stdout', 'stderr'] as const) c[s].setEncoding('utf8').on('data', (t: string) => (out[s] += t));
  await c.closed;
  return out;
}

/** Field 4 (parent pid) and 6 (session id) of /proc/PID/stat. */
function statOf(pid: number): { ppid: number; sid: number; comm: string } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    ppid: Number(rest[1]),
    sid: Number(rest[3]),
    comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
  };
}

describe('process: the spawner', function () {
  this.timeout(20_000);

  it('forks the child itself, in its own session, with the asked environment, folder and arguments', async () => {
    const c = await spawnChild({
      command: 'sh',
      args: ['-c', 'echo "$RIG_T $(pwd) $1"; echo err >&2; sleep 0.3', 'sh', 'two words'],
      cwd: os.tmpdir(),
      env: { PATH: process.env.PATH, RIG_T: 'seen' },
      stdin: 'ignore',
    });
    const s = statOf(c.pid);
    assert.notEqual(s.ppid, process.pid, 'the rig forked it');
    assert.equal(statOf(s.ppid).comm.startsWith('spawner'), true, `parent ${statOf(s.ppid).comm}`);
    assert.equal(s.sid, c.pid, 'a session of its own (Ctrl-C at the terminal does not reach it)');
    assert.equal(c.running(), true);
    const out = await outputOf(c);
    assert.equal(out.stdout, `seen ${os.tmpdir()} two words\n`);
    assert.equal(out.stderr, 'err\n');
    assert.deepEqual(await c.closed, { code: 0, signal: null });
    assert.equal(c.running(), false);
  });

  it('passes stdin both ways, ends it on request, and gives exit codes and signals as child_process does', async () => {
    const cat = await spawnChild({ command: 'sh', args: ['-c', 'cat; exit 7'], stdin: 'pipe' });
    const out = outputOf(cat);
    cat.stdin!.write('line one\n');
    cat.stdin!.end('line two\n');
    assert.equal((await out).stdout, 'line one\nline two\n');
    assert.deepEqual(await cat.closed, { code: 7, signal: null });

    const sleeper = await spawnChild({ command: 'sleep', args: ['30'], stdin: 'ignore' });
    void outputOf(sleeper);
    sleeper.kill('SIGTERM');
    assert.deepEqual(await sleeper.closed, { code: null, signal: 'SIGTERM' });
    sleeper.kill('SIGKILL'); // after the end: nothing, no throw
  });

  it('reports a program that cannot start as child_process does (ENOENT, EACCES), and goes on', async () => {
    const missing = await spawnChild({ command: '/nonexistent/rig-test', args: [], stdin: 'ignore' });
    assert.equal(missing.pid, -1);
    const x = await missing.closed;
    assert.equal((x.error as NodeJS.ErrnoException).code, 'ENOENT');
    assert.equal(x.error?.message, 'spawn /nonexistent/rig-test ENOENT');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rig-test-'));
    writeFileSync(path.join(dir, 'plain'), 'echo never\n', { mode: 0o644 });
    const notExec = await spawnChild({ command: path.join(dir, 'plain'), args: [], stdin: 'ignore' });
    rmSync(dir, { recursive: true });
    assert.equal(((await notExec.closed).error as NodeJS.ErrnoException).code, 'EACCES');
    const ok = await spawnChild({ command: 'true', args: [], stdin: 'ignore' });
    await outputOf(ok);
    assert.deepEqual(await ok.closed, { code: 0, signal: null });
  });

  it('leaks no file descriptor of the rig or the spawner into a child', async () => {
    const c = await spawnChild({ command: 'sleep', args: ['5'], stdin: 'pipe' });
    // After sleep's own start (it opens and closes locale files).
    await new Promise((r) => setTimeout(r, 300));
    const fds = readdirSync(`/proc/${c.pid}/fd`).map((fd) => `${fd} -> ${readlinkSync(`/proc/${c.pid}/fd/${fd}`)}`);
    c.kill('SIGKILL');
    await outputOf(c);
    assert.equal(fds.length, 3, fds.join('\n'));
    for (const f of fds) assert.match(f, /^[012] -> socket:/, fds.join('\n'));
  });

  it('keeps up with many children at once, each with its own output', async () => {
    const kids = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        spawnChild({ command: 'sh', args: ['-c', `echo child ${i}; exit ${i % 5}`], stdin: 'ignore' }),
      ),
    );
    const outs = await Promise.all(kids.map(outputOf));
    outs.forEach((o, i) => assert.equal(o.stdout, `child ${i}\n`));
    const exits = await Promise.all(kids.map((k) => k.closed));
    exits.forEach((x, i) => assert.equal(x.code, i % 5));
  });

  it('the fallback without a spawner (no gcc) gives the same shapes: output, exit, signal, spawn error', async () => {
    for (const start of [spawnChild, spawnDirect]) {
      const c = await start({ command: 'sh', args: ['-c', 'echo out; echo err >&2; exit 3'], stdin: 'ignore' });
      assert.deepEqual(await outputOf(c), { stdout: 'out\n', stderr: 'err\n' });
      assert.deepEqual(await c.closed, { code: 3, signal: null });
      const s = await start({ command: 'sleep', args: ['30'], stdin: 'pipe' });
      void outputOf(s);
      assert.equal(statOf(s.pid).sid, s.pid);
      s.kill('SIGKILL');
      assert.deepEqual(await s.closed, { code: null, signal: 'SIGKILL' });
      const x = await (await start({ command: '/nonexistent/rig-test', args: [], stdin: 'ignore' })).closed;
      assert.equal(x.error?.message, 'spawn /nonexistent/rig-test ENOENT');
    }
  });
});
