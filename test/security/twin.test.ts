// Attacks by a sketch (a stranger's code) on the machine that runs its twin, each of which must fail safely:
// the build cannot read the host's files (#include "/etc/…", .incbin "/root/…"), the twin runs as uid 65534
// with no view of /etc/shadow, /root, /run, the Docker socket or devices, reaches only the broker in its own
// network namespace, cannot plant links the rig would follow, and cannot name the rig's serial port.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { bootTwin, buildTwin, startTwin, TwinBuildError, type TwinWorld } from '../../rig/twin/index.ts';
import { sandboxSupport } from '../../rig/sandbox/index.ts';
import { CACHE, isRoot, needSandbox, writeSketch } from './helpers.ts';

const HEADER = '#pragma once\n';

function world(ports: Record<string, number> = {}): TwinWorld {
  return { hosts: {}, ports, ntp: false, coreVersion: '2.0.17', debugLevel: 1 };
}

async function build(dir: string, name: string, source: string): Promise<string> {
  const sketchDir = writeSketch(dir, name, source);
  const b = await buildTwin({
    sketchDir,
    core: 'esp32',
    secretsHeader: HEADER,
    coreVersion: '2.0.17',
    debugLevel: 1,
    cacheDir: CACHE,
  });
  return b.binary;
}

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((s) => s.end('hello\n'));
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

/** A sketch that reports what it can see and reach, then tries to plant links in its own folder. */
function spySketch(o: { relayed: number; other: number; cellDir: string }): string {
  return `#include <Arduino.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <stdio.h>
static void say(const char* k, long v) { char b[160]; snprintf(b, sizeof b, "SPY %s=%ld", k, v); Serial.println(b); }
static long firstByte(const char* p) { int fd = open(p, O_RDONLY); if (fd < 0) return -1; char c = 0; long n = read(fd, &c, 1); close(fd); return n == 1 ? c : -2; }
static long tcp(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0); sockaddr_in a{}; a.sin_family = AF_INET; a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(0x7f000001); long r = connect(s, (sockaddr*)&a, sizeof a); close(s); return r;
}
void setup() {
  Serial.begin(115200);
  say("uid", (long)getuid());
  say("euid", (long)geteuid());
  say("shadow", firstByte("/etc/shadow"));
  say("passwd", firstByte("/etc/passwd"));
  say("root", access("/root", F_OK));
  say("run", access("/run", F_OK));
  say("docker", access("/var/run/docker.sock", F_OK));
  say("cell", access("${o.cellDir}", F_OK));
  say("hosttmp", access("/tmp/.X11-unix", F_OK) == 0 || access("/tmp/tmux-0", F_OK) == 0 ? 0 : -1);
  say("disk", access("/dev/sda", F_OK) == 0 || access("/dev/vda", F_OK) == 0 || access("/dev/mem", F_OK) == 0 ? 0 : -1);
  say("relayed", tcp(${o.relayed}));
  say("other", tcp(${o.other}));
  unlink("facts.txt");
  say("plant", symlink("/etc/passwd", "facts.txt"));
  symlink("/etc/passwd", "serial.log");
  Serial.println("SPY done");
}
void loop() { delay(50); }
`;
}

describe('security: a sketch against the machine that builds and runs its twin', function () {
  this.timeout(240_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-sec-twin-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('attack 4: #include "/etc/shadow" and .incbin "/root/…" find nothing in the compiler sandbox', async function () {
    needSandbox(this);
    const canaryDir = isRoot ? '/root' : os.homedir();
    const canary = path.join(canaryDir, `.rig-canary-${process.pid}`);
    const secret = `CANARY-${Date.now()}-secret`;
    writeFileSync(canary, `${secret}\n`, { mode: 0o600 });
    try {
      for (const [name, src] of [
        ['inc', `#include "/etc/shadow"\nvoid setup() {}\nvoid loop() {}\n`],
        ['incbin', `asm(".section .rodata\\n.incbin \\"${canary}\\"\\n.text");\nvoid setup() {}\nvoid loop() {}\n`],
        ['relinc', `#include "../../../../../../../../../../..${canary}"\nvoid setup() {}\nvoid loop() {}\n`],
      ]) {
        const err = await build(tmp, `attack-${name}`, src).then(
          () => assert.fail(`${name}: the build read a host file`),
          (e: unknown) => e as TwinBuildError,
        );
        assert.ok(err instanceof TwinBuildError, String(err));
        assert.match(err.log, /No such file or directory|file not found/, `${name}: ${err.log.slice(-400)}`);
        assert.ok(!err.log.includes(secret) && !err.message.includes(secret), `${name}: the canary leaked`);
        assert.ok(!/^root:/m.test(err.log), `${name}: /etc/shadow leaked`);
      }
    } finally {
      rmSync(canary, { force: true });
    }
  });

  it('attack 3 (twin): runs as uid 65534, sees no host secrets, sockets or devices, reaches only the broker', async function () {
    needSandbox(this, true);
    const relayed = await listen();
    const other = await listen();
    const cellDir = path.join(tmp, 'cell');
    const binary = await build(tmp, 'spy', spySketch({ relayed: relayed.port, other: other.port, cellDir }));
    const {
      process: twin,
      serial,
      stop,
    } = await bootTwin({
      binary,
      world: world({ [String(relayed.port)]: relayed.port }),
      workDir: cellDir,
      sandbox: true,
      network: { host: '127.0.0.1', ports: [relayed.port] },
    });
    try {
      await serial.waitFor(/^SPY done$/, 30_000);
      const value = (k: string): number => {
        const m = serial.lines().find((l) => l.startsWith(`SPY ${k}=`));
        assert.ok(m, `no ${k} line in ${serial.lines().join('\n')}`);
        return Number(m.split('=')[1]);
      };
      assert.equal(twin.sandboxed, true);
      assert.equal(twin.isolatedNetwork, true);
      assert.notEqual(value('uid'), 0, 'the twin runs as root');
      if (isRoot) assert.equal(value('uid'), 65534);
      assert.equal(value('shadow'), -1, '/etc/shadow readable');
      assert.equal(value('passwd'), -1, '/etc/passwd visible');
      for (const k of ['root', 'run', 'docker', 'cell', 'hosttmp', 'disk']) assert.equal(value(k), -1, `${k} visible`);
      assert.equal(value('relayed'), 0, 'the broker port must be reachable through the relay');
      assert.equal(value('other'), -1, 'another port of the host was reachable');
      // Attack 2: its facts file is now a link to /etc/passwd; the rig reads nothing through it.
      assert.equal(value('plant'), 0);
      assert.deepEqual(
        twin.facts().filter((f) => /root:/.test(f)),
        [],
      );
    } finally {
      await stop();
      relayed.server.close();
      other.server.close();
    }
    // The rig's record of the run is its own file, never the twin's link.
    assert.ok(!statSync(path.join(cellDir, 'world.json')).isSymbolicLink());
    assert.ok(!existsSync(path.join(cellDir, 'serial.log')), 'the twin wrote into the cell folder');
  });

  /**
   * A pty held by another process: what the rig's own terminal looks like to a twin. It holds two and names the
   * second, never /dev/pts/0: on a fresh devpts (a CI container) pts/0 is also the index a sandboxed twin's own pty
   * gets in its private devpts, where naming it would be the truth, not an attack.
   */
  function someoneElsesPty(): Promise<{ path: string; stop: () => void }> {
    const holder = spawn('python3', [
      '-c',
      'import pty,os,sys,time\na=pty.openpty()\nm,s=pty.openpty()\nprint(os.ttyname(s), flush=True)\ntime.sleep(120)',
    ]);
    return new Promise((resolve, reject) => {
      holder.stdout.once('data', (d: Buffer) => resolve({ path: d.toString().trim(), stop: () => holder.kill() }));
      holder.once('error', reject);
    });
  }

  for (const fake of ['/dev/tty', 'a terminal of another process', '/dev/ptmx']) {
    it(`attack 6: a twin that prints "PTY ${fake}" before the core does is refused, sandboxed or not`, async function () {
      const other = fake.startsWith('a terminal') ? await someoneElsesPty() : undefined;
      const target = other?.path ?? fake;
      assert.match(target, /^\/dev\//);
      const src = `#include <Arduino.h>
#include <stdio.h>
struct Early { Early() { printf("PTY ${target}\\n"); fflush(stdout); } } early;
void setup() {}
void loop() { delay(50); }
`;
      try {
        const binary = await build(tmp, `fakepty${target.replace(/\W/g, '')}`, src);
        for (const sandbox of [false, true]) {
          if (sandbox && !sandboxSupport().ok) continue;
          const err = await startTwin({
            binary,
            world: world(),
            workDir: path.join(tmp, `pty-${sandbox}`),
            sandbox,
          }).then(
            async (t) => {
              await t.kill();
              return undefined;
            },
            (e: unknown) => e as Error,
          );
          assert.ok(err, `sandbox=${sandbox}: the rig accepted ${target} as the twin's port`);
          assert.match(err.message, /not a pseudo-terminal|not a pty this process created|not the pty/);
        }
      } finally {
        other?.stop();
      }
    });
  }

  it('the real pty of a twin is still opened and read (the check does not refuse the honest case)', async () => {
    const binary = await build(
      tmp,
      'hello',
      '#include <Arduino.h>\nvoid setup() { Serial.begin(115200); Serial.println("hi there"); }\nvoid loop() { delay(50); }\n',
    );
    for (const sandbox of [false, true]) {
      const t = await bootTwin({ binary, world: world(), workDir: path.join(tmp, `hello-${sandbox}`), sandbox });
      try {
        await t.serial.waitFor(/^hi there$/, 10_000);
        assert.match(t.process.reportedPty, /^\/dev\/pts\/\d+$/);
      } finally {
        await t.stop();
      }
    }
    assert.ok(readFileSync(path.join(tmp, 'hello-false', 'world.json'), 'utf8').includes('coreVersion'));
  });
});
