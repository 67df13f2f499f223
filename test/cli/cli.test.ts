// The `rig` command as a user runs it: help everywhere, exit codes, positioned errors, setup's advice.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync, readdirSync, statSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../rig/project.ts';
import { aliveAfter, descendants } from '../helpers/procs.ts';

const root = projectPaths().root;
const rig = (
  args: string[],
  opts: { env?: NodeJS.ProcessEnv } = {},
): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'rig.mjs'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const COMMANDS = ['list', 'check', 'schema', 'pki', 'broker', 'run', 'boards', 'report', 'doctor', 'setup'];

describe('rig CLI', function () {
  this.timeout(120_000);

  it('top-level help lists the commands and exit codes', () => {
    const r = rig(['--help']);
    assert.equal(r.code, 0);
    for (const c of COMMANDS) assert.match(r.out, new RegExp(`\\n  ${c}\\s`));
    assert.match(r.out, /3 infrastructure error/);
  });

  for (const c of COMMANDS) {
    it(`rig ${c} --help prints usage and exits 0`, () => {
      const r = rig([c, '--help']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`^Usage: rig ${c}`));
    });
  }

  it('an unknown command or option is a usage error (2)', () => {
    assert.equal(rig(['frobnicate']).code, 2);
    const r = rig(['run', '--no-such-flag']);
    assert.equal(r.code, 2);
    assert.match(r.err, /no-such-flag/);
  });

  it('rig check: file:line:column: field: message, exit 2; a good file exits 0', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rig-cli-'));
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'version: 1\nid: x\npki: {}\nbroker: { listeners: [{ port: 1883 }] }\nboards: [esp32]\nexpect: {}\nvariant: {}\n',
    );
    const r = rig(['check', bad]);
    assert.equal(r.code, 2);
    assert.match(
      r.err,
      new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7:1: variant: unknown key "variant"`),
    );
    const good = rig(['check', path.join(root, 'scenarios', 'seeds', 'esp8266-san-ip-bad-server-name.yaml')]);
    assert.equal(good.code, 0, good.err);
    rmSync(dir, { recursive: true, force: true });
  });

  it('rig list --json names every scenario and board', () => {
    const r = rig(['list', '--json']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { scenarios: { id: string }[]; boards: { id: string }[] };
    assert.ok(j.scenarios.some((s) => s.id === 'esp8266-san-ip-bad-server-name'));
    assert.deepEqual(j.boards.map((b) => b.id).sort(), [
      'control',
      'esp32',
      'esp8266',
      'mkr1000',
      'mkrwifi1010',
      'mosquitto-cli',
    ]);
  });

  it('rig list shows which releases each twin imitates (its version table), folded into runs', () => {
    const text = rig(['list']);
    assert.equal(text.code, 0, text.err);
    assert.match(
      text.out,
      /twin runs 2\.0\.17; imitates 1\.0\.0-1\.0\.6, 2\.0\.0-2\.0\.16, 3\.0\.0-3\.0\.7, 3\.1\.0-3\.1\.3/,
    );
    assert.match(
      text.out,
      /twin runs 3\.1\.2; imitates 2\.4\.0-2\.4\.2, 2\.5\.0-2\.5\.2, 2\.6\.0-2\.6\.3, 2\.7\.0-2\.7\.4/,
    );
    assert.match(text.out, /modelled, not run: 2\.4\.2, 2\.4\.0-2\.4\.1/);
    assert.match(text.out, /ArduinoBearSSL .*1\.7\.0-1\.7\.7 \(default 1\.7\.7\)/);
    const j = JSON.parse(rig(['list', '--json']).out) as {
      boards: { id: string; twinVersions?: { imitates: string[]; rows?: { id: string; basis: string }[] } }[];
    };
    const esp8266 = j.boards.find((b) => b.id === 'esp8266')!.twinVersions!;
    assert.ok(esp8266.imitates.includes('2.7.4') && esp8266.imitates.includes('2.4.0'));
    assert.deepEqual(
      esp8266.rows!.filter((r) => r.basis === 'model').map((r) => r.id),
      ['2.4.2', '2.4.0-2.4.1'],
    );
  });

  it('rig pki writes certificates, keys in a 0700 private folder, and summaries', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'rig-pki-cli-'));
    const r = rig(['pki', 'esp8266-san-ip-bad-server-name', '--out', out]);
    assert.equal(r.code, 0, r.err);
    assert.ok(existsSync(path.join(out, 'server.crt')));
    assert.equal(statSync(path.join(out, 'private')).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(path.join(out, 'private')).sort(), ['ca.key', 'server.key']);
    const text = execFileSync(
      'openssl',
      ['x509', '-in', path.join(out, 'server.crt'), '-noout', '-ext', 'subjectAltName'],
      { encoding: 'utf8' },
    );
    assert.match(text, /IP Address:127\.0\.0\.1, DNS:raspberry/);
    assert.doesNotMatch(r.out, /PRIVATE KEY/);
    rmSync(out, { recursive: true, force: true });
  });

  it('rig run with no matching scenario is a usage error', () => {
    const r = rig(['run', 'no-such-scenario-id']);
    assert.equal(r.code, 2);
    assert.match(r.err, /no scenario "no-such-scenario-id"/);
  });

  it('setup, when not root, names the missing packages and the exact command (exit 3)', function () {
    if (process.getuid?.() !== 0 || !existsSync('/usr/bin/setpriv')) {
      console.log('      skip: needs root and setpriv to act as an unprivileged user');
      this.skip();
    }
    // Run the installer as "nobody" with a package that is certainly missing.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rig-setup-'));
    chmodSync(dir, 0o755);
    const script = path.join(dir, 'probe.mts');
    writeFileSync(
      script,
      `import { installMissing } from ${JSON.stringify(path.join(root, 'rig/setup/deps.ts'))};\n` +
        `const r = await installMissing([{ pkg: 'rig-no-such-package', why: 'test', for: 'core' }], () => {});\n` +
        `console.log(JSON.stringify(r));\n`,
    );
    chmodSync(script, 0o644);
    const out = execFileSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', script],
      { encoding: 'utf8', cwd: root, env: { ...process.env, HOME: dir } },
    );
    const r = JSON.parse(out.trim().split('\n').pop()!) as { ok: boolean; message: string };
    assert.equal(r.ok, false);
    assert.match(
      r.message,
      /Missing Debian packages:\n {2}- rig-no-such-package: test\nRun as root:\n {2}apt-get update && apt-get install -y --no-install-recommends --no-remove rig-no-such-package/,
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it('setup is quick and quiet when everything is present', () => {
    const r = rig(['setup', '--quiet-ok']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /all present \(\d+ ms\)/);
  });
});

describe('rig broker (foreground)', function () {
  this.timeout(60_000);
  it('prints a control command that works against it, and Ctrl-C stops it with nothing left', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(
      process.execPath,
      [path.join(root, 'bin', 'rig.mjs'), 'broker', 'esp8266-san-ip-bad-server-name', '--broker', 'local'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const deadline = Date.now() + 30_000;
    while (!/Ctrl-C stops the broker/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const pub = /^\s+(mosquitto_pub .*)$/m.exec(out)?.[1];
    assert.ok(pub, out);
    assert.doesNotMatch(pub, /--insecure/);
    const r = spawnSync('sh', ['-c', pub], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, `${pub}\n${r.stderr}`);
    const kids = descendants(child.pid!);
    assert.ok(
      kids.some((k) => /mosquitto/.test(k.args)),
      JSON.stringify(kids),
    );
    child.kill('SIGINT');
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    assert.equal(code, 0, out);
    assert.deepEqual(await aliveAfter(kids), []);
    assert.match(out, /broker stopped/);
  });
});

describe('rig exit codes for failures of the environment and of the PKI', function () {
  this.timeout(60_000);
  const write = (text: string): string => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rig-exit-'));
    const file = path.join(dir, 'x.yaml');
    writeFileSync(file, text);
    return file;
  };
  it("a broker that will not start is an infrastructure error (3) with the broker's own words", () => {
    // A SHA-1 server certificate: Debian's OpenSSL 3 makes mosquitto refuse it ("ca md too weak").
    const file = write(
      'version: 1\nid: no-start\npki:\n  ca: {}\n  server: { hash: sha1 }\nbroker: { listeners: [{ port: 8883, tls: {}, allowAnonymous: true }] }\nboards: [control]\nexpect: { default: { control: { kind: connected } } }\n',
    );
    const r = rig(['broker', file, '--broker', 'local']);
    assert.equal(r.code, 3, r.err);
    assert.match(r.err, /ca md too weak/);
    assert.doesNotMatch(r.err, /\n\s+at /, 'a message, not a stack trace');
  });
  it('an openssl script that would prompt is a scenario error (2) naming the command', () => {
    const file = write(
      'version: 1\nid: prompts\npki:\n  verbatim: { script: "openssl req -new -x509 -keyout ca.key -out ca.crt", files: { ca: ca.crt } }\nbroker: { listeners: [{ port: 8883, tls: { cert: ca } }] }\nboards: [control]\nexpect: { default: { control: { kind: connected } } }\n',
    );
    const out = mkdtempSync(path.join(os.tmpdir(), 'rig-exit-out-'));
    const r = rig(['pki', file, '--out', out]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /line 1: `openssl req -new -x509/);
  });
});
