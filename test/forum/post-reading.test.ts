// How `rig new --from-forum` reads what people paste: the forms of a post, what each line is (board serial, broker
// log, PC client), how a recipe is completed and how names are tied. Fast: no twin runs here.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readPost, posterLines, answerText } from '../../rig/forum/post-text.ts';
import { classifyLines } from '../../rig/forum/lines.ts';
import { gatherEvidence } from '../../rig/forum/evidence.ts';
import { fixOpensslScript } from '../../rig/forum/openssl-fix.ts';
import { verbatimPlan } from '../../rig/forum/world-pki.ts';
import { mapConfFiles } from '../../rig/forum/conf-files.ts';
import { sawExpectations } from '../../rig/forum/saw.ts';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { buildPki } from '../../rig/pki/index.ts';
import { resolveVariant } from '../../rig/scenario/resolve.ts';
import { addRigLines } from '../../rig/forum/rig-lines.ts';
import { rig } from './helpers.ts';

const re = (src: string | undefined) => new RegExp(src ?? '(?!)');

describe('forum posts in the forms people paste', () => {
  it('reads Markdown fences, <details>, terminal colours, quoted lines, phpBB code boxes and a header link', () => {
    const p = readPost(
      [
        'https://example.test/issues/1',
        '<details><summary>Serial log</summary>',
        '',
        '```',
        '\u001b[0;31mE (9628) esp-tls-mbedtls: mbedtls_ssl_handshake returned -0x2700\u001b[0m',
        '␛[0;31mE (9638) esp-tls: Failed to open new connection␛[0m',
        '```',
        '</details>',
        '> port 8883',
        '> cafile /etc/mosquitto/ca.crt',
        'Code: Select all#include <WiFi.h>',
        'x &lt;= 3 &amp;&amp; y',
      ].join('\n'),
    );
    assert.equal(p.link, 'https://example.test/issues/1');
    assert.ok(p.lines.includes('E (9628) esp-tls-mbedtls: mbedtls_ssl_handshake returned -0x2700'));
    assert.ok(p.lines.includes('E (9638) esp-tls: Failed to open new connection'));
    assert.ok(p.lines.includes('port 8883') && p.lines.includes('cafile /etc/mosquitto/ca.crt'));
    assert.ok(p.lines.includes('#include <WiFi.h>'));
    assert.ok(p.lines.includes('x <= 3 && y'));
    assert.ok(!p.lines.some((l) => /details|summary|```/.test(l)));
  });

  it("tells the poster's turns from other people's answers", () => {
    const p = readPost(
      [
        'alice · description · 2020-01-01',
        'my board fails',
        'bob · comment · 2020-01-02',
        'use the CN',
        'alice · comment · 2020-01-03',
        'still fails',
      ].join('\n'),
    );
    assert.deepEqual(
      posterLines(p).filter((l) => l && !/·/.test(l)),
      ['my board fails', 'still fails'],
    );
    assert.match(answerText(p), /use the CN/);
    assert.doesNotMatch(answerText(p), /still fails/);
  });
});

describe('what each pasted line is', () => {
  it('an ESP-IDF error line: timestamp generalised, the tags of other IDF versions allowed, the code kept', () => {
    const [l] = classifyLines(['E (9628) esp-tls-mbedtls: mbedtls_ssl_handshake returned -0x2700']);
    assert.equal(l?.source, 'serial');
    assert.deepEqual(l?.codes, ['esp-tls:-0x2700']);
    assert.doesNotMatch(l?.regex ?? '', /9628/);
    for (const printed of [
      'E (15) esp-tls-mbedtls: mbedtls_ssl_handshake returned -0x2700',
      'E (3949) esp-tls: mbedtls_ssl_handshake returned -0x2700',
      'E (1623211) TRANS_SSL: mbedtls_ssl_handshake returned -0x2700',
    ])
      assert.match(printed, re(l?.regex), printed);
    const [info] = classifyLines(['I (3949) esp-tls-mbedtls: Failed to verify peer certificate!']);
    assert.equal(info?.regex, undefined);
    assert.match(info?.unprintable ?? '', /Error level/);
    const [dns] = classifyLines(["E (17868) esp-tls: couldn't get hostname for :vpnpi.local:"]);
    assert.equal(dns?.dnsFailed, 'vpnpi.local');
    assert.match(
      "E (15) esp-tls: couldn't get hostname for :vpnpi.local: getaddrinfo() returns 202, addrinfo=0x0",
      re(dns?.regex),
    );
  });

  it('Mosquitto 1.x lines match what Mosquitto 2.0 on OpenSSL 3 prints for the same event', () => {
    const lines = classifyLines([
      '1540467565: New connection from 192.168.139.236 on port 8883.',
      '1540467566: OpenSSL Error: error:14094412:SSL routines:ssl3_read_bytes:sslv3 ale',
      'Socket error on client <unknown>, disconnecting.',
      '2022-11-18 13:21:28: Sending CONNACK to esp32-8a2f (0, 5)',
      '1643205495: mosquitto version 2.0.12 starting',
    ]);
    assert.deepEqual(
      lines.map((l) => l.source),
      ['broker', 'broker', 'broker', 'broker'],
      'the start-up line says nothing about the board',
    );
    const [conn, ssl, sock, connack] = lines;
    assert.match('New connection from 127.0.0.1:47436 on port 45059.', re(conn?.regex));
    assert.match('OpenSSL Error[0]: error:0A000412:SSL routines::sslv3 alert bad certificate', re(ssl?.regex));
    // The same failure within mosquitto's accept (timing decides which form a run prints).
    assert.match(
      'Client connection from 127.0.0.1 failed: error:0A000412:SSL routines::sslv3 alert bad certificate.',
      re(ssl?.regex),
    );
    assert.equal(ssl?.kind, 'tls/name-mismatch', 'an mbedTLS board sends bad_certificate for a CN mismatch');
    assert.match('Client <unknown> disconnected: Protocol error.', re(sock?.regex));
    assert.match('Sending CONNACK to rig-esp32-1 (0, 5)', re(connack?.regex));
    assert.equal(connack?.kind, 'mqtt/not-authorized');
  });

  it('mosquitto 2.0 "Client connection from … failed: error:…" reads as its OpenSSL Error line', () => {
    const [l] = classifyLines([
      '1796293112: Client connection from 127.0.0.1 failed: error:0A000086:SSL routines::certificate verify failed.',
    ]);
    assert.equal(l?.source, 'broker');
    assert.equal(l?.kind, 'tls/client-cert-rejected');
    assert.match('OpenSSL Error[0]: error:0A000086:SSL routines::certificate verify failed', re(l?.regex));
  });

  it('a log line quoted inside a sentence is read from where it starts', () => {
    const [l] = classifyLines([
      'mosquitto ALWAYS  says "OpenSSL Error: error:1417C0C7:SSL routines:tls_process_client_certificate:peer did not return a certificate',
    ]);
    assert.equal(l?.source, 'broker');
    assert.equal(l?.kind, 'tls/client-cert-required');
    assert.match('OpenSSL Error[0]: error:0A0000C7:SSL routines::peer did not return a certificate', re(l?.regex));
  });

  it('board lines: arduino-esp32 2.x and 3.x, BearSSL debug, SSLClient, a sketch state, Mongoose OS', () => {
    const [v2] = classifyLines([
      '[  2546][E][ssl_client.cpp:37] _handle_error(): [start_ssl_client():273]: (-9984) X509 - Certificate verification failed',
    ]);
    assert.deepEqual(v2?.codes, ['mbedtls:-9984']);
    assert.ok(v2?.hints.includes('esp32-core-2'));
    const v3 = sawExpectations(
      ['[ 15670][E][NetworkClientSecure.cpp:159] connect(): start_ssl_client: connect failed: -9984'],
      'esp32',
    );
    assert.ok(v3.byBoard['esp32@3.1.2'], '3.x lines are expected on the 3.x core the twin imitates');
    const [bssl] = classifyLines(["BSSL:Couldn't connect. Error = 'Chain could not be linked to a trust anchor.'"]);
    assert.deepEqual(bssl?.codes, ['bearssl:62']);
    assert.match(bssl?.unprintable ?? '', /debug build/);
    const [ssl] = classifyLines([
      '(SSLClient)(SSL_ERROR)(m_print_br_error): Expected server name was not found in the chain.',
    ]);
    assert.equal(ssl?.kind, 'tls/name-mismatch');
    assert.ok(ssl?.regex);
    const [state] = classifyLines(['Attempting MQTT connection...failed, rc=-2 try again in 5 seconds']);
    assert.deepEqual(state?.codes, ['pubsubclient:-2']);
    assert.equal(classifyLines(['# Error Status Code -2']).length, 0, 'a heading is no output');
    const [mgos] = classifyLines(['mg_ssl_if_mbed_err   0x3ffb3d80 SSL error: -9984']);
    assert.deepEqual(mgos?.codes, ['mbedtls:-9984']);
  });

  it('PC client output and what posters say of PC clients go to the controls', () => {
    const [sub] = classifyLines(['Error: A TLS error occurred.']);
    assert.equal(sub?.source, 'pc');
    const [py] = classifyLines([
      "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: IP address mismatch, certificate is not valid for '192.168.1.10'. (_ssl.c:1129)",
    ]);
    assert.equal(py?.kind, 'tls/name-mismatch');
    const [sc] = classifyLines(['verify error:num=20:unable to get local issuer certificate']);
    assert.equal(sc?.kind, 'tls/untrusted');
    const e = gatherEvidence({
      saw: ['Error: A TLS error occurred.'],
      prose: [
        'MQTT.fx can still connect to the mqtt broker successful with the new ca.crt.',
        'It works fine with a GUI client as long as I don\u2019t verify the certificates.',
      ].join('\n'),
    });
    assert.deepEqual(
      e.pcClaims.map((c) => [c.client, c.works]),
      [
        ['mosquitto-cli', false],
        ['control', true],
      ],
    );
    assert.ok(e.notes.some((n) => /only under a condition/.test(n)));
  });
});

describe('completing a recipe and tying names', () => {
  it('makes the CA key, the CA and the request a signing command assumes, and says so', () => {
    const r = fixOpensslScript(
      [
        'openssl genrsa -out server.key 2048',
        'openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 365',
        'openssl x509 -outform der -in server.pem -out server.der',
      ].join('\n'),
    );
    assert.match(r.script, /^openssl genrsa -out ca\.key 2048$/m);
    assert.match(r.script, /^openssl req -x509 -new -key ca\.key .* -out ca\.crt$/m);
    assert.match(r.script, /^openssl req -new -key server\.key -subj "[^"]+" -out server\.csr$/m);
    assert.ok(r.script.indexOf('-out ca.crt') < r.script.indexOf('x509 -req'), 'made before the signing command');
    assert.doesNotMatch(r.script, /server\.der/, 'a conversion of a file never made is left out');
    assert.ok(r.notes.some((n) => /the CA key the recipe assumes/.test(n)));
  });

  it('finds the client certificate a conf requires, by its name, or adds one signed by the same CA', () => {
    const script = [
      'openssl req -x509 -newkey rsa:2048 -nodes -keyout rootCA.key -out rootCA.crt -subj "/CN=r"',
      'openssl req -new -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr -subj "/CN=b"',
      'openssl x509 -req -in broker.csr -CA rootCA.crt -CAkey rootCA.key -CAcreateserial -out broker.crt',
    ].join('\n');
    const own = verbatimPlan(
      `${script}\nopenssl req -new -newkey rsa:2048 -nodes -keyout esp32.key -out esp32.csr -subj "/CN=e"\nopenssl x509 -req -in esp32.csr -CA rootCA.crt -CAkey rootCA.key -CAcreateserial -out esp32.crt\n`,
      { needClient: true, fetched: [] },
    );
    assert.deepEqual([own.ca, own.server, own.client], ['rootca', 'broker', 'esp32']);
    const added = verbatimPlan(script, { needClient: true, fetched: [] });
    assert.equal(added.client, 'client');
    assert.match(
      (added.pki.verbatim as { script: string }).script,
      /-CA rootCA\.crt -CAkey rootCA\.key .*-out client\.crt/,
    );
    assert.ok(added.notes.some((n) => /require_certificate true/.test(n)));
  });

  it("maps the conf's paths to the PKI by file name, and rewrites only those that name no PKI file", () => {
    const notes: string[] = [];
    const conf = mapConfFiles(
      'cafile /etc/mosquitto/certs/ca.crt\ncertfile /etc/mosquitto/certs/raspberrypi.crt\nkeyfile /etc/mosquitto/certs/raspberrypi.key\n',
      { ca: 'ca', server: 'server' },
      notes,
    );
    assert.match(conf, /^cafile \/etc\/mosquitto\/certs\/ca\.crt$/m);
    assert.match(conf, /^certfile \{\{pki\.server\.crt\}\}$/m);
    assert.match(conf, /^keyfile \{\{pki\.server\.key\}\}$/m);
    assert.equal(notes.length, 2);
    assert.equal(
      mapConfFiles('certfile /x/raspberrypi.crt\n', { ca: 'ca', server: 'raspberrypi' }, []),
      'certfile /x/raspberrypi.crt\n',
    );
  });
});

describe("the rig's lines in a posted sketch", () => {
  it('ArduinoMqttClient: the failure line in the if (!connect) block, success and one message after it, a known id', () => {
    const sketch = [
      '#include <ArduinoMqttClient.h>',
      'WiFiClientSecure net;',
      'MqttClient mqttClient(net);',
      'void setup() {',
      '  if (!mqttClient.connect(broker, port)) {',
      '    Serial.println(mqttClient.connectError());',
      '    while (1);',
      '  }',
      '}',
      'void loop() { mqttClient.poll(); }',
    ].join('\n');
    const r = addRigLines(sketch, 'esp32');
    assert.equal(r.added, true);
    const t = r.text;
    assert.ok(t.indexOf('RIG: connect fail') < t.indexOf('while (1);'), 'before the endless wait');
    assert.match(t, /mqttClient\.connectError\(\), rigTls/);
    assert.match(t, /^\s*Serial\.println\("RIG: connected"\); mqttClient\.beginMessage\(SECRET_TOPIC "\/up"\)/m);
    assert.ok(t.indexOf('setId(SECRET_CLIENT_ID)') < t.indexOf('if (!mqttClient.connect'));
  });
});

describe('rig new --from-forum on what people paste', function () {
  this.timeout(120_000);
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-paste-'));
  });
  afterEach(() => {
    rmSync(tmp, { recursive: true, force: true });
  });
  const scenario = (id: string) => {
    const file = path.join(tmp, 'scenarios', 'forum', `${id}.yaml`);
    return parseScenarioText(readFileSync(file, 'utf8'), file);
  };

  it('a post with only an error line gets the closest skeleton and says what it assumed', () => {
    const r = rig(
      ['new', '--from-forum', '--id', 'one-line', '--root', tmp, '-'],
      '[  5011][E][ssl_client.cpp:37] _handle_error(): [start_ssl_client():273]: (-9984) X509 - Certificate verification failed, e.g. CRL, CA or signature check failed\n',
    );
    assert.equal(r.code, 0, r.err);
    const s = scenario('one-line');
    assert.deepEqual(s.boards.slice(0, 1), ['esp32']);
    assert.equal(s.expect.broken?.esp32?.code, 'mbedtls:-9984');
    assert.equal(s.expect.broken?.esp32?.kind, 'tls/name-mismatch');
    assert.ok(s.variants.fixed, 'a fixed variant from the predicted smallest fix');
    assert.match(r.out, /closest cause assumed/);
  });

  it('an issue body with a <details> log, a conf naming raspberrypi.crt and a recipe writing server.crt', async () => {
    const post = [
      'https://example.test/issues/2',
      'My certificates:',
      '```',
      'openssl req -new -x509 -days 365 -keyout ca.key -out ca.crt -subj "/CN=My CA" -nodes',
      'openssl genrsa -out server.key 2048',
      'openssl req -new -key server.key -out server.csr -subj "/CN=raspberrypi"',
      'openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 365',
      '```',
      'mosquitto.conf:',
      '```',
      'listener 8883',
      'cafile /etc/mosquitto/ca_certificates/ca.crt',
      'certfile /etc/mosquitto/certs/raspberrypi.crt',
      'keyfile /etc/mosquitto/certs/raspberrypi.key',
      '```',
      '<details><summary>ESP-IDF log</summary>',
      '',
      '```',
      'E (9628) esp-tls-mbedtls: mbedtls_ssl_handshake returned -0x2700',
      'E (9638) esp-tls: Failed to open new connection',
      '```',
      '</details>',
    ].join('\n');
    const r = rig(['new', '--from-forum', '--id', 'details', '--root', tmp, '-'], post);
    assert.equal(r.code, 0, r.err);
    const s = scenario('details');
    assert.deepEqual(s.sketch, { esp32: 'sketches/esp32-esp-mqtt' }, 'an esp-tls log gets the esp-mqtt sketch');
    assert.match(s.broker.conf ?? '', /^certfile \{\{pki\.server\.crt\}\}$/m);
    assert.match(s.broker.conf ?? '', /^cafile \/etc\/mosquitto\/ca_certificates\/ca\.crt$/m);
    assert.equal(s.client.ca, 'ca', 'the board gets the CA that signed the broker certificate');
    const see = s.expect.broken?.esp32?.serial as string[];
    assert.ok(see.some((x) => new RegExp(x).test('E (15) esp-tls-mbedtls: mbedtls_ssl_handshake returned -0x2700')));
    assert.ok(
      see.every((x) => !x.includes('9628')),
      'no literal timestamp',
    );
    const vars = { 'broker.ip': '127.0.0.1' };
    const pki = await buildPki(resolveVariant(s, 'broken', vars).pki, { vars, cacheDir: path.join(tmp, 'pki') });
    assert.deepEqual(Object.keys(pki.certs).sort(), ['ca', 'server']);
  });

  it("an ESP8266 sketch on axTLS's API is hardware only, saying why", () => {
    const post = [
      'Wemos D1 mini (ESP8266) to mosquitto with TLS fails; MQTT.fx works.',
      '#include <ESP8266WiFi.h>',
      '#include <PubSubClient.h>',
      'WiFiClientSecure espClient;',
      'PubSubClient client(espClient);',
      'void setup() {',
      '  espClient.setCertificate(client_crt, client_crt_len);',
    ].join('\n');
    const r = rig(['new', '--from-forum', '--id', 'axtls', '--root', tmp, '-'], post);
    assert.equal(r.code, 0, r.err);
    assert.match(scenario('axtls').expect.broken?.esp8266?.hardwareOnly ?? '', /axTLS/);
  });

  it('refuses a post with nothing to reproduce, saying what is missing', () => {
    const r = rig(['new', '--from-forum', '--root', tmp, '-'], 'My ESP32 will not talk to my Pi. Any ideas?\n');
    assert.equal(r.code, 2);
    assert.match(r.err, /found nothing to reproduce: no line a board, broker or PC client printed/);
    assert.match(r.err, /Paste at least the error line/);
  });
});
