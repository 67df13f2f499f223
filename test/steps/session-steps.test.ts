// The session, ACL and takeover pieces without a twin: the step formats and their file:line positions, the
// broker spec changes (ACL, persistence), the takeover CONNECT byte for byte and against a real mosquitto, and the
// runner not taking the rig's own takeover for the board's reconnect.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import mqtt from 'mqtt';
import { renderStructuredConf } from '../../rig/broker/conf.ts';
import { describeReconfiguration, reconfiguredSpec } from '../../rig/broker/faults.ts';
import type { StagedFiles } from '../../rig/broker/files.ts';
import type { BrokerHandle } from '../../rig/broker/index.ts';
import { freePort } from '../../rig/broker/local.ts';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { resolveVariant } from '../../rig/scenario/resolve.ts';
import { BrokerSpec } from '../../rig/scenario/schema.ts';
import { describeStep } from '../../rig/steps/describe.ts';
import { connectPacket, runSteps, takeOverSession, type StepWorld } from '../../rig/steps/index.ts';
import { problemsOf, scenarioBase } from '../helpers/scenario-text.ts';

const BASE = scenarioBase();

describe('steps: disconnect, ACL and persistence formats', () => {
  it('accepts disconnect (the board or a named client), an ACL change and a variant with persistence and its own ACL', () => {
    const s = parseScenarioText(
      `${BASE}steps:
  - { disconnect: true }
  - { disconnect: other-device }
  - { reconfigure: { acl: ["user device", "topic read rig/#"] } }
variants:
  kept: { broker: { persistence: true, acl: ["topic readwrite #"] } }
expect:
  kept: { esp32: { kind: connected } }
`,
      'x.yaml',
    );
    assert.equal(s.steps?.[1]?.disconnect, 'other-device');
    assert.equal(describeStep(s.steps![0]!), "disconnect the board's client (session takeover)");
    const rv = resolveVariant(s, 'kept', {});
    assert.equal(rv.broker.persistence, true);
    assert.deepEqual(rv.broker.acl, ['topic readwrite #']);
  });

  it('puts a bad disconnect or ACL step at its line: a client id with a wildcard, an ACL line with a newline', () => {
    const p = problemsOf(`${BASE}steps:
  - { disconnect: "rig/#" }
  - { disconnect: false }
  - { reconfigure: { acl: ["topic read a\\nplugin /tmp/x.so"] } }
  - { disconnect: true, wait: 10 }
expect:
  default: { esp32: { kind: connected } }
`);
    const at = (line: number) =>
      p
        .filter((x) => x.line === line)
        .map((x) => x.message)
        .join(' | ');
    assert.match(at(10), /an MQTT client id/);
    assert.ok(at(11).length > 0, 'disconnect: false is refused');
    assert.match(at(12), /one ACL file line/);
    assert.match(at(13), /one action per step \(this one has wait and disconnect\)/);
  });
});

describe('broker: ACL change and persistence', () => {
  const spec = BrokerSpec.parse({ listeners: [{ port: 8883, tls: {} }], acl: ['topic readwrite #'] });
  it('an ACL change replaces the ACL file lines and says so without the rest of the policy', () => {
    const r = reconfiguredSpec(spec, { acl: ['topic read rig/#'] });
    assert.deepEqual(r.acl, ['topic read rig/#']);
    assert.deepEqual(spec.acl, ['topic readwrite #'], 'the old spec is left alone');
    assert.equal(describeReconfiguration({ acl: ['topic read rig/#'] }), 'new ACL file (1 line(s): topic read rig/#)');
  });
  it('persistence true renders persistence and the run data folder; otherwise persistence false', () => {
    const D = '/b';
    const files: StagedFiles = {
      hostDir: D,
      targetDir: D,
      dataDir: `${D}/data`,
      files: [],
      notes: [],
      certs: { ca: { crt: `${D}/ca.crt` }, server: { crt: `${D}/s.crt`, key: `${D}/s.key` } },
      byFileName: {},
    };
    const on = renderStructuredConf({ ...spec, persistence: true }, files, { 8883: 1 }).text.split('\n');
    assert.ok(on.includes('persistence true') && on.includes('persistence_location /b/data/'), on.join('\n'));
    assert.ok(!on.includes('persistence false'));
    const off = renderStructuredConf(spec, files, { 8883: 1 }).text.split('\n');
    assert.ok(off.includes('persistence false') && !off.some((l) => l.startsWith('persistence_location')));
  });
});

describe('steps: the takeover', function () {
  this.timeout(20_000);
  it('sends an MQTT 3.1.1 CONNECT with clean session 0, keep-alive 0, the id and the credentials (§3.1)', () => {
    const p = connectPacket('dev-1', 'u', 'pw');
    const body = [0, 4, ...Buffer.from('MQTT'), 4, 0xc0, 0, 0, 0, 5, ...Buffer.from('dev-1')];
    const tail = [0, 1, ...Buffer.from('u'), 0, 2, ...Buffer.from('pw')];
    assert.deepEqual([...p], [0x10, body.length + tail.length, ...body, ...tail]);
    assert.equal(connectPacket('x')[9], 0, 'no user, no password, clean session 0');
    // A remaining length over 127 takes two bytes (§2.2.3).
    const long = connectPacket('x'.repeat(200));
    assert.deepEqual([...long.subarray(0, 3)], [0x10, (212 % 128) | 0x80, 1]);
  });

  it('a real mosquitto closes the connection the id had and logs it', async function () {
    if (!existsSync('/usr/sbin/mosquitto')) {
      console.log('      skipped: mosquitto is not installed (apt-get install mosquitto)');
      this.skip();
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rig-takeover-'));
    const port = await freePort();
    const conf = path.join(dir, 'mosquitto.conf');
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\nlog_dest stderr\nlog_type all\n`);
    const broker = execa('/usr/sbin/mosquitto', ['-c', conf], { reject: false, all: true });
    let log = '';
    broker.all?.on('data', (d: Buffer) => (log += d.toString()));
    try {
      await waitUntil(() => /running/.test(log));
      const victim = mqtt.connect({ host: '127.0.0.1', port, clientId: 'victim-1', reconnectPeriod: 0 });
      await new Promise((r) => victim.once('connect', r));
      const closed = new Promise<void>((r) => victim.once('close', () => r()));
      const t = await takeOverSession({ host: '127.0.0.1', port, tls: false }, 'victim-1');
      assert.equal(t.returnCode, 0);
      await closed;
      await waitUntil(() => /Client victim-1 already connected, closing old connection\./.test(log));
      assert.match(
        log,
        new RegExp(`New client connected from 127\\.0\\.0\\.1:${t.localPort} as victim-1 \\(p2, c0, k0\\)`),
      );
      victim.end(true);
    } finally {
      broker.kill('SIGTERM');
      await broker;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the runner drops the board's connection and does not count the taker's CONNECT as the board's reconnect", async () => {
    const log: string[] = [];
    const taken: string[] = [];
    const w: StepWorld = {
      serial: { lines: () => [], onLine: () => () => undefined },
      levers: {},
      broker: { provider: 'local' } as BrokerHandle,
      brokerLog: () => log,
      vars: {},
      signal: new AbortController().signal,
      clientIds: () => ['rig-esp32-x'],
      takeOver: async (id) => {
        taken.push(id);
        log.push(`New client connected from 127.0.0.1:5555 as ${id} (p2, c0, k0).`);
        setTimeout(() => log.push(`New client connected from 127.0.0.1:6000 as ${id} (p2, c1, k15).`), 30);
        return { localPort: 5555, returnCode: 0 };
      },
    };
    const res = await runSteps([{ disconnect: true }, { expectReconnect: true, withinMs: 2000 }], w);
    assert.deepEqual(taken, ['rig-esp32-x']);
    assert.deepEqual(
      res.map((r) => r.status),
      ['pass', 'pass'],
    );
    assert.match(res[1]!.detail!, /:6000 as rig-esp32-x/);
    // Without the rig's MQTT options the step is a skip that says so, not a pass.
    const skip = await runSteps([{ disconnect: true }], { ...w, takeOver: undefined });
    assert.equal(skip[0]!.status, 'skip');
  });
});

async function waitUntil(ok: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error('timed out waiting for the broker');
    await new Promise((r) => setTimeout(r, 20));
  }
}
