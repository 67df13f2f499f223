// `rig broker`'s printed commands check the certificate as the board does (no --insecure the scenario did not ask
// for), say how to make the board's name resolve, and never print the scenario's password.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../rig/project.ts';
import { aliveAfter, descendants } from '../helpers/procs.ts';

const root = projectPaths().root;

interface Live {
  out: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `rig broker` and waits for its commands; stop() sends Ctrl-C and checks nothing is left. */
async function startBroker(args: string[]): Promise<Live> {
  const child = spawn(process.execPath, [path.join(root, 'bin', 'rig.mjs'), 'broker', ...args, '--broker', 'local'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const live: Live = {
    out: '',
    child,
    async stop() {
      const kids = descendants(child.pid!);
      child.kill('SIGINT');
      const code = await new Promise<number | null>((res) => {
        if (child.exitCode !== null) res(child.exitCode);
        else child.on('exit', (c) => res(c));
      });
      assert.equal(code, 0, live.out);
      assert.deepEqual(await aliveAfter(kids), []);
    },
  };
  child.stdout!.on('data', (d: Buffer) => {
    live.out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    live.out += d.toString();
  });
  const deadline = Date.now() + 40_000;
  while (!/Ctrl-C stops the broker/.test(live.out) && child.exitCode === null && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  assert.match(live.out, /Ctrl-C stops the broker/, live.out);
  return live;
}

const line = (out: string, tool: string): string => {
  const m = new RegExp(`^\\s+(${tool} .*)$`, 'm').exec(out);
  assert.ok(m, `no ${tool} line in:\n${out}`);
  return m[1]!;
};
const sh = (cmd: string, env: NodeJS.ProcessEnv = {}): { code: number | null; text: string } => {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...env } });
  return { code: r.status, text: `${r.stdout}${r.stderr}` };
};
const SEED_003 = 'seed-003-esp32-tutorial-insecure-cn';

describe('rig broker: control commands check the certificate like the board', function () {
  this.timeout(120_000);

  it('seed 003 broken (by address, CN=mymosquitto.local): no --insecure, so mosquitto_pub and openssl both fail on the name', async () => {
    const b = await startBroker([SEED_003, '--variant', 'broken']);
    try {
      const pub = line(b.out, 'mosquitto_pub');
      assert.doesNotMatch(pub, /--insecure/);
      assert.match(pub, /-h 127\.0\.0\.1 /);
      const r = sh(pub);
      assert.notEqual(r.code, 0, r.text);
      assert.match(r.text, /TLS error/);
      const check = sh(line(b.out, 'openssl s_client'));
      assert.notEqual(check.code, 0, check.text);
      assert.match(check.text, /IP address mismatch/);
    } finally {
      await b.stop();
    }
  });

  it('seed 003 fixed (by name): the commands use the name, with the /etc/hosts line to add, and openssl verifies that name', async () => {
    const b = await startBroker([SEED_003, '--variant', 'fixed']);
    try {
      // The hint is for machines where the name does not already lead to the broker (this one, unless edited).
      const here = await lookup('mymosquitto.local', { all: true }).catch(() => []);
      if (!here.some((a) => a.address === '127.0.0.1'))
        assert.match(b.out, /note: .*echo '127\.0\.0\.1 mymosquitto\.local' >> \/etc\/hosts/);
      const sub = line(b.out, 'mosquitto_sub');
      assert.doesNotMatch(sub, /--insecure/);
      assert.match(sub, /-h mymosquitto\.local /);
      const check = line(b.out, 'openssl s_client');
      assert.match(check, /-verify_hostname mymosquitto\.local/);
      const ok = sh(check);
      assert.equal(ok.code, 0, ok.text);
      assert.match(ok.text, /Verification: OK/);
      // The same check with the address the broken variant uses fails: the line checks the name, not just the chain.
      const wrong = sh(check.replace(/mymosquitto\.local/g, 'other.local'));
      assert.notEqual(wrong.code, 0, wrong.text);
      assert.match(wrong.text, /hostname mismatch/);
    } finally {
      await b.stop();
    }
  });

  it('seed 003 tutorial: --insecure only because the scenario says insecure, and then it connects', async () => {
    const b = await startBroker([SEED_003, '--variant', 'tutorial']);
    try {
      const pub = line(b.out, 'mosquitto_pub');
      assert.match(pub, /--insecure/);
      const r = sh(pub);
      assert.equal(r.code, 0, r.text);
      assert.doesNotMatch(b.out, /openssl s_client/);
    } finally {
      await b.stop();
    }
  });

  it('a password is never printed: -P "$RIG_MQTT_PASSWORD", a note naming the field, and the command works with it set', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rig-broker-pw-'));
    const file = path.join(dir, 'pw.yaml');
    writeFileSync(
      file,
      `version: 1
id: broker-password
pki:
  ca: { subject: { CN: CA } }
  server: { subject: { CN: "{{broker.ip}}" }, san: ["IP:{{broker.ip}}"] }
broker:
  users: { alice: "s3cret-Pw!" }
  listeners: [{ port: 8883, tls: {}, passwordFile: true, allowAnonymous: false }]
boards: [control]
client: { username: alice, password: "s3cret-Pw!" }
expect: { default: { control: { kind: connected } } }
`,
    );
    const b = await startBroker([file]);
    try {
      assert.doesNotMatch(b.out, /s3cret/);
      const pub = line(b.out, 'mosquitto_pub');
      assert.match(pub, /-u alice -P "\$RIG_MQTT_PASSWORD"/);
      assert.match(
        b.out,
        /note: the password is the scenario's client\.password in .*pw\.yaml: export RIG_MQTT_PASSWORD=/,
      );
      const good = sh(pub, { RIG_MQTT_PASSWORD: 's3cret-Pw!' });
      assert.equal(good.code, 0, good.text);
      const bad = sh(pub, { RIG_MQTT_PASSWORD: 'wrong' });
      assert.notEqual(bad.code, 0, bad.text);
      assert.match(bad.text, /not authori[sz]ed/i);
    } finally {
      await b.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
