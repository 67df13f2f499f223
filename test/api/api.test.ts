// The library API's own parts, without boards: topic filters, the serial log a test expects on, the registry the
// mocha hooks stop, the logs a failing test carries, and the broker the API starts (a real local Mosquitto with
// an openssl PKI, and an mqtt.js client on it).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { topicMatches } from '../../rig/api/client.ts';
import { liveResources, stopAll, takeLogs, testRunning, track } from '../../rig/api/live.ts';
import { foldRepeats } from '../../rig/api/fold-repeats.ts';
import { attachLogs, formatLogs } from '../../rig/api/mocha.ts';
import { SerialLog } from '../../rig/api/serial-log.ts';
import { rig } from '../../rig/api/index.ts';
import type { LineSource, TargetEnd } from '../../rig/target/index.ts';

/** A line source the test feeds by hand. */
function fakeSource(): LineSource & { say(line: string): void } {
  const lines: string[] = [];
  const ev = new EventEmitter();
  return {
    lines: () => [...lines],
    onLine: (cb) => {
      ev.on('line', cb);
      return () => ev.off('line', cb);
    },
    say: (l) => {
      lines.push(l);
      ev.emit('line', l);
    },
  };
}

describe('api: MQTT topic filters', () => {
  it('+ is one level, # the rest, anything else literal', () => {
    assert.ok(topicMatches('a/+/c', 'a/b/c'));
    assert.ok(!topicMatches('a/+/c', 'a/b/d/c'));
    assert.ok(topicMatches('a/#', 'a/b/c'));
    assert.ok(topicMatches('a/b', 'a/b'));
    assert.ok(!topicMatches('a/b', 'a/b/c'));
    assert.ok(!topicMatches('a/b/c', 'a/b'));
  });
});

describe('api: a board serial log', () => {
  it('expect() consumes up to the line it matched, and waits for lines still to come', async () => {
    const src = fakeSource();
    src.say('boot');
    src.say('RIG: connected');
    const log = new SerialLog();
    log.follow(src, new Promise<TargetEnd>(() => undefined));
    assert.equal(await log.expect(/connected/, 1000, 't'), 'RIG: connected');
    // The same line does not satisfy a second expect: the next one must come.
    const next = log.expect('connected', 5000, 't');
    src.say('RIG: connected again');
    assert.equal(await next, 'RIG: connected again');
  });

  it('a timeout names the pattern and the last lines; an ended target rejects at once', async () => {
    const src = fakeSource();
    const log = new SerialLog();
    let end!: (e: TargetEnd) => void;
    log.follow(src, new Promise<TargetEnd>((r) => (end = r)));
    src.say('hello');
    await assert.rejects(
      log.expect(/never/, 50, 'twin x'),
      /twin x: no serial line matching \/never\/ within 50 ms; last lines:\n {2}hello/,
    );
    const pending = log.expect(/never/, 60_000, 'twin x');
    end({ code: null, signal: 'SIGSEGV' });
    await assert.rejects(pending, /before it ended \(killed by SIGSEGV\)/);
  });

  it('a restart empties the lines and the cursor; the history keeps both starts', async () => {
    const a = fakeSource();
    const log = new SerialLog();
    log.follow(a, new Promise<TargetEnd>(() => undefined));
    a.say('first boot');
    log.restart();
    const b = fakeSource();
    log.follow(b, new Promise<TargetEnd>(() => undefined));
    a.say('late line from the old start');
    b.say('second boot');
    assert.deepEqual(log.lines(), ['second boot']);
    assert.deepEqual(log.history(), ['first boot', '--- reset ---', 'second boot']);
  });
});

describe('api: what the mocha hooks stop and show', () => {
  afterEach(() => stopAll());

  it("a test's own resources stop after it; one started before the tests stays and its log is shown", async () => {
    const stopped: string[] = [];
    const res = (label: string) => {
      const r = {
        label,
        stop: async () => {
          stopped.push(label);
          off();
        },
        logs: () => ({ title: label, lines: [`${label} line`] }),
      };
      const off = track(r);
      return r;
    };
    takeLogs();
    testRunning(false);
    res('shared broker');
    testRunning(true);
    res('test board');
    testRunning(false);
    assert.deepEqual(
      takeLogs().map((s) => s.title),
      ['shared broker', 'test board'],
    );
    assert.deepEqual(await stopAll({ perTestOnly: true }), []);
    assert.deepEqual(stopped, ['test board']);
    assert.deepEqual(
      liveResources().map((r) => r.label),
      ['shared broker'],
    );
    // The next test's logs still show the shared broker (it runs), not the stopped board.
    assert.deepEqual(
      takeLogs().map((s) => s.title),
      ['shared broker'],
    );
    await stopAll();
    assert.deepEqual(stopped, ['test board', 'shared broker']);
  });

  it('a resource that does not stop in time is reported, not waited for forever', async () => {
    track({ label: 'stuck twin', stop: () => new Promise(() => undefined), logs: () => ({ title: 't', lines: [] }) });
    assert.deepEqual(await stopAll({ timeoutMs: 50 }), ['stuck twin: still running after 50 ms']);
  });

  it('the logs go after the message and before the stack, cut to their end', () => {
    const err = new Error('expected connected');
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
    attachLogs(err, [{ title: 'serial: twin esp32', lines }]);
    assert.match(
      err.message,
      /^expected connected\n\n--- serial: twin esp32 \(last 60 of 100 lines\) ---\n {2}\| line 40\n/,
    );
    assert.ok(err.stack!.startsWith(`Error: ${err.message}\n    at `), err.stack);
    assert.equal(formatLogs([{ title: 'broker', lines: [] }]), '--- broker (0 lines) ---\n  | (nothing)');
  });

  it("a twin's keepalives repeated on virtual time are folded, so the log's end still shows what happened", () => {
    const pings = Array.from({ length: 40 }, (_, i) => [
      `17964038${10 + (i % 9)}: Received PINGREQ from rig-esp8266`,
      `17964038${10 + (i % 9)}: Sending PINGRESP to rig-esp8266`,
    ]).flat();
    const lines = ['1796403810: New client connected from 127.0.0.1:5 as rig-esp8266', ...pings, 'x', 'x', 'y'];
    assert.deepEqual(foldRepeats(lines), [
      lines[0],
      pings[0],
      pings[1],
      '… the 2 lines above 39 more times',
      'x',
      'x',
      'y',
    ]);
    const text = formatLogs([{ title: 'broker', lines }]);
    assert.match(text, /^--- broker \(84 lines\) ---\n {2}\| 1796403810: New client connected/);
    assert.deepEqual(foldRepeats(['a', 'a', 'a', 'a']), ['a', '… the line above 3 more times']);
  });
});

describe('api: a broker from the API', function () {
  this.timeout(60_000);
  afterEach(() => stopAll());

  it('refuses a spec the scenario format refuses, naming the field', async () => {
    await assert.rejects(
      rig.broker({ listeners: [{ port: 70000 }] }),
      (e: Error) => e instanceof TypeError && /rig\.broker: .*listeners/s.test(e.message),
    );
  });

  it('a TLS broker with its certificates; an mqtt.js client publishes and expects; stop is idempotent', async () => {
    const pki = await rig.pki({
      ca: { subject: { CN: 'API Test CA' } },
      server: { subject: { CN: 'broker.test' }, san: ['DNS:broker.test'] },
    });
    assert.match(await pki.pem('ca'), /^-----BEGIN CERTIFICATE-----/);
    const broker = await rig.broker({ listeners: [{ port: 8883, tls: {}, allowAnonymous: true }], pki });
    assert.equal(broker.provider, 'local');
    const verified = await broker.client({ verify: { servername: 'broker.test' } });
    const other = await broker.client();
    await verified.subscribe('api/#');
    await other.publish('api/x', 'one');
    await other.publish('api/y', 'two');
    assert.equal((await verified.expectMessage('api/+', { payload: 'two' })).topic, 'api/y');
    await assert.rejects(verified.expectMessage('api/+', { payload: 'one', timeoutMs: 100 }), /no message on api\/\+/);
    assert.match(await broker.expectLog(/New client connected/), /New client connected/);
    await broker.stop();
    await broker[Symbol.asyncDispose]();
    assert.ok(!(await broker.handle.alive()));
    assert.deepEqual(
      liveResources().filter((r) => r.label.startsWith('broker')),
      [],
    );
  });

  it('broker faults keep the ports: restart drops clients, rotateCertificate serves the renewed certificate', async () => {
    const pki = await rig.pki({
      ca: { subject: { CN: 'API Test CA' } },
      server: { subject: { CN: 'broker.test' }, san: ['DNS:broker.test'] },
      renewed: { subject: { CN: 'renewed.test' }, san: ['DNS:renewed.test'] },
    });
    await using broker = await rig.broker({ listeners: [{ port: 8883, tls: {}, allowAnonymous: true }], pki });
    const port = broker.port(8883);
    const before = await broker.client();
    const closed = new Promise<void>((r) => before.mqtt.once('close', () => r()));
    await broker.restart();
    await closed;
    assert.equal(broker.port(8883), port);
    await (await broker.client({ verify: { servername: 'broker.test' } })).publish('api/after-restart', 'x');
    await broker.rotateCertificate({ cert: 'renewed' });
    assert.equal(broker.port(8883), port);
    await broker.client({ verify: { servername: 'renewed.test' } });
    await assert.rejects(broker.client({ verify: { servername: 'broker.test' } }), /altnames|does not match|Hostname/i);
  });

  it('revokeCertificate refuses the revoked client only; changePassword refuses the old password', async () => {
    const pki = await rig.pki({
      ca: { subject: { CN: 'API Test CA' } },
      server: { subject: { CN: 'broker.test' }, san: ['DNS:broker.test'] },
      lost: { subject: { CN: 'lost-device' }, key: { type: 'ec', curve: 'P-256' }, extendedKeyUsage: ['clientAuth'] },
      kept: { subject: { CN: 'kept-device' }, key: { type: 'ec', curve: 'P-256' }, extendedKeyUsage: ['clientAuth'] },
    });
    await using broker = await rig.broker({
      listeners: [{ port: 8883, tls: { requireCertificate: true }, passwordFile: true, allowAnonymous: false }],
      users: { device: 'api-old-pw' },
      pki,
    });
    const as = (cert: string, password = 'api-old-pw') => broker.client({ cert, username: 'device', password });
    await as('lost');
    await broker.revokeCertificate({ cert: 'lost' });
    await assert.rejects(as('lost'), /certificate revoked/i);
    await as('kept');
    await broker.changePassword({ user: 'device', password: 'api-new-pw' });
    await assert.rejects(as('kept'), /Not authorized|bad user name or password|not authori[sz]ed/i);
    await as('kept', 'api-new-pw');
  });

  it('a wrong server name fails the verifying client', async () => {
    const pki = await rig.pki({
      ca: { subject: { CN: 'API Test CA' } },
      server: { subject: { CN: 'broker.test' }, san: ['DNS:broker.test'] },
    });
    await using broker = await rig.broker({ listeners: [{ port: 8883, tls: {}, allowAnonymous: true }], pki });
    await assert.rejects(
      broker.client({ verify: { servername: 'elsewhere.test' } }),
      /altnames|does not match|Hostname/i,
    );
  });
});
