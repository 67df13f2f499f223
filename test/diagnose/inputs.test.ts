// Bad user input to `rig diagnose` gives a clear error naming the file (and line) and exit code 2, before
// anything runs; an encrypted key with its passphrase is staged decrypted, 0600, in a temp folder removed
// afterwards, never printed. Chains and CA bundles keep every certificate.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../rig/project.ts';
import { stageUserFiles } from '../../rig/diagnose/inputs.ts';

const root = projectPaths().root;

async function sh(cwd: string, cmd: string): Promise<void> {
  await execa('bash', ['-c', cmd], { cwd, stdin: 'ignore' });
}

async function diagnose(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await execa('node', [path.join(root, 'bin', 'rig.mjs'), 'diagnose', ...args], {
    reject: false,
    stdin: 'ignore',
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('diagnose: input validation', function () {
  this.timeout(120_000);
  let dir: string;
  const f = (name: string): string => path.join(dir, name);

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rig-diag-inputs-'));
    await sh(
      dir,
      [
        'openssl req -x509 -nodes -newkey rsa:2048 -subj "/CN=Test CA" -days 30 -keyout ca.key -out ca.crt',
        'openssl req -nodes -newkey rsa:2048 -subj "/CN=raspberry" -keyout server.key -out server.csr',
        'openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -out server.crt',
        'openssl genrsa -aes256 -passout pass:hunter2 -out enc.key 2048',
        'openssl req -new -key enc.key -passin pass:hunter2 -subj "/CN=raspberry" -out enc.csr',
        'openssl x509 -req -in enc.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -out enc.crt',
        'openssl genrsa -out other.key 2048',
        'echo "hello, I am not a certificate" > notes.txt',
      ].join(' && ') + ' 2>/dev/null',
    );
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a file that is not a certificate: names the option, the file and what openssl said', async () => {
    const r = await diagnose([
      '--ca',
      f('notes.txt'),
      '--cert',
      f('server.crt'),
      '--key',
      f('server.key'),
      '--connect',
      'raspberry',
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--ca .*notes\.txt: not a certificate; openssl said: .+/);
  });

  it('a private key given as the certificate is called what it is, without printing it', async () => {
    const r = await diagnose([
      '--ca',
      f('ca.crt'),
      '--cert',
      f('server.key'),
      '--key',
      f('server.key'),
      '--connect',
      'raspberry',
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--cert .*server\.key: this is a private key, not a certificate/);
    assert.doesNotMatch(r.stderr + r.stdout, /PRIVATE KEY/);
  });

  it('an encrypted key without --key-pass', async () => {
    const r = await diagnose([
      '--ca',
      f('ca.crt'),
      '--cert',
      f('enc.crt'),
      '--key',
      f('enc.key'),
      '--connect',
      'raspberry',
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--key .*enc\.key: the private key is encrypted; give its passphrase with --key-pass/);
  });

  it('a wrong passphrase says so and never echoes the passphrase', async () => {
    const r = await diagnose([
      '--ca',
      f('ca.crt'),
      '--cert',
      f('enc.crt'),
      '--key',
      f('enc.key'),
      '--key-pass',
      'wrong-pass-xyz',
      '--connect',
      'raspberry',
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /not a usable private key \(wrong passphrase\?\)/);
    assert.doesNotMatch(r.stderr, /wrong-pass-xyz/);
  });

  it('a key that does not belong to the certificate', async () => {
    const r = await diagnose([
      '--ca',
      f('ca.crt'),
      '--cert',
      f('server.crt'),
      '--key',
      f('other.key'),
      '--connect',
      'raspberry',
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--key .*other\.key does not match --cert .*server\.crt/);
  });

  it('a conf referencing a file that does not exist: names the directive and the line', async () => {
    await writeFile(
      f('mosquitto.conf'),
      [
        'listener 8883',
        'certfile /etc/mosquitto/certs/server.crt',
        'cafile /etc/mosquitto/certs/nosuch-ca.crt',
        'keyfile /etc/mosquitto/certs/server.key',
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
      f('mosquitto.conf'),
      '--connect',
      'raspberry',
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /mosquitto\.conf:3: cafile \/etc\/mosquitto\/certs\/nosuch-ca\.crt: file .* does not exist here, and none of your certificate files is named nosuch-ca\.crt/,
    );
  });

  it('an encrypted key with its passphrase is staged decrypted, 0600, in a 0700 temp folder that dispose() removes', async () => {
    const a = await stageUserFiles({ ca: f('ca.crt'), cert: f('enc.crt'), key: f('enc.key'), keyPass: 'hunter2' });
    const key = path.join(a.dir, a.certs.server!.key!);
    const text = await readFile(key, 'utf8');
    assert.match(text, /BEGIN PRIVATE KEY/);
    assert.doesNotMatch(text, /ENCRYPTED/);
    assert.equal((await stat(key)).mode & 0o777, 0o600);
    assert.equal((await stat(a.dir)).mode & 0o777, 0o700);
    assert.ok(a.dir.startsWith(os.tmpdir()), `${a.dir} is a temp folder, not the project cache`);
    const b = await stageUserFiles({ ca: f('ca.crt'), cert: f('enc.crt'), key: f('enc.key'), keyPass: 'hunter2' });
    assert.notEqual(b.dir, a.dir, 'each run stages its own copy');
    await a.dispose();
    await b.dispose();
    await assert.rejects(stat(a.dir), /ENOENT/);
  });

  it('a full-chain certificate and a CA bundle keep every certificate; each is summarised apart', async () => {
    await sh(
      dir,
      [
        'openssl req -x509 -nodes -newkey rsa:2048 -subj "/CN=Other CA" -days 30 -keyout other-ca.key -out other-ca.crt',
        'openssl req -nodes -newkey rsa:2048 -subj "/CN=Test Intermediate" -keyout int.key -out int.csr',
        'openssl x509 -req -in int.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -out int.crt -extfile <(printf "basicConstraints=critical,CA:TRUE")',
        'openssl req -nodes -newkey rsa:2048 -subj "/CN=raspberry" -keyout leaf.key -out leaf.csr',
        'openssl x509 -req -in leaf.csr -CA int.crt -CAkey int.key -CAcreateserial -days 30 -out leaf.crt',
        'cat leaf.crt int.crt > fullchain.crt',
        'cat other-ca.crt ca.crt > bundle.crt',
      ].join(' && ') + ' 2>/dev/null',
    );
    const s = await stageUserFiles({ ca: f('bundle.crt'), cert: f('fullchain.crt'), key: f('leaf.key') });
    try {
      assert.equal(s.certs.server!.count, 2);
      assert.equal(s.certs.ca!.count, 2);
      const staged = await readFile(path.join(s.dir, s.certs.server!.crt), 'utf8');
      assert.equal(
        staged.match(/BEGIN CERTIFICATE/g)?.length,
        2,
        "the intermediate is still there for mosquitto's certfile",
      );
      assert.equal((await readFile(path.join(s.dir, s.certs.ca!.crt), 'utf8')).match(/BEGIN CERTIFICATE/g)?.length, 2);
      assert.deepEqual(Object.keys(s.parts).sort(), ['ca', 'ca-2', 'server', 'server-chain-1']);
      const [int] = await Promise.all([readFile(path.join(s.dir, s.parts['server-chain-1']!), 'utf8')]);
      assert.equal(int.trim(), (await readFile(f('int.crt'), 'utf8')).trim());
    } finally {
      await s.dispose();
    }
  });

  it('a bad block inside a certificate file is named by its position', async () => {
    const good = await readFile(f('ca.crt'), 'utf8');
    await writeFile(
      f('half.crt'),
      `${good}-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n`,
    );
    const r = await diagnose([
      '--ca',
      f('half.crt'),
      '--cert',
      f('server.crt'),
      '--key',
      f('server.key'),
      '--connect',
      'raspberry',
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--ca .*half\.crt: certificate 2 of 2 in it is not a valid certificate; openssl said: /);
  });

  it('--by-ip needs an address: a name alone is a usage error, NAME=IP is accepted only with --by-ip', async () => {
    const base = ['--ca', f('ca.crt'), '--cert', f('server.crt'), '--key', f('server.key')];
    const byName = await diagnose([...base, '--connect', 'raspberry', '--by-ip']);
    assert.equal(byName.code, 2, byName.stderr);
    assert.match(
      byName.stderr,
      /--by-ip: the sketch passes an IPAddress, but "raspberry" is not one; .*--connect raspberry=192\.168\.0\.52/,
    );
    const noByIp = await diagnose([...base, '--connect', 'raspberry=192.168.0.52']);
    assert.equal(noByIp.code, 2, noByIp.stderr);
    assert.match(noByIp.stderr, /NAME=IP is for --by-ip/);
    const bad = await diagnose([...base, '--connect', 'raspberry=pi.local', '--by-ip']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /expected NAME=IP/);
    const help = await diagnose(['--help']);
    assert.match(help.stdout, /NAME=IP \(raspberry=192\.168\.0\.52\)/);
  });

  it('an unknown board is rejected with the list of known boards', async () => {
    const r = await diagnose([
      '--ca',
      f('ca.crt'),
      '--cert',
      f('server.crt'),
      '--key',
      f('server.key'),
      '--connect',
      'raspberry',
      '--boards',
      'esp32,esp33',
    ]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--boards: no board "esp33"; known boards: .*esp32.*esp8266.*mkr1000/);
  });
});
