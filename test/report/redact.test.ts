import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeReports } from '../../rig/report/index.ts';
import { KEY_MASK, makeRedactor } from '../../rig/report/redact.ts';
import { cell, results, tmpDir, writeFile } from './helpers.ts';

const PASSPHRASE = 'k3y-Pass:phrase';
const WIFI = 'hunter2!wifi';
const MQTT = 'mq"tt\\pa<ss>&';

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// Real keys of every PEM private-key flavour openssl 3 writes.
function makeKeys(): Record<string, string> {
  return {
    pkcs8: openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']),
    pkcs8rsa: openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']),
    ec: openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout']),
    rsa: openssl(['genrsa', '-traditional', '2048']),
    encrypted: openssl([
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-aes256',
      '-pass',
      `pass:${PASSPHRASE}`,
    ]),
    rsaEncrypted: openssl(['genrsa', '-traditional', '-aes256', '-passout', `pass:${PASSPHRASE}`, '2048']),
  };
}

/** Payload lines of a PEM (base64 body), the part that must never leak. */
function bodyLines(pem: string): string[] {
  return pem.split('\n').filter((l) => /^[A-Za-z0-9+/=]{16,}$/.test(l));
}

/** A key as a C string in a generated header: one quoted piece per line. */
function asCHeader(pem: string): string {
  const pieces = pem
    .trimEnd()
    .split('\n')
    .map((l) => `  "${l}\\n"`);
  return `#define SECRET_KEY \\\n${pieces.join(' \\\n')}\n`;
}

function assertClean(text: string, keys: Record<string, string>, where: string): void {
  assert.ok(!/PRIVATE KEY-----/.test(text), `${where}: a PEM marker survived`);
  for (const [name, pem] of Object.entries(keys)) {
    for (const line of bodyLines(pem)) assert.ok(!text.includes(line), `${where}: body of ${name} key leaked: ${line}`);
  }
  const forms = (s: string): string[] => [
    s,
    JSON.stringify(s).slice(1, -1),
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;'),
  ];
  for (const secret of [PASSPHRASE, WIFI, MQTT]) {
    for (const f of forms(secret)) assert.ok(!text.includes(f), `${where}: secret leaked as ${f}`);
  }
}

describe('report/redact', function () {
  this.timeout(60_000);
  let keys: Record<string, string> = {};
  before(function () {
    try {
      openssl(['version']);
    } catch {
      console.log('skip: openssl CLI not available to make real keys');
      this.skip();
    }
    keys = makeKeys();
  });
  const redact = makeRedactor([WIFI, MQTT, PASSPHRASE, '']);

  it('sees every flavour of PEM label', () => {
    assert.match(keys.pkcs8, /^-----BEGIN PRIVATE KEY-----/);
    assert.match(keys.ec, /^-----BEGIN EC PRIVATE KEY-----/);
    assert.match(keys.rsa, /^-----BEGIN RSA PRIVATE KEY-----/);
    assert.match(keys.encrypted, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    assert.match(keys.rsaEncrypted, /Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,/);
  });

  it('removes whole keys, keeps the text around them', () => {
    for (const [name, pem] of Object.entries(keys)) {
      const out = redact(`before ${name}\n${pem}after\n`);
      assert.equal(out, `before ${name}\n${KEY_MASK}\nafter\n`, name);
    }
  });

  it('removes keys C-string-escaped in a header, on one line or many', () => {
    for (const [name, pem] of Object.entries(keys)) {
      const multi = redact(`// generated\n${asCHeader(pem)}#define X 1\n`);
      assertClean(multi, keys, `${name} multi-line header`);
      assert.match(multi, /#define X 1/);
      const one = redact(`const char key[] = "${pem.trimEnd().replace(/\n/g, '\\n')}\\n"; // end\n`);
      assertClean(one, keys, `${name} one-line literal`);
      assert.match(one, /^const char key\[\] = "\[private key redacted\]\\n"; \/\/ end\n$/);
    }
  });

  it('removes a key whose END line never arrived (log cut short)', () => {
    const pem = keys.rsaEncrypted;
    const cut = pem.split('\n').slice(0, 12).join('\n');
    const out = redact(`[D] dumping key\n${cut}\n`);
    assertClean(out, keys, 'truncated');
    assert.match(out, /^\[D\] dumping key\n\[private key redacted\]/);
    const cutC = asCHeader(keys.pkcs8rsa).split('\n').slice(0, 6).join('\n');
    const outC = redact(`${cutC}\nrst:0x1 (POWERON_RESET)\n`);
    assertClean(outC, keys, 'truncated header');
    assert.match(outC, /rst:0x1 \(POWERON_RESET\)/);
  });

  it('masks passwords, also escaped or URL-encoded, and leaves other text alone', () => {
    assert.equal(redact(`WiFi.begin("lab", "${WIFI}") pass=${WIFI}`), 'WiFi.begin("lab", "***") pass=***');
    assert.equal(
      redact(`#define SECRET_MQTT_PASS "${JSON.stringify(MQTT).slice(1, -1)}"`),
      '#define SECRET_MQTT_PASS "***"',
    );
    assert.equal(redact(`mqtts://u:${encodeURIComponent(MQTT)}@broker`), 'mqtts://u:***@broker');
    assert.equal(makeRedactor([])('nothing to hide'), 'nothing to hide');
  });

  it('leaves no secret in any of the four reports or the log copies', () => {
    const dir = tmpDir();
    const serial = `boot\nWiFi.begin ${WIFI}\nconnect user=dev pass=${MQTT}\n${keys.pkcs8}${asCHeader(keys.ec)}${keys.encrypted}${keys.rsaEncrypted.split('\n').slice(0, 8).join('\n')}\n`;
    writeFile(dir, 'logs/s.log', serial);
    writeFile(dir, 'logs/broker.log', `Client dev: bad password ${MQTT}\n${keys.rsa}`);
    const r = results([
      cell({
        scenario: 'leak',
        variant: 'v',
        board: 'esp32',
        status: 'fail',
        reason: `passphrase ${PASSPHRASE} rejected`,
        serialLog: 'logs/s.log',
        brokerLog: 'logs/broker.log',
        failures: [`saw ${WIFI}`],
        outcome: { kind: 'unknown', detail: keys.pkcs8rsa },
        expected: { password: MQTT },
      }),
    ]);
    r.run.args = ['--wifi-pass', WIFI];
    const { paths } = writeReports(dir, r, {
      redactor: redact,
      baseline: results([cell({ scenario: 'leak', variant: 'v', board: 'esp32', reason: WIFI })]),
    });
    for (const p of [...Object.values(paths), join(dir, 'logs/s.log'), join(dir, 'logs/broker.log')]) {
      assertClean(readFileSync(p, 'utf8'), keys, p);
    }
    assert.match(readFileSync(paths.junit, 'utf8'), /\[private key redacted\]/);
    assert.match(readFileSync(paths.summary, 'utf8'), /passphrase \\\*\\\*\\\* rejected|passphrase \*\*\* rejected/);
  });
});

describe('report/redact: Azure SAS tokens', () => {
  it("masks a SAS token's signature the rig was never given, wherever the token sits", () => {
    const redact = makeRedactor([]);
    const sig = 'k3Jd8%2BqZr0XwYlM9vTq4uOa1bC2dE3fG4hI5jK6lM7n%3D';
    const token = `SharedAccessSignature sr=hub1.azure-devices.net%2Fdevices%2Fplug-7&sig=${sig}&se=1764720000`;
    const line = `12:00:01.234 MQT: Azure IoT Hub SAS Token is '${token}'`;
    const out = redact(line);
    assert.ok(!out.includes(sig), out);
    assert.match(out, /sr=hub1\.azure-devices\.net%2Fdevices%2Fplug-7&sig=\*\*\*&se=1764720000'$/);
    const first = redact(`SharedAccessSignature sig=${sig}&sr=x`);
    assert.equal(first, 'SharedAccessSignature sig=***&sr=x');
    assert.equal(redact('sig=abc without a token'), 'sig=abc without a token');
  });
});
