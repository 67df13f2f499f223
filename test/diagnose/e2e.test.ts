// `rig diagnose` end to end on a real name-mismatch setup (seed 002's certificate: SAN IP + DNS:raspberry,
// the sketch connecting to the IP string): ESP32 and ESP8266 twins, the mqtt.js control, the user's conf.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../rig/project.ts';
import { DiagnoseReport } from '../../rig/diagnose/types.ts';

const root = projectPaths().root;

function missingTwin(): string | undefined {
  if (!existsSync(path.join(root, 'rig', 'twin', 'index.ts'))) return 'rig/twin is not there yet';
  for (const core of ['esp32', 'esp8266'])
    if (!existsSync(path.join(root, 'boards', 'twin', core))) return `boards/twin/${core} is not there yet`;
  for (const s of ['esp32-wificlientsecure-pubsub', 'esp8266-bearssl-pubsub']) {
    if (!existsSync(path.join(root, 'sketches', s, `${s}.ino`))) return `probe sketch ${s} is not there yet`;
  }
  return undefined;
}

async function diagnose(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa('node', [path.join(root, 'bin', 'rig.mjs'), 'diagnose', '--no-sandbox', ...args], {
    reject: false,
    stdin: 'ignore',
    timeout: 240_000,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('diagnose: end to end on twins', function () {
  this.timeout(300_000);
  let dir: string;
  const f = (name: string): string => path.join(dir, name);

  before(async function () {
    const why = missingTwin();
    if (why) {
      console.log(`      skip: ${why}`);
      this.skip();
    }
    dir = await mkdtemp(path.join(os.tmpdir(), 'rig-diag-e2e-'));
    await execa(
      'bash',
      [
        '-c',
        [
          'openssl req -x509 -nodes -sha256 -newkey rsa:2048 -subj "/C=RO/O=UTCN/CN=MQTTCA" -days 3650 -keyout ca.key -out ca.crt',
          'openssl req -nodes -newkey rsa:2048 -subj "/C=RO/O=UTCN/OU=CS/CN=raspberry" -keyout server.key -out server.csr',
          'openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 365 -extfile <(printf "subjectAltName=IP:127.0.0.1,DNS:raspberry")',
        ].join(' && ') + ' 2>/dev/null',
      ],
      { cwd: dir, stdin: 'ignore' },
    );
    // Seed 002's conf, trimmed to its TLS listener; paths as on the Raspberry Pi, mapped by file name.
    await writeFile(
      f('mosquitto.conf'),
      [
        'per_listener_settings true',
        'pid_file /run/mosquitto/mosquitto.pid',
        'log_dest file /var/log/mosquitto/mosquitto.log',
        'listener 8883',
        'protocol mqtt',
        'certfile /etc/mosquitto/certs/server.crt',
        'keyfile /etc/mosquitto/certs/server.key',
        'cafile /etc/mosquitto/certs/ca.crt',
        'tls_version tlsv1.2',
        'allow_anonymous true',
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const files = (): string[] => [
    '--ca',
    f('ca.crt'),
    '--cert',
    f('server.crt'),
    '--key',
    f('server.key'),
    '--conf',
    f('mosquitto.conf'),
  ];

  it('connect by the IP string: both embedded stacks fail on the name, the PC connects, each explained with the fix', async () => {
    const r = await diagnose([
      ...files(),
      '--connect',
      '127.0.0.1',
      '--boards',
      'esp32,esp8266,control',
      '--json',
      '--out',
      f('run-ip'),
    ]);
    assert.equal(r.code, 1, `exit 1 = a board does not connect\n${r.stderr}`);
    assert.doesNotMatch(r.stdout + r.stderr, /PRIVATE KEY/);
    const rep = DiagnoseReport.parse(JSON.parse(r.stdout));
    const board = (id: string) => {
      const b = rep.boards.find((x) => x.board === id);
      assert.ok(b, id);
      return b;
    };

    const esp32 = board('esp32');
    assert.equal(esp32.outcome.kind, 'tls/name-mismatch', JSON.stringify(esp32));
    assert.equal(esp32.outcome.code, 'mbedtls:-9984');
    assert.ok(
      esp32.serial.some((l) => /start_ssl_client: -9984/.test(l)),
      esp32.serial.join('\n'),
    );
    assert.equal(esp32.explanation?.rule, 'name-mismatch');
    assert.match(esp32.explanation!.stackRule, /mbedTLS 2\.28/);

    const esp8266 = board('esp8266');
    assert.equal(esp8266.outcome.kind, 'tls/name-mismatch', JSON.stringify(esp8266));
    assert.equal(esp8266.outcome.code, 'bearssl:56');
    assert.ok(
      esp8266.serial.some((l) => /Expected server name was not found in the chain\./.test(l)),
      esp8266.serial.join('\n'),
    );
    const e = esp8266.explanation;
    assert.ok(e);
    assert.match(e.why, /BearSSL matches only DNS names in the SAN/);
    assert.match(e.why, /IP:127\.0\.0\.1/);
    assert.ok(e.fixes.some((x) => /connect to raspberry/.test(x)));
    assert.ok(e.fixes.some((x) => /CN=127\.0\.0\.1 and no SAN/.test(x)));

    assert.equal(board('control').outcome.kind, 'connected', 'OpenSSL matches the IP SAN');
    assert.ok(rep.conf?.notes.some((n) => /certfile \/etc\/mosquitto\/certs\/server\.crt → your server\.crt/.test(n)));
    assert.equal(rep.runDir, f('run-ip'));
    const leaked = await execa('grep', ['-rl', 'PRIVATE KEY', f('run-ip')], { reject: false });
    assert.equal(String(leaked.stdout).trim(), '', 'no private key is left in the run folder');
  });

  it('the suggested fix works: connecting to raspberry, every board connects (text output, exit 0)', async () => {
    const r = await diagnose([
      ...files(),
      '--connect',
      'raspberry',
      '--boards',
      'esp32,esp8266,control',
      '--out',
      f('run-name'),
    ]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /✔ esp32 .*connected/);
    assert.match(r.stdout, /✔ esp8266 .*connected/);
    assert.doesNotMatch(r.stdout, /PRIVATE KEY/);
  });

  for (const [label, line, rule] of [
    ['a TLS 1.3-only listener', 'tls_version tlsv1.3', 'protocol-version'],
    ['require_certificate without a client certificate', 'require_certificate true', 'client-cert-required'],
  ] as const) {
    it(`${label}: the conf line is named as the cause on both embedded stacks`, async () => {
      const conf = f(`${rule}.conf`);
      await writeFile(
        conf,
        [
          'listener 8883',
          'certfile /etc/mosquitto/certs/server.crt',
          'keyfile /etc/mosquitto/certs/server.key',
          'cafile /etc/mosquitto/certs/ca.crt',
          line,
          'allow_anonymous true',
          '',
        ].join('\n'),
      );
      const r = await diagnose([
        '--ca',
        f('ca.crt'),
        '--cert',
        f('server.crt'),
        '--key',
        f('server.key'),
        '--conf',
        conf,
        '--connect',
        'raspberry',
        '--boards',
        'esp32,esp8266',
        '--json',
        '--out',
        f(`run-${rule}`),
      ]);
      assert.equal(r.code, 1, r.stderr);
      const rep = DiagnoseReport.parse(JSON.parse(r.stdout));
      for (const b of rep.boards) {
        assert.notEqual(b.outcome.kind, 'connected', b.board);
        assert.equal(b.explanation?.rule, rule, `${b.board}: ${JSON.stringify(b.outcome)}`);
      }
    });
  }
});
