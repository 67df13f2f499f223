// Attacks through the broker: a post's mosquitto.conf that loads code (attack 5) or writes or connects where it
// likes, newlines in structured fields that inject conf lines (attack 9), a post's broker outside any sandbox,
// passwords on a command line (attack 12), and folders holding keys left behind by a killed rig (attack 10).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type BrokerHandle } from '../../rig/broker/index.ts';
import { renderVerbatimConf, UnsafeConfError } from '../../rig/broker/conf.ts';
import type { StagedFiles } from '../../rig/broker/files.ts';
import { runControl } from '../../rig/control/index.ts';
import { FormatError } from '../../rig/errors.ts';
import { sweepStaleOwnedDirs } from '../../rig/process/index.ts';
import { projectPaths } from '../../rig/project.ts';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { testPki, type TestPki } from '../broker/helpers/test-pki.ts';
import { needSandbox } from './helpers.ts';

const STAGED: StagedFiles = {
  hostDir: '/w',
  targetDir: '/w',
  certs: {},
  byFileName: {},
  dataDir: '/w/data',
  files: [],
  notes: [],
};

function scenario(broker: string, extra = ''): string {
  return [
    'version: 1',
    'id: attack',
    'pki: { ca: {}, server: { san: ["DNS:localhost"] } }',
    broker,
    'boards: [esp32]',
    'client: { port: 8883 }',
    'expect: { default: { esp32: { kind: connected } } }',
    extra,
  ].join('\n');
}

function problems(text: string): string {
  try {
    parseScenarioText(text, 'attack.yaml');
  } catch (e) {
    assert.ok(e instanceof FormatError, String(e));
    return e.message;
  }
  return assert.fail('the scenario loaded');
}

describe('security: the broker a scenario or a post configures', function () {
  this.timeout(60_000);

  it('attack 5: a conf line that loads code, writes outside its folder or bridges out is refused, naming the line', () => {
    for (const [line, why] of [
      ['plugin /tmp/evil.so', /loads a shared object/],
      ['auth_plugin /tmp/evil.so', /loads a shared object/],
      ['plugin_load evil /tmp/evil.so', /loads a shared object/],
      ['global_plugin /tmp/evil.so', /loads a shared object/],
      ['persistence_file ../../../etc/cron.d/x', /writes outside/],
      ['address evil.example:1883', /another host/],
    ] as const) {
      const conf = `listener 8883\nallow_anonymous true\n${line}\n`;
      assert.throws(
        () => renderVerbatimConf(conf, STAGED, { 8883: 18883 }),
        (e: unknown) => e instanceof UnsafeConfError && e.line === 3 && e.message.includes(line) && why.test(e.message),
      );
      const message = problems(scenario(`broker:\n  conf: |\n    ${conf.trimEnd().split('\n').join('\n    ')}`));
      assert.match(message, /attack\.yaml:\d+:\d+: broker\.conf: line 3 /);
      assert.match(message, why);
    }
  });

  it('attack 9: a newline in a structured field is an error at the field, never a conf line', () => {
    for (const [field, yaml] of [
      ['broker.logType', 'broker: { listeners: [{ port: 8883 }], logType: ["all\\nlog_dest file /etc/x"] }'],
      ['broker.listeners', 'broker: { listeners: [{ port: 8883, tls: { ciphers: "HIGH\\nplugin /tmp/x.so" } }] }'],
      ['broker.acl', 'broker: { listeners: [{ port: 8883 }], acl: ["topic #\\nuser admin"] }'],
      ['broker.users', 'broker: { listeners: [{ port: 8883 }], users: { "a": "pw\\nroot:x" } }'],
      ['client.clientId', 'broker: { listeners: [{ port: 8883 }] }\nclient: { port: 8883, clientId: "x\\ny" }'],
    ]) {
      const text = scenario(yaml).replace(
        'client: { port: 8883 }\n',
        yaml.includes('client:') ? '' : 'client: { port: 8883 }\n',
      );
      const message = problems(text);
      assert.match(message, new RegExp(`${field.replace('.', '\\.')}[^:]*: a newline`), message);
    }
  });

  it('a post’s broker runs in the sandbox: not as root, and without the host’s files', async function () {
    needSandbox(this);
    const pki: TestPki = await testPki();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rig-sec-broker-'));
    let h: BrokerHandle | undefined;
    try {
      h = await startBroker({ conf: 'listener {{port.1883}}\nallow_anonymous true\n' }, pki, {
        provider: 'local',
        workDir: dir,
      });
      assert.match(h.confNotes.join('\n'), /runs in the sandbox/);
      const mosq = findProcess(h.pid!, 'mosquitto');
      assert.ok(mosq, 'no mosquitto under the sandbox');
      const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${mosq}/status`, 'utf8'))![1]);
      assert.notEqual(uid, 0, 'the post’s broker runs as root');
      const root = `/proc/${mosq}/root`;
      assert.equal(existsSync(`${root}/etc/shadow`), false);
      assert.equal(existsSync(`${root}/root`), false);
      assert.equal(existsSync(`${root}/var/run/docker.sock`), false);
    } finally {
      await h?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('attack 12: a password never shows in ps (mosquitto_sub/pub read it from their config file)', async function () {
    const pki: TestPki = await testPki();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rig-sec-ps-'));
    const password = `pw-${process.pid}-never-in-ps`;
    const h = await startBroker(
      { users: { alice: password }, allowAnonymous: false, listeners: [{ port: 1883 }] },
      pki,
      { provider: 'local', workDir: dir },
    );
    const seen: string[] = [];
    let sawClient = false;
    const poll = setInterval(() => {
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          if (cmd.includes(password)) seen.push(cmd.split('\0').join(' '));
          if (cmd.startsWith('mosquitto_sub\0')) sawClient = true;
        } catch {
          /* gone */
        }
      }
    }, 5);
    try {
      const o = await runControl(
        'mosquitto-cli',
        { host: '127.0.0.1', port: h.ports[1883]!, username: 'alice', password },
        { timeoutMs: 10_000 },
      );
      assert.equal(o.kind, 'connected', JSON.stringify(o));
    } finally {
      clearInterval(poll);
      await h.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    assert.ok(sawClient, 'the poll never saw mosquitto_sub: it could not have seen a password either');
    assert.deepEqual(seen, []);
  });

  it('attack 10: folders holding keys are swept after the rig that made them is SIGKILLed', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import { ownedTempDir } from ${JSON.stringify(path.join(projectPaths().root, 'rig/process/index.ts'))};
         import { writeFileSync } from 'node:fs';
         const dirs = ['rig-broker-', 'rig-broker-work-', 'rig-twin-', 'rig-diagnose-keys-', 'rig-cli-'].map((p) => ownedTempDir(p).dir);
         for (const d of dirs) writeFileSync(d + '/server.key', 'KEY');
         console.log(JSON.stringify(dirs));
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const dirs = await new Promise<string[]>((resolve) =>
      child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as string[])),
    );
    for (const d of dirs) assert.ok(existsSync(path.join(d, 'server.key')));
    const early = await sweepStaleOwnedDirs();
    assert.deepEqual(
      early.filter((d) => dirs.includes(d)),
      [],
      'a live owner’s folders were swept',
    );
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const swept = await sweepStaleOwnedDirs();
    for (const d of dirs) {
      assert.ok(swept.includes(d), `${d} not swept`);
      assert.equal(existsSync(d), false);
    }
  });
});

function findProcess(root: number, comm: string): number | undefined {
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === comm) return pid;
      for (const t of readdirSync(`/proc/${pid}/task`))
        queue.push(...readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number));
    } catch {
      /* gone */
    }
  }
  return undefined;
}
