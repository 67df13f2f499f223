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

function classify(
  b: BoardProfile,
  lines: string[],
  facts: string[] = [],
): ReturnType<OutcomeClassifier['result']> & { done: boolean } {
  const c = new OutcomeClassifier(b.outcome);
  lines.forEach((l, i) => c.feed(l, i));
  facts.forEach((f) => c.addFact(f));
  return { ...c.result(), done: c.done };
}

describe('outcome classifier', () => {
  it('ESP32 2.0.x -9984 with CN-mismatch flags from the twin is a name mismatch', async () => {
    const r = classify(
      await board('esp32'),
      [
        '[  2546][E][ssl_client.cpp:37] _handle_error(): [start_ssl_client():273]: (-9984) X509 - Certificate verification failed, e.g. CRL, CA or signature check failed',
        '[  2550][E][WiFiClientSecure.cpp:144] connect(): start_ssl_client: -9984',
      ],
      ['mbedtls-flags:0x4'],
    );
    assert.equal(r.kind, 'tls/name-mismatch');
    assert.equal(r.code, 'mbedtls:-9984');
    assert.match(r.detail ?? '', /Certificate verification failed.*flags 0x4/);
    assert.ok(r.done);
  });

  it('ESP32 -9984 without flags (a real board) stays the generic verification failure', async () => {
    const r = classify(await board('esp32'), [
      '[E][ssl_client.cpp:35] handle_error(): MbedTLS message code: -9984',
      '[E][WiFiClientSecure.cpp:132] connect(): start_ssl_client: -9984',
    ]);
    assert.equal(r.kind, 'tls/untrusted');
    assert.equal(r.code, 'mbedtls:-9984');
  });

  it("ESP32 esp-mqtt: the esp-tls line decides; the probe's closing RIG line still adds the verify flags", async () => {
    const lines = [
      'E (4536) esp-tls-mbedtls: mbedtls_ssl_handshake returned -0x2700',
      'E (4537) esp-tls: Failed to open new connection',
      'E (4538) TRANSPORT_BASE: Failed to open a new connection',
      'E (4540) MQTT_CLIENT: Error transport connect',
      'RIG: connect fail state=-2 tls=-9984 text="esp-tls 0x8010, verify flags 0x4, errno 0"',
    ];
    const c = new OutcomeClassifier((await board('esp32')).outcome);
    assert.deepEqual(
      lines.map((l, i) => c.feed(l, i)),
      [true, true, true, true, true],
    );
    // A real board: no side channel, the flags come from the sketch.
    const hw = c.result();
    assert.equal(hw.kind, 'tls/name-mismatch');
    assert.equal(hw.code, 'esp-tls:-0x2700');
    assert.deepEqual(hw.facts, [
      'esp-tls:-0x2700',
      'pubsubclient:-2',
      'mbedtls:-9984',
      'esp-tls-err:0x8010',
      'mbedtls-flags:0x4',
    ]);
    // The twin reports the same facts again through its side channel: still one of each.
    const twin = classify(await board('esp32'), lines, ['esp-tls-err:0x8010', 'mbedtls-flags:0x4', 'mbedtls:-9984']);
    assert.deepEqual(twin.facts, hw.facts);
    // IDF before 4.3 tagged the line "esp-tls" (esp-idf#5757); a plain IDF app (no RIG line) is decided by it too.
    const idf = classify(await board('esp32'), ['E (11169) esp-tls: mbedtls_ssl_handshake returned -0x2700']);
    assert.equal(idf.code, 'esp-tls:-0x2700');
    assert.equal(idf.done, true);
    assert.equal(idf.kind, 'tls/untrusted');
  });

  it('ESP32 esp-mqtt: zero flags and a CONNACK refusal add no flag facts', async () => {
    const r = classify(await board('esp32'), [
      'E (900) MQTT_CLIENT: MQTT connect failed',
      'RIG: connect fail state=5 tls=0 text="esp-tls 0x0, verify flags 0x0, errno 0"',
    ]);
    assert.equal(r.kind, 'mqtt/not-authorized');
    assert.deepEqual(r.facts, ['pubsubclient:5', 'mbedtls:0']);
  });

  it('ESP32 broker refusing a missing client certificate: the alert (-30592) or the reset that overtakes it (-80)', async () => {
    const line = (n: number) => [
      `[     5][E][ssl_client.cpp:37] _handle_error(): [start_ssl_client():273]: (${n}) x`,
      `[     5][E][WiFiClientSecure.cpp:144] connect(): start_ssl_client: ${n}`,
    ];
    const alert = classify(await board('esp32'), line(-30592), ['pubsubclient:-2']);
    assert.equal(alert.kind, 'tls/handshake-failed');
    assert.equal(alert.code, 'mbedtls:-30592');
    const reset = classify(await board('esp32'), line(-80), ['pubsubclient:-2']);
    assert.equal(reset.kind, 'tcp/reset');
    assert.equal(reset.code, 'mbedtls:-80');
  });

  it('ESP32 DNS failure beats the -1 that follows it', async () => {
    const r = classify(await board('esp32'), [
      '[  1201][E][WiFiGeneric.cpp:1582] hostByName(): DNS Failed for nosuch',
      'RIG: connect fail state=-2 tls=0 text=""',
    ]);
    assert.equal(r.kind, 'dns/failed');
  });

  it('ESP8266 text and probe line give bearssl:56 and PubSubClient -2', async () => {
    const r = classify(await board('esp8266'), [
      'Attempting MQTT connection...',
      'SSL error: Expected server name was not found in the chain.',
      'RIG: connect fail state=-2 tls=56 text="Expected server name was not found in the chain."',
    ]);
    assert.equal(r.kind, 'tls/name-mismatch');
    assert.equal(r.code, 'bearssl:56');
    assert.deepEqual(r.facts, ['bearssl:56', 'pubsubclient:-2']);
  });

  it("Tasmota's lines: error 1 is a fingerprint mismatch, -1002 its own TCP failure (not a BearSSL code)", async () => {
    const b = await board('esp8266');
    const fp = classify(b, [
      '00:00:14.285 MQT: TLS connection error: 1',
      '00:00:14.287 MQT: Connect failed to mqtt.home.test:8883, rc -2. Retry in 10 sec',
    ]);
    assert.equal(fp.kind, 'tls/untrusted');
    assert.equal(fp.code, 'bearssl:1');
    const tcp = classify(b, [
      '00:00:23.377 MQT: TLS connection error: -1002',
      '00:00:23.377 MQT: Connect failed to mqtt.home.test:8883, rc -2. Retry in 10 sec',
    ]);
    assert.equal(tcp.kind, 'tcp/refused');
    assert.ok(tcp.facts?.includes('tasmota:-1002'));
    assert.ok(!tcp.facts?.some((f) => f.startsWith('bearssl:')), String(tcp.facts));
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
    parser.on('data', (line: string) => {
      buf.push(line);
      c.feed(line, n++);
    });
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
    assert.ok(
      ['none', 'unknown', 'crash', 'connected'].includes(c.result().kind) || c.result().kind.startsWith('tls/'),
    );
  });
});

describe('outcome classifier: lines after the deciding one', () => {
  it('the TLS error text printed after "failed, rc=-2" still counts; the next attempt does not', async () => {
    const b = await board('esp8266');
    const c = new OutcomeClassifier(b.outcome);
    const lines = [
      'Attempting MQTT connection...failed, rc=-2 try again in 5 seconds',
      'SSL error: SSL received fatal alert - Decoding error: extraneous element.',
      'Attempting MQTT connection...failed, rc=-2 try again in 5 seconds',
      'SSL error: Chain could not be linked to a trust anchor.',
    ];
    lines.forEach((l, i) => c.feed(l, i));
    const r = c.result();
    // Alert 40 is handshake_failure: the board cannot tell a missing certificate from no shared cipher.
    assert.equal(r.kind, 'tls/handshake-failed');
    assert.equal(r.code, 'bearssl-alert:40', "the stack's alert is the headline, not PubSubClient's -2");
    assert.deepEqual(r.facts, ['pubsubclient:-2', 'bearssl-alert:40']);
  });
});

describe('outcome codes: a verdict is what the board can know', () => {
  it('a received handshake_failure is tls/handshake-failed on every board, never a guessed cause', async () => {
    const esp8266 = classify(await board('esp8266'), [
      'Attempting MQTT connection...failed, rc=-2 try again in 5 seconds',
      'SSL error: SSL received fatal alert - Decoding error: extraneous element.',
    ]);
    assert.equal(esp8266.kind, 'tls/handshake-failed');
    const mkr = classify(await board('mkr1000'), ['RIG: connect fail state=-2 tls=296 text=""']);
    assert.deepEqual([mkr.kind, mkr.code], ['tls/handshake-failed', 'bearssl:296']);
    const esp32 = classify(await board('esp32'), ['RIG: connect fail state=-2 tls=-30592 text=""']);
    assert.deepEqual([esp32.kind, esp32.code], ['tls/handshake-failed', 'mbedtls:-30592']);
  });

  it('alerts that name their cause keep it: protocol_version and unknown_ca', async () => {
    const mkr = await board('mkr1000');
    assert.equal(classify(mkr, ['RIG: connect fail state=-2 tls=326 text=""']).kind, 'tls/protocol-version');
    assert.equal(classify(mkr, ['RIG: connect fail state=-2 tls=304 text=""']).kind, 'tls/client-cert-rejected');
  });

  it('mbedTLS codes are read by their real names: -0x6800 is a timeout, -0x7100 bad input data', async () => {
    const b = await board('esp32');
    const timeout = classify(b, ['RIG: connect fail state=-2 tls=-26624 text=""']);
    assert.deepEqual([timeout.kind, timeout.code], ['timeout', 'mbedtls:-26624']);
    const badInput = classify(b, ['RIG: connect fail state=-2 tls=-28928 text=""']);
    assert.deepEqual([badInput.kind, badInput.code], ['tls/handshake-failed', 'mbedtls:-28928']);
  });

  it("esp-tls codes of IDF 4.4 and later (renumbered): a key that does not parse is the board's own credential", async () => {
    const r = classify(await board('esp32'), [
      'RIG: connect fail state=-2 tls=-15232 text="esp-tls 0x8019, verify flags 0x0, errno 0"',
    ]);
    assert.equal(r.kind, 'tls/bad-certificate-format');
    assert.ok(r.facts?.includes('esp-tls-err:0x8019'));
  });

  it('an ESP8266 out of heap for its TLS buffers reports it (-1000) and runs on: an outcome, not a crash', async () => {
    const r = classify(await board('esp8266'), [
      'Attempting MQTT connection...failed, rc=-2 try again in 5 seconds',
      'SSL error: Unable to allocate memory for SSL structures and buffers.',
    ]);
    assert.deepEqual([r.kind, r.code], ['tls/handshake-failed', 'bearssl:-1000']);
  });

  it('no profile maps a code to a cause only the broker knows', async () => {
    for (const id of ['esp32', 'esp8266', 'mkr1000']) {
      const codes = (await board(id)).outcome.codes;
      for (const code of ['bearssl:296', 'bearssl-alert:40', 'mbedtls:-30592', 'mbedtls:-80'])
        assert.ok(codes[code] === undefined || !/client-cert|protocol|cipher/.test(codes[code]), `${id} ${code}`);
    }
  });
});
