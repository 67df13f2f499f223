// The sandbox itself (rig/sandbox), whatever runs in it: who it runs as, what of the machine it sees, and its
// limits. Every caller (PKI scripts, compiler, twins, a post's broker) builds on this one command line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { projectPaths } from '../../rig/project.ts';
import { sandboxCommand, type SandboxSpec } from '../../rig/sandbox/index.ts';
import { isRoot, needSandbox } from './helpers.ts';

const LIMITS = { processes: 64, memoryMb: 256, cpuSeconds: 5, fileMb: 1 };

async function inBox(script: string, o: Partial<SandboxSpec> = {}): Promise<{ code?: number; out: string }> {
  const { command, args } = sandboxCommand({
    argv: ['/bin/bash', '-c', script],
    cwd: '/tmp',
    network: 'none',
    limits: LIMITS,
    ...o,
  });
  const r = await execa(command, args, { reject: false, all: true, timeout: 30_000 });
  return { code: r.exitCode, out: String(r.all ?? '') };
}

describe('security: the sandbox', function () {
  this.timeout(60_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-sec-box-'));
    chmodSync(tmp, 0o755); // the sandbox user reads what it is given by the permissions it has
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('runs as uid 65534 with no capabilities, never as root', async function () {
    needSandbox(this);
    const r = await inBox('id -u; grep -E "^Cap(Eff|Prm|Bnd):" /proc/self/status; grep NoNewPrivs /proc/self/status');
    assert.doesNotMatch(r.out, /^0$/m);
    if (isRoot) {
      assert.match(r.out, /^65534$/m);
      assert.match(r.out, /CapEff:\s+0+$/m);
      assert.match(r.out, /CapBnd:\s+0+$/m);
      assert.match(r.out, /NoNewPrivs:\s+1/);
    }
  });

  it('sees /usr and what it was given, not the host’s /etc, /root, /run, /home, /var, /tmp or devices', async function () {
    needSandbox(this);
    writeFileSync(path.join(tmp, 'given.txt'), 'given\n');
    writeFileSync(path.join(os.tmpdir(), `rig-sec-hosttmp-${process.pid}`), 'host tmp\n');
    const r = await inBox(
      [
        'for p in /etc/shadow /etc/passwd /root /run /home /var /var/run/docker.sock /dev/sda /dev/mem /dev/kmsg /sys \\',
        `  /tmp/rig-sec-hosttmp-${process.pid}; do test -e "$p" && echo "SEEN $p"; done`,
        `cat ${tmp}/given.txt; ls /dev | tr '\\n' ' '`,
      ].join('\n'),
      { readOnly: [tmp] },
    );
    rmSync(path.join(os.tmpdir(), `rig-sec-hosttmp-${process.pid}`), { force: true });
    assert.doesNotMatch(r.out, /SEEN/, r.out);
    assert.match(r.out, /^given$/m);
    assert.doesNotMatch(r.out, /\b(sda|vda|nvme|mem|kmsg|tty\d)\b/, 'host devices visible');
  });

  it('cannot write what it was given read-only', async function () {
    needSandbox(this);
    writeFileSync(path.join(tmp, 'ro.txt'), 'keep\n');
    const r = await inBox(`echo x > ${tmp}/ro.txt; echo rc=$?`, { readOnly: [tmp] });
    assert.match(r.out, /rc=1/);
  });

  it('limits: file size, memory, CPU time and processes', async function () {
    needSandbox(this);
    const big = await inBox('head -c 4000000 /dev/zero > /tmp/big; echo rc=$?');
    assert.match(big.out, /File size limit exceeded|rc=1|rc=153/, big.out);
    const mem = await inBox('python3 -c "x = bytearray(600 * 1024 * 1024)" 2>&1; echo rc=$?');
    assert.match(mem.out, /MemoryError|rc=1/, mem.out);
    const t0 = Date.now();
    const cpu = await inBox('while :; do :; done');
    assert.notEqual(cpu.code, 0, 'a busy loop ran on');
    assert.ok(Date.now() - t0 < 25_000, 'the CPU limit did not stop it');
    const n = await inBox('ulimit -u');
    assert.match(n.out, /^64$/m);
  });

  it('its own network: nothing of the host is reachable', async function () {
    needSandbox(this, true);
    const r = await inBox(
      '(exec 3<>/dev/tcp/127.0.0.1/22) 2>/dev/null && echo open || echo closed; cat /proc/net/dev | tail -n +3 | cut -d: -f1',
    );
    assert.match(r.out, /closed/);
    assert.deepEqual(
      r.out
        .split('\n')
        .slice(1)
        .map((l) => l.trim())
        .filter(Boolean),
      ['lo'],
    );
  });
});

describe('security: where the sandbox is missing', function () {
  this.timeout(120_000);
  let bin: string;
  let tmp: string;
  const RIG = path.join(projectPaths().root, 'bin', 'rig.mjs');
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-sec-nobox-'));
    bin = path.join(tmp, 'bin');
    mkdirSync(bin);
    // What bubblewrap says in a container without namespaces.
    writeFileSync(
      path.join(bin, 'bwrap'),
      '#!/bin/sh\necho "bwrap: Creating new namespace failed: Operation not permitted" >&2\nexit 1\n',
      { mode: 0o755 },
    );
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, CI: 'true' });

  it('rig doctor says the guarantee is missing, with bubblewrap’s words', () => {
    const r = spawnSync(process.execPath, [RIG, 'doctor'], { encoding: 'utf8', env: env() });
    assert.match(r.stdout, /^sandbox +MISSING: bwrap: Creating new namespace failed/m);
    assert.match(r.stdout, /refuses untrusted inputs/);
  });

  it('rig run refuses a scenario from outside the checkout, and a post’s script, unless --allow-unsandboxed', () => {
    const file = path.join(tmp, 'outside.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'id: outside',
        'pki: { verbatim: { script: "openssl version", files: {} } }',
        'broker: { listeners: [{ port: 8883 }] }',
        'boards: [esp32]',
        'client: { port: 8883 }',
        'expect: { default: { esp32: { kind: connected } } }',
        '',
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, [RIG, 'run', file, '--out', path.join(tmp, 'run')], {
      encoding: 'utf8',
      env: env(),
    });
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stderr, /refusing untrusted inputs: the sandbox is missing here/);
    assert.match(r.stderr, /outside: the scenario file is outside this checkout/);
    assert.match(r.stderr, /outside: runs a post's own openssl commands/);
    assert.match(r.stderr, /--allow-unsandboxed/);
    assert.equal(existsSync(path.join(tmp, 'run')), false, 'the run started');
  });

  it('--no-sandbox (the user’s explicit choice) with untrusted inputs is said, not silent', () => {
    const file = path.join(tmp, 'control-only.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'id: control-only',
        'pki: { ca: {}, server: { san: ["DNS:localhost"] } }',
        'broker: { listeners: [{ port: 8883, tls: {}, allowAnonymous: true }] }',
        'boards: [control]',
        'client: { connect: localhost }',
        'expect: { default: { control: { kind: connected } } }',
        '',
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, [RIG, 'run', file, '--no-sandbox', '--out', path.join(tmp, 'nosb')], {
      encoding: 'utf8',
      env: { ...process.env, CI: 'true' },
    });
    assert.match(r.stderr, /warning: untrusted inputs run without the twin sandbox \(--no-sandbox\)/, r.stderr);
    assert.match(r.stderr, /control-only: the scenario file is outside this checkout/);
  });
});
