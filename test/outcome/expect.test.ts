import assert from 'node:assert/strict';
import { evaluate, topicMatches } from '../../rig/outcome/expect.ts';

const base = {
  outcome: { kind: 'tls/name-mismatch' as const, code: 'bearssl:56', facts: ['bearssl:56', 'pubsubclient:-2'] },
  serial: ['boot', 'SSL error: Expected server name was not found in the chain.', 'RIG: connect fail state=-2 tls=56'],
  brokerLog: [
    'New connection from 127.0.0.1:5000 on port 8883.',
    'OpenSSL Error[0]: error:0A000126:SSL routines::unexpected eof while reading',
  ],
  messages: [],
};

describe('expectations', () => {
  it('passes when kind, code (from facts), serial and broker log all match, and reports matched lines', () => {
    const v = evaluate(
      {
        kind: 'tls/name-mismatch',
        code: 'pubsubclient:-2',
        serial: ['Expected server name', 'state=-2'],
        brokerLog: ['unexpected eof'],
      },
      base,
    );
    assert.deepEqual(v, { ok: true, failures: [], matchedLines: [1, 2] });
  });
  it('names each unmet part', () => {
    const v = evaluate(
      {
        kind: 'connected',
        code: 'bearssl:62',
        serial: { see: ['RIG: connected'], notSee: ['SSL error'] },
        brokerLog: ['New client connected'],
        messages: [{ topic: 'rig/x/up', count: 1 }],
      },
      base,
    );
    assert.equal(v.ok, false);
    assert.equal(v.failures.length, 6);
    assert.match(v.failures[0]!, /expected kind connected, got tls\/name-mismatch \(bearssl:56\)/);
    assert.match(v.failures[3]!, /serial showed \/SSL error\/ at line 2/);
  });
  it('ordered serial expectations need the given order', () => {
    const ok = evaluate({ serial: { see: ['boot', 'SSL error'], ordered: true } }, base);
    const bad = evaluate({ serial: { see: ['SSL error', 'boot'], ordered: true } }, base);
    assert.equal(ok.ok, true);
    assert.equal(bad.ok, false);
  });
  it('counts broker messages by topic filter and payload', () => {
    const ev = {
      ...base,
      messages: [
        { topic: 'rig/a/up', payload: 'hello from x' },
        { topic: 'rig/a/up', payload: 'bye' },
      ],
    };
    assert.equal(evaluate({ messages: [{ topic: 'rig/+/up', payload: '^hello', count: 1 }] }, ev).ok, true);
    assert.equal(evaluate({ messages: [{ topic: 'rig/#', count: 3 }] }, ev).ok, false);
  });
  it('matches MQTT topic filters', () => {
    assert.ok(topicMatches('a/+/c', 'a/b/c'));
    assert.ok(topicMatches('a/#', 'a/b/c'));
    assert.ok(!topicMatches('a/+', 'a/b/c'));
    assert.ok(!topicMatches('a/b', 'a'));
  });
});
