import assert from 'node:assert/strict';
import {
  namedClientId,
  parseLogLine,
  parsePublishLine,
  stripTimestamp,
  versionFromLine,
} from '../../rig/broker/log.ts';

// Exact lines from mosquitto 2.0.11 (docs/tool-facts.md §5 and lines measured in this repo's tests).
const T = '1795328836: ';
const ev = (line: string) => parseLogLine(T + line, 42);

describe('broker log parser', () => {
  it('strips epoch and ISO timestamps', () => {
    assert.equal(stripTimestamp('1795328836: mosquitto version 2.0.11 running'), 'mosquitto version 2.0.11 running');
    assert.equal(stripTimestamp('2026-11-22T08:00:00: Client x disconnected.'), 'Client x disconnected.');
  });

  it('started and version', () => {
    assert.deepEqual(ev('mosquitto version 2.0.11 running'), {
      at: 42,
      type: 'started',
      text: 'mosquitto version 2.0.11 running',
    });
    assert.equal(versionFromLine(`${T}mosquitto version 2.0.11 running`), '2.0.11');
    assert.equal(ev('mosquitto version 2.0.11 starting'), undefined);
    assert.equal(ev('Opening ipv4 listen socket on port 18883.'), undefined);
  });

  it('connect attempt and connected, with username from the certificate CN', () => {
    assert.deepEqual(ev('New connection from 127.0.0.1:43940 on port 18883.'), {
      at: 42,
      type: 'connect-attempt',
      address: '127.0.0.1:43940',
      text: 'New connection from 127.0.0.1:43940 on port 18883.',
    });
    const c = ev('New client connected from 127.0.0.1:43940 as probe-ok (p2, c1, k60).');
    assert.equal(c?.type, 'connected');
    assert.equal(c?.clientId, 'probe-ok');
    assert.equal(c?.address, '127.0.0.1:43940');
    assert.equal(c?.username, undefined);
    const m = ev("New client connected from 127.0.0.1:58900 as probe-mtls (p2, c1, k60, u'device-01').");
    assert.equal(m?.clientId, 'probe-mtls');
    assert.equal(m?.username, 'device-01');
  });

  it('disconnects', () => {
    assert.deepEqual(
      [ev('Client probe-ok closed its connection.')?.type, ev('Client probe-ok closed its connection.')?.clientId],
      ['disconnected', 'probe-ok'],
    );
    assert.equal(ev('Client sub1 disconnected.')?.type, 'disconnected');
    assert.equal(ev('Client sub1 disconnected.')?.clientId, 'sub1');
  });

  it('TLS errors keep the OpenSSL text', () => {
    for (const l of [
      'OpenSSL Error[0]: error:0A000126:SSL routines::unexpected eof while reading',
      'OpenSSL Error[0]: error:0A0000C7:SSL routines::peer did not return a certificate',
      'OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed',
      'OpenSSL Error[0]: error:0A00010B:SSL routines::wrong version number',
    ]) {
      const e = ev(l);
      assert.equal(e?.type, 'tls-error', l);
      assert.equal(e?.text, l);
    }
    const f = ev('Client connection from 127.0.0.1 failed: error:0A000102:SSL routines::unsupported protocol.');
    assert.equal(f?.type, 'tls-error');
    assert.equal(f?.address, '127.0.0.1');
  });

  it('protocol errors', () => {
    assert.equal(ev('Client <unknown> disconnected: Protocol error.')?.type, 'protocol-error');
    assert.equal(ev('Client <unknown> disconnected: Protocol error.')?.clientId, undefined);
    assert.equal(ev('Client <unknown> disconnected due to protocol error.')?.type, 'protocol-error');
  });

  it('not authorised (CONNACK 5 and the disconnect line)', () => {
    const a = ev('Sending CONNACK to 127.0.0.1 (0, 5)');
    assert.equal(a?.type, 'not-authorised');
    assert.equal(a?.address, '127.0.0.1');
    assert.equal(ev('Sending CONNACK to probe-ok (0, 0)'), undefined);
    assert.equal(ev('Client <unknown> disconnected, not authorised.')?.type, 'not-authorised');
  });

  it('publish and subscribe with log_type all', () => {
    const p = ev("Received PUBLISH from probe-ok (d0, q1, r0, m1, 'rig/test', ... (5 bytes))");
    assert.equal(p?.type, 'publish');
    assert.equal(p?.clientId, 'probe-ok');
    assert.equal(ev('Received SUBSCRIBE from sub1')?.clientId, 'sub1');
  });

  it('PUBLISH lines: direction, client, topic (quotes and all) and size', () => {
    assert.deepEqual(
      parsePublishLine(`${T}Received PUBLISH from probe-ok (d0, q1, r0, m1, 'rig/test', ... (5 bytes))`),
      { dir: 'received', clientId: 'probe-ok', topic: 'rig/test', bytes: 5 },
    );
    assert.deepEqual(parsePublishLine(`${T}Sending PUBLISH to obs (d0, q0, r0, m0, 'a/it's', ... (0 bytes))`), {
      dir: 'sending',
      clientId: 'obs',
      topic: "a/it's",
      bytes: 0,
    });
    assert.equal(parsePublishLine(`${T}Denied PUBLISH from x (d0, q0, r0, m0, 't', ... (2 bytes))`)?.dir, 'denied');
    assert.equal(parsePublishLine(`${T}Received SUBSCRIBE from sub1`), undefined);
  });

  it('the client a line names; none for lines before CONNECT or about an address', () => {
    const named: [string, string | undefined][] = [
      ['New client connected from 127.0.0.1:44134 as obs (p2, c1, k60).', 'obs'],
      ["New client connected from 127.0.0.1:58900 as probe-mtls (p2, c1, k60, u'device-01').", 'probe-mtls'],
      ['Client pubber disconnected.', 'pubber'],
      ['Client probe-ok closed its connection.', 'probe-ok'],
      ['Client ESP8266_Client1 already connected, closing old connection.', 'ESP8266_Client1'],
      ["Received PUBLISH from p2 (d0, q1, r0, m1, 'a/b', ... (2 bytes))", 'p2'],
      ['Sending CONNACK to obs (0, 0)', 'obs'],
      ['Received PINGREQ from rig-esp32-pass', 'rig-esp32-pass'],
      ['obs 0 a/#', 'obs'],
      ['New connection from 127.0.0.1:44134 on port 18831.', undefined],
      ['OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed', undefined],
      ['Client connection from 127.0.0.1 failed: error:0A000102:SSL routines::unsupported protocol.', undefined],
      ['Client <unknown> disconnected: Protocol error.', undefined],
      ['Sending CONNACK to 127.0.0.1 (0, 5)', undefined],
      ['No will message specified.', undefined],
      ['mosquitto version 2.0.11 running', undefined],
    ];
    for (const [line, id] of named) assert.equal(namedClientId(T + line), id, line);
  });

  it('start errors', () => {
    for (const l of [
      'Error: Address already in use',
      'Error: Unable to load server key file "/x/server.key". Check keyfile.',
      'Error: Unable to load server certificate "/x/s.crt". Check certfile.',
    ])
      assert.equal(ev(l)?.type, 'error', l);
  });
});
