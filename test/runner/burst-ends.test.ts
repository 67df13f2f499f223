// A twin on virtual time says where each burst of serial lines ends (fact "idle <n> <lines>") and waits for the
// rig's "resume <n>" (rig/target/twin-bursts.ts, boards/twin/core/host/clock.cpp). Pure parts, and settle() driven
// by a scripted target: it answers burst ends it has read whole, and judges a decided cell at one without
// waiting for silence. No real time is asserted: the scripted target prints its next burst only when resumed.
import assert from 'node:assert/strict';
import { burstOver, settle, type SettleInput } from '../../rig/runner/settle.ts';
import type { Expectation } from '../../rig/scenario/schema.ts';
import { isBurstFact, lastBurstEnd, twinBursts } from '../../rig/target/twin-bursts.ts';

describe('runner: burst ends a twin announces', () => {
  it('reads the latest burst end among the facts, and tells them from facts about the board', () => {
    const facts = ['serial-baud:115200', 'idle 1 2', 'control-ok resume 1', 'mbedtls:-9984', 'idle 2 12', 'x'];
    assert.deepEqual(lastBurstEnd(facts), { n: 2, lines: 12 });
    assert.equal(lastBurstEnd(['serial-baud:9600']), undefined);
    assert.deepEqual(facts.filter(isBurstFact), ['idle 1 2', 'idle 2 12']);
    assert.equal(isBurstFact('idle 1'), false);
  });

  it('a burst is over only once exactly its lines were read; each end is answered once', () => {
    const facts: string[] = [];
    let received = 0;
    const posted: string[] = [];
    const b = twinBursts({
      facts: () => facts,
      received: () => received,
      post: (l) => posted.push(l),
      watch: () => () => undefined,
    });
    assert.equal(b.over(), false, 'no burst end yet');
    facts.push('idle 1 3');
    received = 2;
    assert.equal(b.over(), false, 'a line of the burst is still on its way');
    received = 3;
    assert.equal(b.over(), true);
    b.resume();
    b.resume();
    assert.deepEqual(posted, ['resume 1']);
    assert.equal(b.over(), false, 'answered: the twin goes on');
    facts.push('idle 2 5');
    received = 6;
    assert.equal(b.over(), false, 'more lines than the burst had: the twin went on by itself, silence decides');
    received = 5;
    assert.equal(b.over(), true);
  });

  it('a burst stays whole once resumed, until a line after its end is read', () => {
    const facts = ['idle 1 3'];
    let received = 3;
    const b = twinBursts({
      facts: () => facts,
      received: () => received,
      post: () => undefined,
      watch: () => () => {},
    });
    assert.equal(b.whole(), true);
    assert.equal(b.over(), true);
    b.resume();
    assert.equal(b.over(), false, 'answered');
    assert.equal(b.whole(), true, 'still every line read came before the end (a message may come meanwhile)');
    received = 4;
    assert.equal(b.whole(), false, 'the next burst began');
    const none = twinBursts({ facts: () => [], received: () => 0, post: () => undefined, watch: () => () => {} });
    assert.equal(none.whole(), false, 'no burst end said: silence decides');
  });

  it('burstOver: the target said so, exited, was silent long enough, or the trail is too long', () => {
    const base = { exited: false, saidSo: false, silentMs: 0, sinceDecidedMs: 0 };
    assert.equal(burstOver(base), false);
    assert.equal(burstOver({ ...base, saidSo: true }), true);
    assert.equal(burstOver({ ...base, exited: true }), true);
    assert.equal(burstOver({ ...base, silentMs: 120 }), true);
    assert.equal(burstOver({ ...base, sinceDecidedMs: 1000 }), true);
  });

  it('settle answers a burst end before the decision and judges the deciding burst at its end', async () => {
    // Burst 1: WiFi lines; burst 2: the failure and its explanation. The target prints burst 2 only when it is
    // resumed past burst 1, and never goes on past burst 2 by itself (as a twin would until the rig answers).
    const t = scriptedTwin((l) => {
      if (l === 'resume 1')
        setImmediate(() => t.print(['RIG: connect fail state=-2', 'try again in 5 seconds'], 'idle 2 4'));
    });
    t.print(['Connecting', 'WiFi connected'], 'idle 1 2');
    assert.deepEqual(await settle(t.input(undefined)), { kind: 'decided' });
    assert.deepEqual(t.posted, ['resume 1'], 'burst 1 answered; the deciding burst judged, not resumed');
    assert.equal(t.lines.length, 4);
  });

  it('settle lets a decided twin go on for an expected message, and takes it once it comes', async () => {
    // The board prints "RIG: connected" and ends its burst; its first PUBLISH comes seconds of board time later,
    // after the rig resumed it, with no line of its own.
    const t = scriptedTwin(() => setImmediate(() => t.messages.push({ topic: 'home/up', payload: '1' })));
    t.print(['MQTT connecting ...connected', 'RIG: connected'], 'idle 1 2');
    const settled = await settle(
      t.input({ kind: 'connected', messages: [{ topic: 'home/up', payload: '1', count: 1 }] }),
    );
    assert.deepEqual(settled, { kind: 'decided' });
    assert.deepEqual(t.posted, ['resume 1']);
    assert.equal(t.messages.length, 1, 'judged with the message, not before it');
  });
});

/** A twin's side of the burst protocol, scripted: it prints bursts, and `onPost` plays what a control line does. */
function scriptedTwin(onPost: (line: string) => void) {
  const lines: string[] = [];
  const facts: string[] = [];
  const messages: { topic: string; payload: string }[] = [];
  const posted: string[] = [];
  const listeners = new Set<() => void>();
  const bursts = twinBursts({
    facts: () => facts,
    received: () => lines.length,
    post: (l) => {
      posted.push(l);
      onPost(l);
    },
    watch: (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
  });
  return {
    lines,
    messages,
    posted,
    print(ls: string[], fact: string): void {
      lines.push(...ls);
      facts.push(fact);
      for (const l of listeners) l();
    },
    /** Decided at the first RIG: line. */
    input: (expectation: Expectation | undefined): SettleInput => ({
      decided: () => lines.some((l) => l.startsWith('RIG:')),
      exited: new Promise(() => undefined),
      timeoutMs: 10_000,
      signal: new AbortController().signal,
      expectation,
      serial: () => [...lines],
      messages: () => [...messages],
      bursts,
    }),
  };
}
