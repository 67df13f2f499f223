import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { buildPki } from '../../rig/pki/index.ts';
import { resolveVariant } from '../../rig/scenario/resolve.ts';
import { extractFromPost } from '../../rig/forum/extract.ts';
import { fixOpensslScript } from '../../rig/forum/openssl-fix.ts';
import { replaceSketchSecrets } from '../../rig/forum/sketch-secrets.ts';
import { rig, seedText } from './helpers.ts';

describe('rig new --from-forum', function () {
  this.timeout(120_000);
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-new-'));
  });
  afterEach(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('turns the seed 002 post (stdin) into a scenario that loads, with its conf, script and must-see line', function () {
    const text = seedText('002_');
    const r = rig(['new', '--from-forum', '--id', 'seed-002-demo', '--root', tmp, '-'], text);
    assert.equal(r.code, 0, r.err);
    const file = path.join(tmp, 'scenarios', 'forum', 'seed-002-demo.yaml');
    const yaml = readFileSync(file, 'utf8');
    const s = parseScenarioText(yaml, file);
    assert.deepEqual(Object.keys(s.variants), ['broken', 'fixed']);
    assert.deepEqual(s.boards, ['esp8266', 'control']);
    assert.match(s.broker.conf ?? '', /^listener 8883$/m);
    assert.match(s.broker.conf ?? '', /^require_certificate true$/m);
    assert.equal(s.client.port, 8883);
    assert.equal(s.client.cert, 'client');
    assert.ok(s.broker.users && Object.keys(s.broker.users).length === 1, 'a user for the password_file');
    const script = s.pki.verbatim?.script ?? '';
    assert.match(script, /subjectAltName=IP:\{\{broker\.ip\}\},DNS:raspberry/, "the post's IP became the run's broker");
    assert.match(script, /^COUNTRY="XX"$/m, 'masked subject values replaced');
    assert.deepEqual(s.pki.verbatim?.files, { ca: 'ca.crt', server: 'server.crt', client: 'client.crt' });
    const see = s.expect.broken?.esp8266?.serial;
    assert.ok(
      Array.isArray(see) &&
        see.some((re) => new RegExp(re).test('SSL error: Expected server name was not found in the chain.')),
      JSON.stringify(see),
    );
    assert.match(r.out, /secret: mqtt_server: "192\.168\.0\.52" → SECRET_BROKER/);
  });

  it('writes the seed 002 sketch with its PEM blocks and credentials replaced by SECRET_* placeholders', function () {
    const text = seedText('002_');
    const r = rig(['new', '--from-forum', '--id', 'seed-002-demo', '--root', tmp, '-'], text);
    assert.equal(r.code, 0, r.err);
    const ino = readFileSync(path.join(tmp, 'sketches', 'seed-002-demo', 'seed-002-demo.ino'), 'utf8');
    assert.doesNotMatch(ino, /BEGIN (PRIVATE KEY|CERTIFICATE)/);
    assert.doesNotMatch(ino, /192\.168\.0\.52/);
    for (const m of [
      'SECRET_CLIENT_KEY',
      'SECRET_CLIENT_CERT',
      'SECRET_CA_CERT',
      'SECRET_SSID',
      'SECRET_PASS',
      'SECRET_BROKER',
      'SECRET_MQTT_USER',
      'SECRET_MQTT_PASS',
    ]) {
      assert.match(ino, new RegExp(`\\b${m}\\b`), m);
    }
    assert.ok(
      ino.indexOf('#include "arduino_secrets.h"') < ino.indexOf('SECRET_CLIENT_KEY'),
      'the header comes before the first use',
    );
    assert.match(ino, /void reconnect\(\)/);
    assert.match(ino, /client\.publish\("esp8266\/client1", msg\);\n\s*\}\n\}\n$/, 'the sketch ends with loop()');
    assert.doesNotMatch(ino, /The error I am now receiving/);
  });

  it("the generated verbatim PKI runs: the post's script makes ca, server and client certificates", async function () {
    const text = seedText('002_');
    const r = rig(['new', '--from-forum', '--id', 'seed-002-demo', '--root', tmp, '-'], text);
    assert.equal(r.code, 0, r.err);
    const file = path.join(tmp, 'scenarios', 'forum', 'seed-002-demo.yaml');
    const s = parseScenarioText(readFileSync(file, 'utf8'), file);
    const vars = { 'broker.ip': '127.0.0.1' };
    const pki = await buildPki(resolveVariant(s, 'broken', vars).pki, { vars, cacheDir: path.join(tmp, 'pki') });
    assert.deepEqual(Object.keys(pki.certs).sort(), ['ca', 'client', 'server']);
    assert.ok(pki.certs.server!.summary.san.includes('IP:127.0.0.1'), JSON.stringify(pki.certs.server!.summary));
    assert.ok(pki.certs.client!.key, 'client key picked up beside client.crt');
  });

  it('refuses to overwrite without --force, and --dry-run writes nothing', function () {
    const text = seedText('002_');
    assert.equal(rig(['new', '--from-forum', '--id', 'x1', '--root', tmp, '-'], text).code, 0);
    const again = rig(['new', '--from-forum', '--id', 'x1', '--root', tmp, '-'], text);
    assert.equal(again.code, 2);
    assert.match(again.err, /exists \(use --force/);
    const dry = rig(['new', '--from-forum', '--id', 'x2', '--root', tmp, '--dry-run', '-'], text);
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /^id: x2$/m);
    assert.equal(existsSync(path.join(tmp, 'scenarios', 'forum', 'x2.yaml')), false);
  });

  it('takes "### part" sections on stdin; prompts get -subj and -nodes', () => {
    const input = [
      '### link',
      'https://example.test/t/123',
      '### openssl',
      'openssl req -new -x509 -days 3650 -extensions v3_ca -keyout ca.key -out ca.crt',
      'openssl genrsa -out server.key 2048',
      'openssl req -out server.csr -key server.key -new',
      'openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 365',
      '### mosquitto.conf',
      'listener 8883',
      'cafile /etc/mosquitto/certs/ca.crt',
      'certfile /etc/mosquitto/certs/server.crt',
      'keyfile /etc/mosquitto/certs/server.key',
      '### saw',
      '[E][ssl_client.cpp:36] handle_error(): X509 - Certificate verification failed',
    ].join('\n');
    const r = rig(['new', '--from-forum', '--root', tmp, '--board', 'esp32', '-'], input);
    assert.equal(r.code, 0, r.err);
    const file = path.join(tmp, 'scenarios', 'forum', 'example-test-t-123.yaml');
    const s = parseScenarioText(readFileSync(file, 'utf8'), file);
    assert.deepEqual(s.source, ['https://example.test/t/123']);
    const script = s.pki.verbatim?.script ?? '';
    assert.match(script, /-out ca\.crt -subj "\/CN=Forum CA" -nodes$/m);
    assert.match(script, /-out server\.csr -key server\.key -new -subj "\/CN=\{\{broker\.ip\}\}"$/m);
    const see = s.expect.broken?.esp32?.serial;
    assert.ok(
      Array.isArray(see) &&
        new RegExp(see[0]!).test('[E][ssl_client.cpp:36] handle_error(): X509 - Certificate verification failed'),
    );
  });

  it('with nothing recognisable it is a usage error naming the sections', () => {
    const r = rig(['new', '--from-forum', '--root', tmp, '-'], 'Hello, my ESP does not connect. Any ideas?\n');
    assert.equal(r.code, 2);
    assert.match(r.err, /### openssl/);
  });
});

describe('forum post extraction', () => {
  it('seed 000: the quoted-line CA PEM and the credentials inside connect() are replaced', function () {
    const parts = extractFromPost(seedText('000_'));
    assert.ok(parts.sketch, 'sketch found');
    const s = replaceSketchSecrets(parts.sketch!);
    assert.equal(s.board, 'esp32');
    assert.doesNotMatch(s.text, /BEGIN CERTIFICATE|MIIDmDCC/);
    assert.match(s.text, /const char\* ca_cert = SECRET_CA_CERT;/);
    assert.match(s.text, /client\.connect\(clientId\.c_str\(\),SECRET_MQTT_USER,SECRET_MQTT_PASS\)/);
    assert.match(s.text, /serverHostname = SECRET_BROKER;/);
    assert.equal(s.broker, 'home');
    assert.match(parts.conf ?? '', /^tls_version tlsv1\.2$/m);
    assert.match(parts.openssl ?? '', /^sudo openssl req -new -x509 -days 3600 -key ca\.key -out ca\.crt$/m);
  });

  it('fixOpensslScript leaves commands that already have -subj alone', () => {
    const r = fixOpensslScript('openssl req -x509 -nodes -newkey rsa:2048 -subj "/CN=a" -keyout ca.key -out ca.crt\n');
    assert.equal(r.script, 'openssl req -x509 -nodes -newkey rsa:2048 -subj "/CN=a" -keyout ca.key -out ca.crt\n');
    assert.deepEqual(r.notes, []);
  });
});
