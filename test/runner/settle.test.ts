// settle(): after the board decided, a cell waits (bounded by its time) for every kind of evidence its
// expectation names: serial lines, broker log lines, the broker's reason, messages. Driven with plain
// functions; each test checks what was there when settle returned, never how long it took.
import assert from 'node:assert/strict';
import type { Outcome } from '../../rig/results/schema.ts';
import type { Expectation } from '../../rig/scenario/schema.ts';
import { missingEvidence, settle, type SettleInput } from '../../rig/runner/settle.ts';

const NO_CERT = 'OpenSSL Error[0]: error:0A0000C7:SSL routines::peer did not return a certificate';

/** A cell that decided at once; `later` lines reach the broker log after the given delay. */
function cell(
  expectation: Expectation,
  o: { outcome?: Outcome; timeoutMs?: number; exited?: boolean; control?: boolean } = {},
): { input: SettleInput; log: string[]; after: (ms: number, line: string) => void } {
  const log: string[] = [];
  const outcome = o.outcome ?? { kind: 'connected' };
  const input: SettleInput = {
    decided: () => true,
    exited:
      o.exited || o.control
        ? Promise.resolve({ code: 0, signal: null })
        : new Promise<{ code: number | null; signal: string | null }>(() => undefined),
    timeoutMs: o.timeoutMs ?? 10_000,
    signal: new AbortController().signal,
    expectation,
    serial: () => ['RIG: connected'],
    messages: () => [],
    brokerLog: () => [...log],
    outcome: () => outcome,
  };
  const after = (ms: number, line: string): void => {
    setTimeout(() => log.push(line), ms);
  };
  return { input, log, after };
}

describe('runner: settle waits for every kind of evidence it expects', function () {
  this.timeout(20_000);

  it('a broker log line written after the decision is waited for (past the serial burst)', async () => {
    const c = cell({ kind: 'connected', brokerLog: ['disconnected, not authorised'] });
    c.after(600, 'Client rig-x disconnected, not authorised.');
    assert.deepEqual(await settle(c.input), { kind: 'decided' });
    assert.ok(c.log.length === 1, 'settle returned before the expected broker line arrived');
  });

  it('a line the broker writes on its own clock, seconds later, still counts (keepalive\'s "has exceeded timeout")', async () => {
    const c = cell({ brokerLog: ['has exceeded timeout'] }, { timeoutMs: 15_000 });
    c.after(3500, 'Client rig-x has exceeded timeout, disconnecting.');
    await settle(c.input);
    assert.ok(
      c.log.some((l) => /exceeded timeout/.test(l)),
      'the twin would have been stopped before the line',
    );
  });

  it('the wait is bounded by the cell: a line that never comes ends in a verdict, not a hang', async () => {
    const c = cell({ brokerLog: ['never printed'] }, { timeoutMs: 500 });
    assert.deepEqual(await settle(c.input), { kind: 'decided' });
    assert.equal(c.log.length, 0);
  });

  it("a kind only the broker's reason can meet waits for that reason", async () => {
    const c = cell(
      { kind: 'tls/client-cert-required' },
      { outcome: { kind: 'tls/handshake-failed', code: 'bearssl:296' } },
    );
    c.after(600, NO_CERT);
    await settle(c.input);
    assert.equal(c.log.length, 1, 'returned before the broker said why');
  });

  it('a kind waiting cannot change is not waited for', async () => {
    const c = cell({ kind: 'connected' }, { outcome: { kind: 'tls/handshake-failed', code: 'bearssl:296' } });
    c.after(2500, NO_CERT);
    await settle(c.input);
    assert.equal(c.log.length, 0, 'a connected expectation cannot be met by a refinement: no reason to wait');
  });

  it('a fast control (its outcome already in) and a target that exited still wait for the broker', async () => {
    for (const o of [{ control: true }, { exited: true }]) {
      const c = cell({ kind: 'connected', brokerLog: ['New client connected'] }, o);
      c.after(400, 'New client connected from 127.0.0.1:40000 as rig-control (p2, c1, k60).');
      await settle(c.input);
      assert.equal(c.log.length, 1, JSON.stringify(o));
    }
  });

  it('missingEvidence names what is missing; serial only while the target can still print', () => {
    const c = cell({ serial: ['never'], brokerLog: ['x'], brokerReason: 'did not return' });
    assert.deepEqual(missingEvidence(c.input.expectation, c.input, true), {
      serial: true,
      brokerLog: true,
      messages: false,
    });
    assert.equal(missingEvidence(c.input.expectation, c.input, false).serial, false);
    // brokerReason is broker evidence only while the board's kind is one the broker can refine.
    assert.equal(missingEvidence({ brokerReason: 'x' }, c.input, true).brokerLog, false);
  });
});
