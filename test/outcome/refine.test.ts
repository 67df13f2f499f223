// The broker's reason refines what a board could only see as an alert or a closed connection; the board's own
// kind always stays, and an expectation can name either.
import assert from 'node:assert/strict';
import { evaluate } from '../../rig/outcome/expect.ts';
import { describeOutcome, refineOutcome } from '../../rig/outcome/refine.ts';
import type { Outcome } from '../../rig/results/schema.ts';

// Mosquitto 2.0.11 on OpenSSL 3 (Debian bookworm), as the rig's broker logs these refusals.
const NO_CERT = '1700000000: OpenSSL Error[0]: error:0A0000C7:SSL routines::peer did not return a certificate';
const NO_CIPHER = '1700000000: OpenSSL Error[0]: error:0A0000C1:SSL routines::no shared cipher';
const OLD_TLS = '1700000000: OpenSSL Error[0]: error:0A000102:SSL routines::unsupported protocol';
const PLAIN = '1700000000: OpenSSL Error[0]: error:0A00010B:SSL routines::wrong version number';
const NEW_CONN = '1700000000: New connection from 127.0.0.1:40000 on port 8883.';

const alert40: Outcome = {
  kind: 'tls/handshake-failed',
  code: 'bearssl:296',
  facts: ['pubsubclient:-2', 'bearssl:296'],
};

describe('outcome refinement from the broker log', () => {
  it('a handshake_failure with "peer did not return a certificate" is refined, the board kind kept', () => {
    const o = refineOutcome(alert40, [NEW_CONN, NO_CERT]);
    assert.equal(o.kind, 'tls/handshake-failed');
    assert.equal(o.code, 'bearssl:296');
    assert.equal(o.refinedKind, 'tls/client-cert-required');
    assert.equal(o.brokerReason, 'peer did not return a certificate');
    assert.equal(o.refinedBy, NO_CERT);
    assert.equal(
      describeOutcome(o),
      'tls/handshake-failed (bearssl:296), refined by the broker to tls/client-cert-required (peer did not return a certificate)',
    );
  });

  it('the same alert with "no shared cipher" records the reason and refines to no other kind', () => {
    const o = refineOutcome(alert40, [NO_CIPHER]);
    assert.equal(o.brokerReason, 'no shared cipher');
    assert.equal(o.refinedKind, undefined);
    assert.equal(describeOutcome(o), 'tls/handshake-failed (bearssl:296); broker: no shared cipher');
  });

  it('a reset that overtook the alert (ESP32 -80) is refined as well; a version refusal to protocol-version', () => {
    const reset = refineOutcome({ kind: 'tcp/reset', code: 'mbedtls:-80' }, [NO_CERT]);
    assert.equal(reset.refinedKind, 'tls/client-cert-required');
    const old = refineOutcome({ kind: 'tls/handshake-failed', code: 'mbedtls:-30592' }, [OLD_TLS]);
    assert.equal(old.refinedKind, 'tls/protocol-version');
  });

  it("a kind the board can know is never touched, whatever the broker's log says", () => {
    for (const o of [
      { kind: 'tls/untrusted', code: 'bearssl:62' },
      { kind: 'connected' },
      { kind: 'tls/client-cert-rejected', code: 'bearssl:304' },
    ] as Outcome[])
      assert.deepEqual(refineOutcome(o, [NO_CERT, NO_CIPHER]), o);
  });

  it("a board's own timeout keeps its kind; the broker's reason is recorded beside it", () => {
    const o = refineOutcome({ kind: 'timeout', code: 'pubsubclient:-4' }, [PLAIN]);
    assert.equal(o.kind, 'timeout');
    assert.equal(o.refinedKind, undefined);
    assert.equal(o.brokerReason, 'wrong version number');
  });

  it('two different reasons in one cell are both listed and refine nothing', () => {
    const o = refineOutcome(alert40, [NO_CIPHER, NO_CERT]);
    assert.equal(o.brokerReason, 'no shared cipher; peer did not return a certificate');
    assert.equal(o.refinedKind, undefined);
    assert.deepEqual(refineOutcome(alert40, [NEW_CONN]), alert40, 'no reason line: unchanged');
  });
});

describe('expectations on a refined outcome', () => {
  const refined = refineOutcome(alert40, [NO_CERT]);
  const ev = (outcome: Outcome) => ({ outcome, serial: [], brokerLog: [], messages: [] });

  it("kind matches the board's kind or the broker's refinement", () => {
    assert.equal(evaluate({ kind: 'tls/client-cert-required' }, ev(refined)).ok, true);
    assert.equal(evaluate({ kind: 'tls/handshake-failed' }, ev(refined)).ok, true);
    const unrefined = evaluate({ kind: 'tls/client-cert-required' }, ev(alert40));
    assert.deepEqual(unrefined.failures, [
      'expected kind tls/client-cert-required, got tls/handshake-failed (bearssl:296)',
    ]);
  });

  it("boardKind asserts the board's own kind only; brokerReason the broker's words", () => {
    assert.equal(evaluate({ boardKind: 'tls/handshake-failed', brokerReason: 'did not return' }, ev(refined)).ok, true);
    const v = evaluate({ boardKind: 'tls/client-cert-required', brokerReason: 'no shared cipher' }, ev(refined));
    assert.deepEqual(v.failures, [
      'expected board kind tls/client-cert-required, got tls/handshake-failed (bearssl:296)',
      'expected broker reason /no shared cipher/, got "peer did not return a certificate"',
    ]);
    assert.deepEqual(evaluate({ brokerReason: 'x' }, ev(alert40)).failures, ['expected broker reason /x/, got none']);
  });

  it('a failing kind names both views', () => {
    const v = evaluate({ kind: 'tls/untrusted' }, ev(refined));
    assert.deepEqual(v.failures, [
      'expected kind tls/untrusted, got tls/handshake-failed (bearssl:296), refined by the broker to tls/client-cert-required (peer did not return a certificate)',
    ]);
  });
});
