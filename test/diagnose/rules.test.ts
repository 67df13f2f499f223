// The explanation rules on real certificate summaries (made with openssl through buildPki) and the outcomes
// the twins and controls produce for each failure mode.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildPki } from '../../rig/pki/index.ts';
import type { CertSummary, Outcome } from '../../rig/results/schema.ts';
import type { PkiSpec } from '../../rig/scenario/schema.ts';
import {
  brokerRefused,
  checkedName,
  clientCertRequired,
  mkrClientKey,
  dates,
  embeddedNameMatches,
  explain,
  loginNotGiven,
  nameMismatch,
  noTrustConfigured,
  notAuthorized,
  protocolVersion,
  secLevelRefusal,
  untrusted,
  weakKey,
  weakSignature,
  type RuleBoard,
  type RuleClient,
  type RuleInput,
} from '../../rig/diagnose/rules.ts';
import { loginRequired, lowerSecurityLevel, mapUserConf } from '../../rig/diagnose/conf.ts';
import { Explanation } from '../../rig/diagnose/types.ts';

const ESP32: RuleBoard = { id: 'esp32', family: 'esp32', stack: 'mbedtls' };
const ESP8266: RuleBoard = { id: 'esp8266', family: 'esp8266', stack: 'bearssl-esp8266' };
const MKR: RuleBoard = { id: 'mkr1000', family: 'mkr1000', stack: 'arduinobearssl' };
const CONTROL: RuleBoard = { id: 'control', family: 'host', stack: 'openssl-node' };

function client(p: Partial<RuleClient> = {}): RuleClient {
  return {
    connect: 'raspberry',
    byIp: false,
    caGiven: true,
    insecure: false,
    clientCert: false,
    clock: { ntp: true },
    ...p,
  };
}
function out(kind: Outcome['kind'], code?: string, facts: string[] = []): Outcome {
  return { kind, ...(code ? { code } : {}), facts: [...(code ? [code] : []), ...facts] };
}

describe('diagnose: explanation rules', function () {
  this.timeout(120_000);
  let cache: string;
  const pkis: Record<string, CertSummary[]> = {};
  const make = async (label: string, spec: PkiSpec): Promise<void> => {
    const b = await buildPki(spec, { vars: {}, cacheDir: cache });
    pkis[label] = Object.values(b.certs).map((c) => c.summary);
  };

  before(async () => {
    cache = await mkdtemp(path.join(os.tmpdir(), 'rig-diag-rules-'));
    const ca = { subject: { O: 'Home', OU: 'CA', CN: 'MQTTCA' } };
    await make('seed002', {
      ca,
      server: { subject: { O: 'Home', OU: 'Server', CN: 'raspberry' }, san: ['IP:192.168.0.52', 'DNS:raspberry'] },
    });
    await make('seed000', {
      ca: { subject: { O: 'PSS', OU: 'PSS', CN: 'home' } },
      server: { subject: { O: 'PSS', OU: 'PSS', CN: 'home' }, version: 1 },
    });
    await make('expired', { ca, server: { subject: { CN: 'raspberry' }, validity: { expired: true } } });
    await make('sha1', { ca, server: { subject: { CN: 'raspberry' }, hash: 'sha1' } });
    await make('rsa1024', { ca, server: { subject: { CN: 'raspberry' }, key: { type: 'rsa', bits: 1024 } } });
    await make('wrongca', {
      ca: { subject: { CN: 'Real CA' } },
      other: { subject: { CN: 'Other CA' }, selfSigned: true, ca: true },
      server: { subject: { CN: 'raspberry' }, issuer: 'other' },
    });
  });
  after(async () => {
    await rm(cache, { recursive: true, force: true });
  });

  const input = (certs: string, board: RuleBoard, outcome: Outcome, c: Partial<RuleClient> = {}): RuleInput => ({
    certs: pkis[certs]!,
    board,
    outcome,
    client: client(c),
  });
  const valid = (e: ReturnType<typeof explain>): NonNullable<ReturnType<typeof explain>> => {
    assert.ok(e, 'expected an explanation');
    return Explanation.parse(e);
  };

  it('name check helper follows mbedTLS 2.28 / BearSSL: DNS SAN only, CN only without SAN, IP SAN never', () => {
    const [server] = pkis.seed002!.filter((c) => c.name === 'server');
    assert.ok(server);
    assert.equal(embeddedNameMatches(server, 'raspberry'), true);
    assert.equal(embeddedNameMatches(server, '192.168.0.52'), false, 'IP SAN must not match');
    const home = pkis.seed000!.find((c) => c.name === 'server')!;
    assert.equal(embeddedNameMatches(home, 'HOME'), true, 'CN compared case-insensitively without SAN');
    assert.equal(embeddedNameMatches({ ...home, san: ['DNS:*.example.test'] }, 'a.example.test'), true);
    assert.equal(embeddedNameMatches({ ...home, san: ['DNS:*.example.test'] }, 'a.b.example.test'), false);
  });

  it('name mismatch on BearSSL (seed 002): IP SAN ignored; connect to raspberry or CN=IP without SAN', () => {
    const e = valid(
      nameMismatch(
        input('seed002', ESP8266, out('tls/name-mismatch', 'bearssl:56', ['pubsubclient:-2']), {
          connect: '192.168.0.52',
        }),
      ),
    );
    assert.equal(e.rule, 'name-mismatch');
    assert.match(e.why, /BearSSL matches only DNS names in the SAN/);
    assert.match(e.why, /IP:192\.168\.0\.52/);
    assert.match(e.why, /DNS:raspberry/);
    assert.match(e.stackRule, /BearSSL x509_minimal matches only dNSName SAN entries/);
    assert.ok(
      e.fixes.some((f) => /connect to raspberry/.test(f)),
      e.fixes.join('\n'),
    );
    assert.ok(
      e.fixes.some((f) => /CN=192\.168\.0\.52 and no SAN/.test(f)),
      e.fixes.join('\n'),
    );
  });

  it('name mismatch on mbedTLS (seed 000): the dotted quad from connect(IPAddress) against CN=home', () => {
    const o = out('tls/name-mismatch', 'mbedtls:-9984', ['tls-name:192.168.0.11', 'mbedtls-flags:0x4']);
    const i = input('seed000', ESP32, o, { connect: 'home', byIp: true });
    assert.equal(checkedName(i), '192.168.0.11', 'the twin fact names the checked string');
    const e = valid(explain(i));
    assert.equal(e.rule, 'name-mismatch');
    assert.match(e.why, /no SAN, so mbedTLS compares its CN "home" with "192\.168\.0\.11"/);
    assert.match(e.stackRule, /x509_crt_verify_name/);
    assert.ok(e.fixes[0]!.startsWith('connect to home'), e.fixes[0]);
    assert.ok(e.fixes.some((f) => /CN=192\.168\.0\.11/.test(f)));
  });

  it('BearSSL with connect(IPAddress) checks no name at all', () => {
    assert.equal(
      checkedName(input('seed002', ESP8266, out('connected'), { connect: '192.168.0.52', byIp: true })),
      undefined,
    );
  });

  it('untrusted, no CA on ArduinoBearSSL: the built-in trust anchors never hold a private CA', () => {
    const e = valid(explain(input('seed002', MKR, out('tls/untrusted', 'bearssl:62'), { caGiven: false })));
    assert.equal(e.rule, 'untrusted-no-ca');
    assert.match(e.stackRule, /built-in trust anchors/);
  });

  it('untrusted, wrong CA: names the issuer the board needs', () => {
    const e = valid(untrusted(input('wrongca', ESP32, out('tls/untrusted', 'mbedtls:-9984', ['mbedtls-flags:0x8']))));
    assert.equal(e.rule, 'untrusted-wrong-ca');
    assert.match(e.why, /issued by "CN=Other CA"/);
    assert.match(e.why, /"CN=Real CA"/);
  });

  it('untrusted on a PC control: CA and server with one DN look self-signed to OpenSSL (the OU advice)', () => {
    const e = valid(
      untrusted(
        input('seed000', CONTROL, out('tls/untrusted', 'openssl:DEPTH_ZERO_SELF_SIGNED_CERT'), { connect: 'home' }),
      ),
    );
    assert.equal(e.rule, 'untrusted-same-dn');
    assert.match(e.fixes[0]!, /OU=CA and OU=Server/);
  });

  it('54 with valid certificates and no NTP: the ESP8266 clock is at 1970', () => {
    const e = valid(dates(input('seed002', ESP8266, out('tls/expired', 'bearssl:54'), { clock: { ntp: false } })));
    assert.equal(e.rule, 'clock-unset');
    assert.match(e.fixes[0]!, /configTime/);
    assert.match(e.stackRule, /1970/);
  });

  it('expired certificate: names which one and when', () => {
    const e = valid(explain(input('expired', ESP8266, out('tls/expired', 'bearssl:54'))));
    assert.equal(e.rule, 'expired');
    assert.match(e.title, /server \(expired \d{4}-\d\d-\d\d\)/);
    assert.match(e.fixes[0]!, /reissue server/);
  });

  it('weak signature: SHA-1 leaf on mbedTLS (flag 0x4000)', () => {
    const e = valid(
      weakSignature(input('sha1', ESP32, out('tls/weak-signature', 'mbedtls:-9984', ['mbedtls-flags:0x4000']))),
    );
    assert.match(e.title, /server sha1WithRSAEncryption/);
    assert.match(e.stackRule, /SHA-224\.\.SHA-512/);
    assert.match(e.fixes[0]!, /-sha256/);
  });

  it('weak key: RSA 1024 on mbedTLS (flag 0x10000)', () => {
    const e = valid(weakKey(input('rsa1024', ESP32, out('tls/weak-key', 'mbedtls:-9984', ['mbedtls-flags:0x10000']))));
    assert.match(e.title, /server RSA 1024/);
    assert.match(e.stackRule, /2048/);
  });

  it('client certificate required: ESP8266 alert 40 text', () => {
    const e = valid(
      clientCertRequired(
        input('seed002', ESP8266, out('tls/client-cert-required', 'bearssl-alert:40'), { requireCertificate: true }),
      ),
    );
    assert.match(e.stackRule, /Decoding error: extraneous element/);
    assert.match(e.fixes[0]!, /setClientRSACert/);
  });

  it('client certificate required: ESP32 sees the alert (-30592) or the reset that overtakes it (-80)', () => {
    for (const o of [out('tls/handshake-failed', 'mbedtls:-30592'), out('tcp/reset', 'mbedtls:-80')]) {
      assert.equal(
        clientCertRequired(input('seed002', ESP32, o)),
        undefined,
        'no require_certificate known: not this rule',
      );
      const e = valid(clientCertRequired(input('seed002', ESP32, o, { requireCertificate: true })));
      assert.match(e.stackRule, /-30592.*-80/);
    }
  });

  it('TLS 1.3-only broker: ESP32 sees the fatal alert -30592', () => {
    const o = out('tls/handshake-failed', 'mbedtls:-30592');
    assert.equal(protocolVersion(input('seed002', ESP32, o)), undefined, 'no tls_version 1.3 known: not this rule');
    const e = valid(explain(input('seed002', ESP32, o, { brokerTlsVersion: 'tlsv1.3' })));
    assert.equal(e.rule, 'protocol-version');
    assert.match(e.fixes[0]!, /tls_version tlsv1\.2/);
  });

  it('no trust configured: ESP32 -1 without setCACert/setInsecure', () => {
    const e = valid(
      noTrustConfigured(
        input('seed002', ESP32, out('tls/no-trust-configured', 'mbedtls:-1', ['tls-no-trust']), { caGiven: false }),
      ),
    );
    assert.match(e.stackRule, /ssl_client\.cpp l\.64/);
    assert.match(e.fixes[0]!, /setCACert/);
  });

  it('not authorized: TLS fine, the MQTT login refused', () => {
    const e = valid(notAuthorized(input('seed002', ESP32, out('mqtt/not-authorized', 'pubsubclient:5'))));
    assert.match(e.title, /TLS is fine/);
  });

  it('MKR1000 with an RSA client key: the ECC508 holds P-256 keys only', () => {
    const certs = [
      ...pkis.seed002!,
      { ...pkis.seed002!.find((c) => c.name === 'server')!, name: 'client', subject: 'CN=esp' },
    ];
    const i: RuleInput = { certs, board: MKR, outcome: out('crash'), client: client({ clientCert: true }) };
    const e = valid(mkrClientKey(i));
    assert.match(e.title, /RSA 2048 client key/);
    assert.match(e.fixes[0]!, /ECCX08CSR/);
    assert.equal(mkrClientKey({ ...i, board: ESP8266 }), undefined, 'only the MKR1000 keeps its key in the chip');
  });

  it('name mismatch on an IP: the PC gets "IP SAN entry", the boards "CN=IP and no SAN" (Node never matches an IP against the CN)', () => {
    const o = out('tls/name-mismatch', 'openssl:ERR_TLS_CERT_ALTNAME_INVALID');
    const pc = valid(nameMismatch(input('seed000', CONTROL, o, { connect: '192.168.0.52' })));
    assert.ok(
      pc.fixes.some((f) => /IP:192\.168\.0\.52 in the SAN/.test(f)),
      pc.fixes.join('\n'),
    );
    assert.ok(!pc.fixes.some((f) => /CN=192\.168\.0\.52 and no SAN/.test(f)), pc.fixes.join('\n'));
    const board = valid(
      nameMismatch(input('seed000', ESP8266, out('tls/name-mismatch', 'bearssl:56'), { connect: '192.168.0.52' })),
    );
    const cnFix = board.fixes.find((f) => /CN=192\.168\.0\.52 and no SAN/.test(f));
    assert.ok(cnFix, board.fixes.join('\n'));
    assert.match(cnFix, /PC clients then fail/);
  });

  it('untrusted, CA without CA:TRUE on BearSSL (58): untrusted-not-ca', () => {
    const certs = pkis.seed002!.map((c) => (c.name === 'ca' ? { ...c, isCA: false, version: 1 } : c));
    const e = valid(
      untrusted({ certs, board: ESP8266, outcome: out('tls/untrusted', 'bearssl:58'), client: client() }),
    );
    assert.equal(e.rule, 'untrusted-not-ca');
    assert.match(e.why, /X\.509 v1 certificate/);
  });

  it('untrusted, the intermediate found beside the user\'s files: "the broker does not send the intermediate CA"', () => {
    const ca = pkis.seed002!.find((c) => c.name === 'ca')!;
    const leaf = { ...pkis.seed002!.find((c) => c.name === 'server')!, issuer: 'CN=Home Intermediate' };
    const i: RuleInput = {
      certs: [ca, leaf],
      board: ESP32,
      outcome: out('tls/untrusted', 'mbedtls:-9984', ['mbedtls-flags:0x8']),
      client: client(),
      chain: {
        verify: { ok: false, error: 'unable to get local issuer certificate' },
        missingIntermediate: {
          subject: 'CN=Home Intermediate',
          issuer: ca.subject,
          file: '/home/pi/certs/int.crt',
          completes: true,
          fileHoldsChain: false,
        },
      },
    };
    const e = valid(untrusted(i));
    assert.equal(e.rule, 'untrusted-missing-intermediate');
    assert.match(
      e.fixes[0]!,
      /^the broker does not send the intermediate CA CN=Home Intermediate: put the chain in certfile \(cat server\.crt int\.crt/,
    );
    const noHint = valid(
      untrusted({ ...i, chain: { verify: { ok: false, error: 'unable to get local issuer certificate' } } }),
    );
    assert.equal(noHint.rule, 'untrusted-wrong-ca', 'without the intermediate in hand it may be the wrong CA');
    assert.ok(noHint.fixes.some((f) => /intermediate CA issued by your CA, the broker must send it/.test(f)));
    const sent = {
      ...pkis.seed002!.find((c) => c.name === 'ca')!,
      name: 'server-chain-1',
      subject: 'CN=Home Intermediate',
      issuer: ca.subject,
    };
    assert.equal(
      untrusted({ ...i, certs: [ca, leaf, sent], chain: { verify: { ok: true } } })?.rule,
      'untrusted',
      'a chain the broker sends that reaches the CA is not a wrong CA',
    );
  });

  it("a login the broker wants and diagnose was not given is the user's omission, not the board's", () => {
    const o = out('mqtt/not-authorized', 'pubsubclient:5');
    const e = valid(
      explain(input('seed002', ESP32, o, { loginRequired: true, passwordFile: '/etc/mosquitto/passwd' })),
    );
    assert.equal(e.rule, 'login-not-given');
    assert.match(e.fixes[0]!, /--username USER --password PASS/);
    assert.ok(e.evidence.includes('conf: password_file /etc/mosquitto/passwd'));
    assert.equal(
      loginNotGiven(input('seed002', ESP32, o, { loginRequired: true, username: 'pi' })),
      undefined,
      'a user was given: not this rule',
    );
  });

  it('not authorized cites the client library of each stack', () => {
    const o = out('mqtt/not-authorized', 'connack:5');
    assert.match(valid(notAuthorized(input('seed002', CONTROL, o, { username: 'device' }))).stackRule, /^mqtt\.js/);
    assert.match(
      valid(notAuthorized(input('seed002', { id: 'mosquitto-cli', family: 'host', stack: 'openssl-mosquitto' }, o)))
        .stackRule,
      /mosquitto_pub/,
    );
    assert.match(
      valid(notAuthorized(input('seed002', ESP8266, out('mqtt/not-authorized', 'pubsubclient:5')))).stackRule,
      /PubSubClient 2\.8/,
    );
  });

  it('a broker that will not start: the security-level refusals and any other mosquitto error', () => {
    const log = [
      '1: mosquitto version 2.0.11 starting',
      '2: Error: Unable to load server certificate "/tmp/rig-broker-AbC12/certs/server.crt". Check certfile.',
      '3: OpenSSL Error[0]: error:0A00018E:SSL routines::ca md too weak',
    ];
    assert.equal(secLevelRefusal(log), 'ca md too weak');
    const e = valid(brokerRefused(log, pkis.sha1!));
    assert.equal(e.rule, 'broker-weak-signature');
    assert.ok(
      e.evidence.includes('mosquitto: Error: Unable to load server certificate "server.crt". Check certfile.'),
      e.evidence.join('\n'),
    );
    assert.ok(e.evidence.some((x) => /server: .*sha1WithRSAEncryption/.test(x)));
    const k = valid(brokerRefused(['OpenSSL Error[0]: error:0A00018F:SSL routines::ee key too small'], pkis.rsa1024!));
    assert.equal(k.rule, 'broker-weak-key');
    assert.match(k.title, /RSA 1024/);
    const other = valid(brokerRefused(['1: Error: Unable to open pwfile "/etc/mosquitto/passwd".'], pkis.seed002!));
    assert.equal(other.rule, 'broker-does-not-start');
    assert.match(other.fixes[0]!, /Unable to open pwfile/);
    assert.equal(secLevelRefusal(['Error: Unable to open pwfile']), undefined);
  });

  it('lowering the security level touches only TLS listeners and keeps an existing cipher list', () => {
    const conf = [
      'listener 1883',
      'allow_anonymous true',
      'listener 8883',
      'certfile {{pki.server.crt}}',
      'keyfile {{pki.server.key}}',
      'listener 8884',
      'certfile {{pki.server.crt}}',
      'ciphers ECDHE-RSA-AES128-GCM-SHA256',
      '',
    ].join('\n');
    const low = lowerSecurityLevel(conf).split('\n');
    assert.deepEqual(low.slice(0, 2), ['listener 1883', 'allow_anonymous true']);
    assert.equal(low[low.indexOf('listener 8883') + 2], 'ciphers DEFAULT:@SECLEVEL=0');
    assert.ok(low.includes('ciphers ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0'));
    assert.equal(low.filter((l) => l.startsWith('ciphers')).length, 2);
  });

  it('the conf tells whether a listener wants a login (mosquitto 2.0: anonymous off unless allowed)', async () => {
    const map = (text: string) => mapUserConf('/x/mosquitto.conf', text, [], { read: async () => undefined });
    const [pw] = (await map('listener 8883\npassword_file /etc/mosquitto/passwd\n')).listeners;
    assert.equal(pw!.passwordFile, '/etc/mosquitto/passwd');
    assert.equal(loginRequired(pw!), true);
    assert.equal(loginRequired((await map('listener 8883\nallow_anonymous true\n')).listeners[0]!), false);
    const [top] = (await map('allow_anonymous true\npassword_file /p\nlistener 8883\n')).listeners;
    assert.equal(top!.passwordFile, '/p', 'global settings hold for every listener without per_listener_settings');
    assert.equal(loginRequired(top!), false);
  });

  it('a connected board gets no explanation', () => {
    assert.equal(explain(input('seed002', ESP32, out('connected'))), undefined);
  });
});
