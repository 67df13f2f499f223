// The judge is pure: the same evidence always gives the same verdict, so every rule is checked here directly.
import assert from 'node:assert/strict';
import type { Attempt } from '../../rig/runner/attempt.ts';
import { cellVerdict, judgeAttempt, retryAllowed, type Evidence } from '../../rig/runner/judge.ts';

const none = { counted: [], unattributed: [] };
const attempt = (over: Partial<Attempt> = {}): Attempt => ({
  outcome: { kind: 'connected' },
  serial: ['RIG: connected'],
  timings: {},
  ...over,
});
const evidence = (over: Partial<Evidence> = {}): Evidence => ({
  expectation: { kind: 'connected' },
  attempt: attempt(),
  brokerLog: [],
  messages: none,
  ...over,
});

describe('runner: the judge', () => {
  it('pass when the expectation is met, with the serial lines that met it', () => {
    const j = judgeAttempt(evidence({ expectation: { kind: 'connected', serial: ['^RIG: connected$'] } }));
    assert.deepEqual(j, { status: 'pass', failures: [], matched: [0], final: false });
  });

  it('fail names what was expected and what came', () => {
    const j = judgeAttempt(evidence({ expectation: { kind: 'tls/name-mismatch' } }));
    assert.equal(j.status, 'fail');
    assert.deepEqual(j.failures, ['expected kind tls/name-mismatch, got connected']);
  });

  it("an attempt the rig could not make is an error with the rig's reason, whatever was expected", () => {
    const j = judgeAttempt(
      evidence({ attempt: attempt({ outcome: { kind: 'none' }, infraError: 'no sketch for x' }) }),
    );
    assert.equal(j.status, 'error');
    assert.deepEqual(j.failures, ['no sketch for x']);
    assert.equal(j.final, false, 'a retry may help');
  });

  it("a hung target (the rig's cell timeout, no decision) is an error, whatever the scenario expects", () => {
    const detail = 'the target decided nothing within 100 ms; last lines: booted';
    const hung = attempt({ outcome: { kind: 'no-outcome', detail } });
    const j = judgeAttempt(evidence({ attempt: hung }));
    assert.equal(j.status, 'error');
    assert.equal(j.failures[0], `no-outcome: ${detail}`);
    assert.match(j.failures[1] ?? '', /expected kind connected, got no-outcome/);
    assert.equal(judgeAttempt(evidence({ attempt: hung, expectation: { kind: 'timeout' } })).status, 'error');
  });

  it('what the target cannot build is a skip with the reason, final; a pass when the scenario expects it', () => {
    const detail = 'sketch.ino:3: the twin has no HTTPClient.h';
    const unsupported = attempt({ outcome: { kind: 'build/unsupported', detail }, serial: [] });
    const j = judgeAttempt(evidence({ attempt: unsupported, target: 'twin' }));
    assert.deepEqual(j, { status: 'skip', failures: [`twin cannot build it: ${detail}`], matched: [], final: true });
    assert.equal(retryAllowed(j, unsupported, 1, { errors: 3, failures: 3 }), false);
    assert.deepEqual(cellVerdict(j, false, undefined), {
      status: 'skip',
      failures: [`twin cannot build it: ${detail}`],
      reason: `twin cannot build it: ${detail}`,
    });
    const expected = judgeAttempt(evidence({ attempt: unsupported, expectation: { kind: 'build/unsupported' } }));
    assert.equal(expected.status, 'pass');
  });

  it('a timeout the board reported (PubSubClient rc=-4) is an outcome: fail with expected vs got, not an error', () => {
    const rc4 = attempt({
      outcome: { kind: 'timeout', code: 'pubsubclient:-4', facts: ['pubsubclient:-4'] },
      serial: ['Attempting MQTT connection...failed, rc=-4 try again in 5 seconds'],
    });
    const j = judgeAttempt(evidence({ attempt: rc4, expectation: { kind: 'tls/client-cert-required' } }));
    assert.equal(j.status, 'fail');
    assert.deepEqual(j.failures, ['expected kind tls/client-cert-required, got timeout (pubsubclient:-4)']);
    assert.equal(retryAllowed(j, rc4, 1, { errors: 1, failures: 0 }), false, "not retried as the rig's error");
    assert.equal(judgeAttempt(evidence({ attempt: rc4, expectation: { kind: 'timeout' } })).status, 'pass');
  });

  it('a crash is an error unless the scenario expects exactly that', () => {
    const crash = attempt({ outcome: { kind: 'crash', detail: 'target killed by SIGSEGV' } });
    assert.equal(judgeAttempt(evidence({ attempt: crash })).status, 'error');
    assert.equal(judgeAttempt(evidence({ attempt: crash, expectation: { kind: 'crash' } })).status, 'pass');
  });

  it("a broker that died makes it the rig's error, final, whatever the board saw", () => {
    const j = judgeAttempt(evidence({ brokerDied: 'Error: out of memory' }));
    assert.deepEqual(j.failures, ['broker died during the cell: Error: out of memory']);
    assert.equal(j.status, 'error');
    assert.equal(j.final, true);
    assert.equal(judgeAttempt(evidence({ brokerDied: '' })).failures[0], 'broker died during the cell: no log');
  });

  it("the observer's error is listed only when messages are expected", () => {
    const messages = [{ topic: 'rig/+/up', count: 1 }];
    const withMessages = judgeAttempt(evidence({ expectation: { messages }, observerError: 'observer down' }));
    assert.ok(withMessages.failures.includes('observer down'), withMessages.failures.join('\n'));
    assert.ok(!judgeAttempt(evidence({ observerError: 'observer down' })).failures.includes('observer down'));
  });

  it("retries: errors up to --retries unless not retryable, failures up to the scenario's retries", () => {
    const limits = { errors: 1, failures: 0 };
    const error = judgeAttempt(evidence({ attempt: attempt({ infraError: 'port busy' }) }));
    assert.equal(retryAllowed(error, attempt(), 1, limits), true);
    assert.equal(retryAllowed(error, attempt(), 2, limits), false);
    assert.equal(retryAllowed(error, attempt({ retryable: false }), 1, limits), false);
    const fail = judgeAttempt(evidence({ expectation: { kind: 'timeout' } }));
    assert.equal(retryAllowed(fail, attempt(), 1, limits), false);
    assert.equal(retryAllowed(fail, attempt(), 1, { errors: 0, failures: 1 }), true);
    const pass = judgeAttempt(evidence());
    assert.equal(retryAllowed(pass, attempt(), 1, { errors: 9, failures: 9 }), false);
  });

  it('the cell: flaky after a bad attempt, stopped by Ctrl-C or the watchdog', () => {
    const pass = judgeAttempt(evidence());
    assert.deepEqual(cellVerdict(pass, false, undefined), { status: 'pass', failures: [] });
    assert.equal(cellVerdict(pass, true, undefined).status, 'flaky');
    const fail = judgeAttempt(evidence({ expectation: { kind: 'timeout' } }));
    assert.equal(cellVerdict(fail, false, undefined).reason, 'expected kind timeout, got connected');
    assert.deepEqual(cellVerdict(undefined, false, { status: 'skip', reason: 'run interrupted' }), {
      status: 'skip',
      failures: [],
      reason: 'run interrupted',
    });
    const watchdog = cellVerdict(fail, true, { status: 'error', reason: 'stopped by the watchdog' });
    assert.equal(watchdog.status, 'error');
    assert.deepEqual(watchdog.failures, ['stopped by the watchdog', 'expected kind timeout, got connected']);
    assert.equal(cellVerdict(undefined, false, undefined).status, 'skip');
  });
});
