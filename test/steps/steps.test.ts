import assert from 'node:assert/strict';
import { timelineLines } from '../../rig/report/timeline.ts';
import type { StepResult } from '../../rig/results/schema.ts';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import type { Step } from '../../rig/scenario/steps.ts';
import { runSteps, stepsVerdict, topicMatches, type StepWorld } from '../../rig/steps/index.ts';
import type { BrokerHandle } from '../../rig/broker/index.ts';
import { problemsOf, scenarioBase } from '../helpers/scenario-text.ts';

const BASE = scenarioBase();

const EXPECT = 'expect: { default: { esp32: { kind: connected } } }\n';

describe('steps: the format', () => {
  it('accepts a step scenario and a failingStep that names one of its steps', () => {
    const s = parseScenarioText(
      `${BASE}steps:
  - { name: up, waitSerial: "RIG: connected" }
  - { broker: pause, forMs: 20000 }
  - { name: back, expectReconnect: true, withinMs: 30000 }
expect:
  default: { esp32: { kind: connected, failingStep: back } }
`,
      'x.yaml',
    );
    assert.equal(s.steps?.length, 3);
    assert.equal(s.steps?.[1]?.forMs, 20000);
  });

  it('puts a bad step at its file:line with a message that says what to do', () => {
    const p = problemsOf(`${BASE}steps:
  - waitSerial: "RIG: connected"
  - { broker: restart, waitSerial: x }
  - { broker: pause }
  - { wiat: 100 }
expect:
  default: { esp32: { kind: connected } }
`);
    const at = (line: number) =>
      p
        .filter((x) => x.line === line)
        .map((x) => x.message)
        .join(' | ');
    assert.match(at(11), /one action per step \(this one has waitSerial and broker\)/);
    assert.match(at(12), /broker: pause needs forMs/);
    assert.match(at(13), /wiat/);
  });

  it('names what a step refers to that the scenario lacks', () => {
    const p = problemsOf(`${BASE}steps:
  - { rotate: { cert: nope } }
expect:
  default: { esp32: { kind: connected, failingStep: missing } }
`);
    const at = (line: number) =>
      p
        .filter((x) => x.line === line)
        .map((x) => x.message)
        .join(' | ');
    assert.match(at(10), /no certificate named "nope" in pki/);
    assert.match(at(12), /no step named "missing" in variant default/);
  });

  it('names a revoked certificate the pki lacks, in a step and in a listener', () => {
    const p = problemsOf(`version: 1
id: demo
pki:
  ca: { subject: { CN: CA } }
  server: { subject: { CN: broker } }
broker:
  listeners: [{ port: 8883, tls: { requireCertificate: true, revoked: [ghost] } }]
boards: [esp32]
steps:
  - { revoke: nobody }
expect:
  default: { esp32: { kind: connected } }
`);
    const at = (line: number) =>
      p
        .filter((x) => x.line === line)
        .map((x) => x.message)
        .join(' | ');
    assert.match(at(7), /no certificate named "ghost" in pki/);
    assert.match(at(10), /no certificate named "nobody" in pki/);
  });

  it('refuses a revoke with a second action or a name that is not a pki name', () => {
    const p = problemsOf(`${BASE}steps:
  - { revoke: server, broker: restart }
  - { revoke: "Not A Name" }
expect:
  default: { esp32: { kind: connected } }
`);
    const at = (line: number) =>
      p
        .filter((x) => x.line === line)
        .map((x) => x.message)
        .join(' | ');
    assert.match(at(10), /one action per step \(this one has broker and revoke\)/);
    assert.match(at(11), /a certificate name from pki/);
  });
  it('refuses an empty reconfigure, an unknown TLS version and a cipher list that would break the conf', () => {
    const p = problemsOf(`${BASE}steps:
  - { reconfigure: {} }
  - { reconfigure: { tlsVersion: tlsv1.0 } }
  - { reconfigure: { ciphers: "AES128-SHA\\nplugin /tmp/x.so" } }
  - { reconfigure: { tlsVersion: tlsv1.3, port: 1 } }
expect:
  default: { esp32: { kind: connected } }
`);
    const at = (line: number) =>
      p
        .filter((x) => x.line === line)
        .map((x) => x.message)
        .join(' | ');
    assert.match(at(10), /reconfigure needs tlsVersion, ciphers, ciphersTls13, password or acl/);
    assert.match(at(11), /tlsv1\.1.*tlsv1\.2.*tlsv1\.3/);
    assert.match(at(12), /an OpenSSL cipher list/);
    assert.match(at(13), /port/);
  });
  it('takes clock millis up to 2^32 - 1, one clock move per step', () => {
    const ok = parseScenarioText(`${BASE}${EXPECT}steps:\n  - clock: { millis: 4294967295 }\n`, 'x.yaml');
    assert.equal(ok.steps![0]!.clock!.millis, 4294967295);
    const big = problemsOf(`${BASE}steps:\n  - clock: { millis: 4294967296 }\n`);
    assert.ok(
      big.some((p) => /32-bit unsigned long/.test(p.message)),
      JSON.stringify(big),
    );
    const two = problemsOf(`${BASE}steps:\n  - clock: { millis: 5, advanceMs: 5 }\n`);
    assert.ok(two.some((p) => /one clock move per step \(this one has advanceMs and millis\)/.test(p.message)));
  });
  it('refuses a password change on a broker without users, and a user name the password file cannot hold', () => {
    const p = problemsOf(`${BASE}steps:
  - { reconfigure: { password: { user: device, password: new-one } } }
expect:
  default: { esp32: { kind: connected } }
`);
    assert.match(p.find((x) => x.line === 10)?.message ?? '', /a password change needs a broker with users/);
    const q = problemsOf(`${BASE}steps:
  - { reconfigure: { password: { user: "a:b", password: new-one } } }
expect:
  default: { esp32: { kind: connected } }
`);
    assert.match(q.find((x) => x.line === 10)?.message ?? '', /a user name of the password file/);
  });
});

describe('steps: the verdict', () => {
  const r = (name: string, status: StepResult['status']): StepResult => ({
    index: 0,
    name,
    action: 'waitSerial',
    what: 'w',
    status,
    atMs: 0,
    tookMs: 0,
    serial: [],
    broker: [],
    line: 7,
  });
  it('fails at the first failing step, naming it and its line', () => {
    const v = stepsVerdict([r('a', 'pass'), r('b', 'fail'), r('c', 'not-run')], undefined);
    assert.match(v.failures[0]!, /step "b" \(line 7\)/);
  });
  it('a regression variant passes only when exactly its step fails', () => {
    assert.deepEqual(stepsVerdict([r('a', 'pass'), r('b', 'fail')], 'b').failures, []);
    assert.match(stepsVerdict([r('a', 'pass'), r('b', 'pass')], 'b').failures[0]!, /expected to fail .* but held/);
    assert.match(stepsVerdict([r('a', 'fail'), r('b', 'not-run')], 'b').failures[0]!, /instead of the expected/);
  });
  it('a step the target cannot do is a skip, not a pass', () => {
    const v = stepsVerdict([r('a', 'pass'), r('clock', 'skip')], undefined);
    assert.equal(v.failures.length, 0);
    assert.match(v.skip ?? '', /step "clock"/);
  });
  it('the timeline shows board time, marks and the lines around a step', () => {
    const lines = timelineLines([{ ...r('b', 'fail'), atMs: 1500, serial: ['RIG: connect fail'], broker: ['x'] }]);
    assert.match(lines[0]!, /^\s+1\.5 s ✘ b \(line 7\)/);
    assert.deepEqual(
      lines.slice(1).map((l) => l.trim()),
      ['S RIG: connect fail', 'B x'],
    );
  });
  it('matches MQTT topic filters', () => {
    assert.ok(topicMatches('a/+/c', 'a/b/c'));
    assert.ok(topicMatches('a/#', 'a/b/c'));
    assert.ok(!topicMatches('a/+', 'a/b/c'));
  });
});

describe('steps: the runner (a scripted target and broker)', () => {
  function world(serial: string[], brokerLog: string[], levers: StepWorld['levers'] = {}): StepWorld {
    return {
      serial: { lines: () => serial, onLine: () => () => undefined },
      levers,
      broker: { provider: 'local' } as BrokerHandle,
      brokerLog: () => brokerLog,
      vars: { topic: 't' },
      signal: new AbortController().signal,
      lineOf: (i) => 10 + i,
    };
  }
  it('waits for evidence, writes to serial, and stops at the first step that does not hold', async () => {
    const serial = ['boot', 'RIG: connected'];
    const log: string[] = [];
    const written: string[] = [];
    const steps: Step[] = [
      { waitSerial: 'RIG: connected' },
      { writeSerial: 'state' },
      { name: 'back', expectReconnect: true, withinMs: 200 },
      { waitSerial: 'never' },
    ];
    setTimeout(() => serial.push('RIG: state=0 connected=1'), 20);
    const res = await runSteps(steps, world(serial, log, { writeSerial: async (t) => void written.push(t) }));
    assert.deepEqual(written, ['state']);
    assert.deepEqual(
      res.map((s) => s.status),
      ['pass', 'pass', 'fail', 'not-run'],
    );
    assert.equal(res[2]!.line, 12);
    assert.match(res[2]!.detail!, /did not connect again within 200 ms/);
  });
  it("counts the board's own CONNECT as a reconnect, not the rig's clients", async () => {
    const log = ['New client connected from 127.0.0.1:1 as rig-observer-1-abc (p2, c1, k60).'];
    setTimeout(() => log.push('New client connected from 127.0.0.1:2 as rig-esp32-x (p2, c1, k15).'), 30);
    const res = await runSteps([{ expectReconnect: true, withinMs: 2000 }], world([], log));
    assert.equal(res[0]!.status, 'pass');
    assert.match(res[0]!.detail!, /rig-esp32-x/);
  });
  it('waiting steps look at what followed the last step that did something, not at what came before it', async () => {
    const serial = ['RIG: connection lost state=-3'];
    setTimeout(() => serial.push('RIG: connection lost state=-4', 'RIG: connected'), 5);
    const res = await runSteps(
      [
        { wait: 40 },
        { waitSerial: 'RIG: connected', withinMs: 100 },
        { name: 'lost', waitSerial: 'lost state=(-?\\d+)', withinMs: 100 },
      ],
      world(serial, []),
    );
    assert.deepEqual(
      res.map((x) => x.status),
      ['pass', 'pass', 'pass'],
    );
    assert.equal(res[2]!.detail, 'RIG: connection lost state=-4', 'the line before the wait does not count');
  });
  it('a clock step on a target without a clock lever is a skip that says so', async () => {
    const res = await runSteps([{ clock: { advanceMs: 1000 } }, { wait: 1 }], world([], []));
    assert.deepEqual(
      res.map((s) => s.status),
      ['skip', 'not-run'],
    );
    assert.match(res[0]!.detail!, /does not support moving the board's clock/);
  });
  it('a clock advance moves board time in the timeline', async () => {
    const moves: unknown[] = [];
    const res = await runSteps(
      [{ clock: { advanceMs: 60_000 } }, { wait: 1 }],
      world([], [], { clock: async (m) => void moves.push(m) }),
    );
    assert.deepEqual(moves, [{ advanceMs: 60_000 }]);
    assert.ok(res[1]!.atMs >= 60_000);
  });
  it('a clock millis step asks the target for that value and board time follows it', async () => {
    const moves: unknown[] = [];
    const res = await runSteps(
      [{ clock: { millis: 4_294_947_296 } }, { wait: 1 }],
      world([], [], { clock: async (m) => void moves.push(m) }),
    );
    assert.deepEqual(moves, [{ millis: 4_294_947_296 }]);
    assert.equal(res[0]!.detail, 'millis() moved on to 4294947296');
    assert.equal(res[0]!.what, 'clock millis 4294947296');
    assert.ok(res[1]!.atMs >= 4_294_947_296 && res[1]!.atMs < 4_294_947_296 + 5_000);
  });
});
