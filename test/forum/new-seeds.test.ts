// `rig new --from-forum` on the seed posts, end to end: the skeleton must reproduce the post, not just load.
// It runs in a copy of the rig (the CLI writes scenarios and sketches under its own root, and `rig run`
// finds sketches there), sharing the twin build cache so a run costs what a run in the rig costs.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { serialExpect } from '../../rig/outcome/expect.ts';
import { Results } from '../../rig/results/schema.ts';
import { buildPki } from '../../rig/pki/index.ts';
import { resolveVariant } from '../../rig/scenario/resolve.ts';
import { esp32LogHeads, normaliseSaw, sawExpectations } from '../../rig/forum/saw.ts';
import { loadBoards } from '../../rig/boards/load.ts';
import { extractFromPost } from '../../rig/forum/extract.ts';
import { ROOT, rigCopy, rigIn, seedFile } from './helpers.ts';

describe('rig new --from-forum on the seeds', function () {
  this.timeout(600_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-new-seeds-'));
    rigCopy(tmp);
  });
  after(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  const scenarioOf = (id: string) => {
    const file = path.join(tmp, 'scenarios', 'forum', `${id}.yaml`);
    return { file, s: parseScenarioText(readFileSync(file, 'utf8'), file) };
  };

  it("seed 000: broken PKI as posted, the answer's script only in fixed, port and must-see lines the board prints", function () {
    const seed = seedFile('000_');
    const r = rigIn(tmp, [
      'new',
      '--from-forum',
      '--id',
      'seed000-new',
      '--link',
      'https://arduino.stackexchange.com/questions/68502',
      seed,
    ]);
    assert.equal(r.code, 0, r.err);
    const { file, s } = scenarioOf('seed000-new');
    const check = rigIn(tmp, ['check', file]);
    assert.equal(check.code, 0, check.err);

    const broken = s.pki.verbatim?.script ?? '';
    assert.doesNotMatch(
      broken,
      /192\.168\.0\.11|OU=Server|SUBJECT_/,
      "the answer's fix script is not part of the posted setup",
    );
    assert.match(
      broken,
      /-out server\.csr -key server\.key -subj "\/C=TV\/ST=Treviso\/L=Castelfranco\/O=PSS\/OU=PSS\/CN=home"$/m,
      "the server CN is the name the sketch looks up; the other fields are the posted CA's",
    );
    const fix = s.variants.fixed?.pki?.verbatim?.script ?? '';
    assert.match(fix, /^IP="\{\{broker\.ip\}\}"$/m, "the poster's IP is the run's broker");
    assert.match(fix, /-subj "\$SUBJECT_SERVER"/);

    const ino = readFileSync(path.join(tmp, 'sketches', 'seed000-new', 'seed000-new.ino'), 'utf8');
    assert.match(ino, /client\.setServer\(serverIp, SECRET_PORT\);/);
    assert.doesNotMatch(ino, /26391/);

    // The regexes match the lines as the board prints them, and nothing of the forum's comment around them.
    const pinned = serialExpect(s.expect.broken!['esp32@1.0.2']!);
    assert.equal(pinned.ordered, true);
    const board102 = [
      'MQTT connecting ...[E][ssl_client.cpp:33] handle_error(): X509 - Certificate verification failed, e.g. CRL, CA or signature check failed',
      '[E][ssl_client.cpp:35] handle_error(): MbedTLS message code: -9984',
      '[E][WiFiClientSecure.cpp:132] connect(): start_ssl_client: -9984',
    ];
    assert.deepEqual(
      pinned.see.map((re) => board102.findIndex((l) => new RegExp(re).test(l))),
      [0, 1, 2],
    );
    const all = Object.values(s.expect.broken!).flatMap((e) => serialExpect(e).see);
    for (const re of all) assert.doesNotMatch(re, /Michele|suggestions|: 33|handle_error \\\(/, re);
  });

  it("seed 000: `rig run` reproduces -9984 on the ESP32 twin (2.0.17 and the poster's 1.0.2), and the answer's script connects", function () {
    const out = path.join(tmp, 'run000');
    const r = rigIn(tmp, ['run', 'seed000-new', '--target', 'twin', '--broker', 'local', '--out', out], 560_000);
    const results = Results.parse(JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')));
    const cell = (id: string) => results.cells.find((c) => c.id === id);
    for (const id of ['seed000-new/broken/esp32', 'seed000-new/broken/esp32@1.0.2']) {
      assert.equal(cell(id)?.status, 'pass', `${id}: ${JSON.stringify(cell(id))}\n${r.out}`);
      assert.equal(cell(id)?.outcome.code, 'mbedtls:-9984', id);
    }
    assert.equal(cell('seed000-new/fixed/esp32')?.outcome.kind, 'connected', r.out);
    assert.equal(r.code, 0, `${r.out}\n${r.err}`);
  });

  it('seed 004: the full sketch, only commands whose inputs exist, and a PKI that builds', async function () {
    const seed = seedFile('004_');
    const r = rigIn(tmp, ['new', '--from-forum', '--id', 'seed004-new', seed]);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /board not recognised/);
    const { file, s } = scenarioOf('seed004-new');
    const check = rigIn(tmp, ['check', file]);
    assert.equal(check.code, 0, check.err);
    assert.deepEqual(s.boards, ['esp32', 'control']);

    const ino = readFileSync(path.join(tmp, 'sketches', 'seed004-new', 'seed004-new.ino'), 'utf8');
    assert.match(ino, /void setup\(\)/);
    assert.match(ino, /void loop\(\)/);
    assert.match(ino, /const int mqtt_port = SECRET_PORT;/);
    assert.match(ino, /RIG: connected/);

    const script = s.pki.verbatim?.script ?? '';
    assert.doesNotMatch(
      script,
      /server\.pem|server\.der|combined\.pem/,
      'troubleshooting conversions of files never made are left out',
    );
    assert.match(r.out, /left out `openssl x509 -outform der -in server\.pem -out server\.der`/);
    assert.match(s.broker.conf ?? '', /^require_certificate false$/m, 'no trailing comment on a directive');
    assert.match(s.broker.conf ?? '', /^password_file /m, 'the password snippet joins the listener snippet');
    assert.equal(s.client.connect, '{{broker.ip}}', '"YOUR_BROKER_IP" is a placeholder');
    const vars = { 'broker.ip': '127.0.0.1' };
    const pki = await buildPki(resolveVariant(s, 'broken', vars).pki, { vars, cacheDir: path.join(tmp, 'pki') });
    assert.deepEqual(Object.keys(pki.certs).sort(), ['ca', 'client', 'server']);
  });
});

describe('forum post lines the user saw', () => {
  it("cuts a comment back to the board's lines: head spacing, run-together lines, prose and signature", () => {
    const lines = normaliseSaw([
      '[E] [ssl_client.cpp: 33] handle_error (): X509 - Certificate verification failed, e.g. CRL, CA or signature check failed',
      "• Hi, I get the same error - MQTT connecting ...[E][ssl_client.cpp:33] handle_error(): X509 - Certificate verification failed, e.g. CRL, CA or signature check failed [E][ssl_client.cpp:35] handle_error(): MbedTLS message code: -9984 [E][WiFiClientSecure.cpp:132] connect(): start_ssl_client: -9984 - do you have any suggestions for me? – Michele Sep 9 '19 at 19:15",
    ]).map((l) => l.text);
    assert.deepEqual(lines, [
      '[E][ssl_client.cpp:33] handle_error(): X509 - Certificate verification failed, e.g. CRL, CA or signature check failed',
      '[E][ssl_client.cpp:35] handle_error(): MbedTLS message code: -9984',
      '[E][WiFiClientSecure.cpp:132] connect(): start_ssl_client: -9984',
    ]);
  });

  it('a 2.x line keeps its message for the default core; lines of no imitated core are not pinned', () => {
    const e = sawExpectations(
      [
        '[  2546][E][ssl_client.cpp:37] _handle_error(): [start_ssl_client():273]: (-9984) X509 - Certificate verification failed',
      ],
      'esp32',
    );
    assert.deepEqual(Object.keys(e.byBoard), ['esp32']);
    assert.equal(e.byBoard.esp32!.code, 'mbedtls:-9984');
    assert.ok(
      new RegExp((e.byBoard.esp32!.serial as string[])[0]!).test(
        '[  9999][E][ssl_client.cpp:37] _handle_error(): [start_ssl_client():273]: (-9984) X509 - Certificate verification failed',
      ),
    );
    const odd = sawExpectations(
      ['[E][ssl_client.cpp:36] handle_error(): X509 - Certificate verification failed'],
      'esp32',
    );
    assert.deepEqual(Object.keys(odd.byBoard), ['esp32'], 'handle_error() at line 36 is no core the twin imitates');
    const bearssl = sawExpectations(['SSL error: Expected server name was not found in the chain.'], 'esp8266');
    assert.ok(
      new RegExp((bearssl.byBoard.esp8266!.serial as string[])[0]!).test(
        'SSL error: Expected server name was not found in the chain.',
      ),
    );
  });

  it('pins only cores the ESP32 twin imitates (its version table, boards/twin/versions/esp32.yaml)', async () => {
    const profile = (await loadBoards(path.join(ROOT, 'boards'))).get('esp32')!;
    const cores = Object.keys(esp32LogHeads());
    assert.ok(cores.includes('1.0.2') && cores.includes('1.0.4'), cores.join(','));
    for (const core of cores) assert.ok(profile.twin!.imitates.includes(core), core);
  });

  it("a later answer that makes the same certificates is the fix; one that needs the setup's files gets them", () => {
    const post = [
      'I did:',
      'openssl genrsa -out ca.key 2048',
      'openssl req -new -x509 -key ca.key -out ca.crt -subj "/CN=a"',
      'openssl genrsa -out server.key 2048',
      'openssl req -new -key server.key -out server.csr -subj "/CN=b"',
      'openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt',
      'Answer: give it a SAN:',
      'openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -extfile <(printf "subjectAltName=IP:10.0.0.2")',
    ].join('\n');
    const p = extractFromPost(post);
    assert.doesNotMatch(p.openssl ?? '', /extfile/);
    assert.match(
      p.opensslFix ?? '',
      /^openssl genrsa -out ca\.key 2048$/m,
      'the fix reads ca.key and server.csr: the setup runs first',
    );
    assert.match(p.opensslFix ?? '', /-extfile/);
  });
});
