// Bad user input to `rig diagnose` gives a clear error naming the file (and line) and exit code 2, before
// anything runs; an encrypted key with its passphrase is staged decrypted, 0600, never printed.
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
  const r = await execa('node', [path.join(root, 'bin', 'rig.mjs'), 'diagnose', ...args], { reject: false, stdin: 'ignore' });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

describe('diagnose: input validation', function () {
  this.timeout(120_000);
  let dir: string;
  let cache: string;
  const f = (name: string): string => path.join(dir, name);

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'rig-diag-inputs-'));
    cache = await mkdtemp(path.join(os.tmpdir(), 'rig-diag-cache-'));
    await sh(dir, [
      'openssl req -x509 -nodes -newkey rsa:2048 -subj "/CN=Test CA" -days 30 -keyout ca.key -out ca.crt',
      'openssl req -nodes -newkey rsa:2048 -subj "/CN=raspberry" -keyout server.key -out server.csr',
      'openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -out server.crt',
      'openssl genrsa -aes256 -passout pass:hunter2 -out enc.key 2048',
      'openssl req -new -key enc.key -passin pass:hunter2 -subj "/CN=raspberry" -out enc.csr',
      'openssl x509 -req -in enc.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -out enc.crt',
      'openssl genrsa -out other.key 2048',
      'echo "hello, I am not a certificate" > notes.txt',
    ].join(' && ') + ' 2>/dev/null');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(cache, { recursive: true, force: true });
  });

  it('a file that is not a certificate: names the option, the file and what openssl said', async () => {
    const r = await diagnose(['--ca', f('notes.txt'), '--cert', f('server.crt'), '--key', f('server.key'), '--connect', 'raspberry']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--ca .*notes\.txt: not a certificate; openssl said: .+/);
  });

  it('a private key given as the certificate is called what it is, without printing it', async () => {
    const r = await diagnose(['--ca', f('ca.crt'), '--cert', f('server.key'), '--key', f('server.key'), '--connect', 'raspberry']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--cert .*server\.key: this is a private key, not a certificate/);
    assert.doesNotMatch(r.stderr + r.stdout, /PRIVATE KEY/);
  });

  it('an encrypted key without --key-pass', async () => {
    const r = await diagnose(['--ca', f('ca.crt'), '--cert', f('enc.crt'), '--key', f('enc.key'), '--connect', 'raspberry']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--key .*enc\.key: the private key is encrypted; give its passphrase with --key-pass/);
  });

  it('a wrong passphrase says so and never echoes the passphrase', async () => {
    const r = await diagnose(['--ca', f('ca.crt'), '--cert', f('enc.crt'), '--key', f('enc.key'), '--key-pass', 'wrong-pass-xyz', '--connect', 'raspberry']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /not a usable private key \(wrong passphrase\?\)/);
    assert.doesNotMatch(r.stderr, /wrong-pass-xyz/);
  });

  it('a key that does not belong to the certificate', async () => {
    const r = await diagnose(['--ca', f('ca.crt'), '--cert', f('server.crt'), '--key', f('other.key'), '--connect', 'raspberry']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--key .*other\.key does not match --cert .*server\.crt/);
  });

  it('a conf referencing a file that does not exist: names the directive and the line', async () => {
    await writeFile(f('mosquitto.conf'), [
      'listener 8883', 'certfile /etc/mosquitto/certs/server.crt', 'cafile /etc/mosquitto/certs/nosuch-ca.crt',
      'keyfile /etc/mosquitto/certs/server.key', '',
    ].join('\n'));
    const r = await diagnose(['--ca', f('ca.crt'), '--cert', f('server.crt'), '--key', f('server.key'), '--conf', f('mosquitto.conf'), '--connect', 'raspberry']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /mosquitto\.conf:3: cafile \/etc\/mosquitto\/certs\/nosuch-ca\.crt: file .* does not exist here, and none of your certificate files is named nosuch-ca\.crt/);
  });

  it('an encrypted key with its passphrase is staged decrypted, 0600, and the staging is content-addressed', async () => {
    const a = await stageUserFiles({ ca: f('ca.crt'), cert: f('enc.crt'), key: f('enc.key'), keyPass: 'hunter2' }, cache);
    const key = path.join(a.dir, a.certs.server!.key!);
    const text = await readFile(key, 'utf8');
    assert.match(text, /BEGIN PRIVATE KEY/);
    assert.doesNotMatch(text, /ENCRYPTED/);
    assert.equal((await stat(key)).mode & 0o777, 0o600);
    const b = await stageUserFiles({ ca: f('ca.crt'), cert: f('enc.crt'), key: f('enc.key'), keyPass: 'hunter2' }, cache);
    assert.equal(b.dir, a.dir, 'same files, same staging folder');
  });
});
