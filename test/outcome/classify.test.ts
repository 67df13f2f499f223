import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { ReadlineParser } from '@serialport/parser-readline';
import { loadBoard } from '../../rig/boards/load.ts';
import { OutcomeClassifier } from '../../rig/outcome/classify.ts';
import { LineBuffer } from '../../rig/serial/line-buffer.ts';
import { projectPaths } from '../../rig/project.ts';
import type { BoardProfile } from '../../rig/boards/profile.ts';

const boardsDir = projectPaths().boards;
const board = (id: string): Promise<BoardProfile> => loadBoard(path.join(boardsDir, `${id}.yaml`));

function classify(b: BoardProfile, lines: string[], facts: string[] = []): ReturnType<OutcomeClassifier['result']> & { done: boolean } {
  const c = new OutcomeClassifier(b.outcome);
  lines.forEach((l, i) => c.feed(l, i));
  facts.forEach((f) => c.addFact(f));
  return { ...c.result(), done: c.done };
}

describe('outcome classifier', () => {
  it('ESP32 2.0.x -9984 with CN-mismatch flags from the twin is a name mismatch', async () => {
    const r = classify(await board('esp32'), [
      '[  2546][E][ssl_client.cpp:37] _handle_error(): [start_ssl_client():273]: (-9984) X509 - Certificate verification failed, e.g. CRL, CA or signature check failed',
      '[  2550][E][WiFiClientSecure.cpp:144] connect(): start_ssl_client: -9984',
    ], ['mbedtls-flags:0x4']);
    assert.equal(r.kind, 'tls/name-mismatch');
    assert.equal(r.code, 'mbedtls:-9984');
    assert.match(r.detail ?? '', /Certificate verification failed.*flags 0x4/);
    assert.ok(r.done);
  });

  it('ESP32 -9984 without flags (a real board) stays the generic verification failure', async () => {
    const r = classify(await board('esp32'), ['[E][ssl_client.cpp:35] handle_error(): MbedTLS message code: -9984', '[E][WiFiClientSecure.cpp:132] connect(): start_ssl_client: -9984']);
    assert.equal(r.kind, 'tls/untrusted');
    assert.equal(r.code, 'mbedtls:-9984');
  });

  it('ESP32 DNS failure beats the -1 that follows it', async () => {
    const r = classify(await board('esp32'), ['[  1201][E][WiFiGeneric.cpp:1582] hostByName(): DNS Failed for nosuch', 'RIG: connect fail state=-2 tls=0 text=""']);
    assert.equal(r.kind, 'dns/failed');
  });

  it('ESP8266 text and probe line give bearssl:56 and PubSubClient -2', async () => {
    const r = classify(await board('esp8266'), ['Attempting MQTT connection...', 'SSL error: Expected server name was not found in the chain.', 'RIG: connect fail state=-2 tls=56 text="Expected server name was not found in the chain."']);
    assert.equal(r.kind, 'tls/name-mismatch');
    assert.equal(r.code, 'bearssl:56');
    assert.deepEqual(r.facts, ['bearssl:56', 'pubsubclient:-2']);
  });

  it('a connected line decides connected, with no error code', async () => {
    const r = classify(await board('esp8266'), ['RIG: connected', 'RIG: published']);
    assert.equal(r.kind, 'connected');
    assert.equal(r.code, undefined);
  });

  it('stops at the first final line: a later retry does not change the outcome', async () => {
    const b = await board('esp8266');
    const c = new OutcomeClassifier(b.outcome);
    assert.equal(c.feed('SSL error: Chain could not be linked to a trust anchor.', 0), false);
    assert.equal(c.feed('RIG: connect fail state=-2 tls=62 text="x"', 1), true);
    c.feed('RIG: connected', 2);
    assert.equal(c.result().kind, 'tls/untrusted');
  });

  it('an ESP8266 exception dump is a crash', async () => {
    const r = classify(await board('esp8266'), ['', 'Exception (28):', 'epc1=0x40201234']);
    assert.equal(r.kind, 'crash');
    assert.equal(r.code, 'exception:28');
  });

  it('nothing recognisable is "none", not a guess', async () => {
    assert.equal(classify(await board('esp32'), ['hello', 'world']).kind, 'none');
  });

  it('10 MB of random bytes through the readline parser: no crash, memory bounded', async function () {
    this.timeout(60_000);
    const b = await board('esp8266');
    const c = new OutcomeClassifier(b.outcome);
    const buf = new LineBuffer(5000);
    const parser = new ReadlineParser({ delimiter: '\n', encoding: 'utf8' });
    let n = 0;
    parser.on('data', (line: string) => { buf.push(line); c.feed(line, n++); });
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 160; i++) parser.write(randomBytes(64 * 1024));
    parser.end();
    await new Promise((r) => setImmediate(r));
    global.gc?.();
    const grown = process.memoryUsage().heapUsed - before;
    assert.ok(n > 10_000, `only ${n} lines`);
    assert.ok(buf.lines().length <= 5000);
    assert.equal(buf.dropped + buf.lines().length, n);
    assert.ok(grown < 200 * 1024 * 1024, `heap grew ${grown} bytes`);
    assert.ok(['none', 'unknown', 'crash', 'connected'].includes(c.result().kind) || c.result().kind.startsWith('tls/'));
  });
});

describe('outcome classifier: lines after the deciding one', () => {
  it('the TLS error text printed after "failed, rc=-2" still counts; the next attempt does not', async () => {
    const b = await board('esp8266');
    const c = new OutcomeClassifier(b.outcome);
    const lines = ['Attempting MQTT connection...failed, rc=-2 try again in 5 seconds',
      'SSL error: SSL received fatal alert - Decoding error: extraneous element.',
      'Attempting MQTT connection...failed, rc=-2 try again in 5 seconds',
      'SSL error: Chain could not be linked to a trust anchor.'];
    lines.forEach((l, i) => c.feed(l, i));
    const r = c.result();
    assert.equal(r.kind, 'tls/client-cert-required');
    assert.deepEqual(r.facts, ['pubsubclient:-2', 'bearssl-alert:40']);
  });
});
