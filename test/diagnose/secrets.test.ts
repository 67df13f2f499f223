// Secrets on disk: the decrypted copy of the user's key lives only in diagnose's 0700 temp folder, which is
// gone when diagnose ends and when it is interrupted (Ctrl-C); nothing under the project cache holds it.
// Twin builds keep no arduino_secrets.h (nor objects compiled from it) and their cache folders are 0700.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildTwin, bootTwin } from '../../rig/twin/index.ts';
import { projectPaths } from '../../rig/project.ts';

const paths = projectPaths();
const root = paths.root;

/** diagnose's key folders in `tmp`: each child here has its own TMPDIR, so another test's diagnose is not counted. */
async function keyDirs(tmp: string): Promise<Set<string>> {
  return new Set((await readdir(tmp)).filter((n) => n.startsWith('rig-diagnose-keys-')));
}

/** Files under `dir` whose content holds `needle` (grep exits 1 when none does). */
async function filesHolding(dir: string, needle: string): Promise<string[]> {
  const r = await execa('grep', ['-rlF', '--', needle, dir], { reject: false });
  return String(r.stdout).split('\n').filter(Boolean);
}

describe('diagnose and twin builds: no secrets left on disk', function () {
  this.timeout(300_000);
  let dir: string;
  let tmp: string;
  const f = (n: string): string => path.join(dir, n);

  before(async function () {
    if (!existsSync(path.join(paths.twinCore, 'esp32'))) {
      console.log('      skip: the ESP32 twin is not there yet');
      this.skip();
    }
    dir = await mkdtemp(path.join(os.tmpdir(), 'rig-diag-secrets-'));
    // The children's TMPDIR, open like /tmp: the broker drops to its own user and reads its conf there.
    tmp = await mkdtemp(path.join(os.tmpdir(), 'rig-diag-tmp-'));
    await chmod(tmp, 0o1777);
    // A fresh encrypted key each run: any copy of it found later was made by this run.
    await execa(
      'bash',
      [
        '-c',
        [
          'openssl req -x509 -nodes -newkey rsa:2048 -subj "/CN=Secret Test CA" -days 30 -keyout ca.key -out ca.crt',
          'openssl genrsa -aes256 -passout pass:hunter2 -out enc.key 2048',
          'openssl req -new -key enc.key -passin pass:hunter2 -subj "/CN=raspberry" -out enc.csr',
          'openssl x509 -req -in enc.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -out enc.crt',
          'openssl pkey -in enc.key -passin pass:hunter2 -out plain.pem',
        ].join(' && ') + ' 2>/dev/null',
      ],
      { cwd: dir, stdin: 'ignore' },
    );
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** A base64 line of the decrypted key: what a leaked copy would contain. */
  const keyLine = async (): Promise<string> => (await readFile(f('plain.pem'), 'utf8')).split('\n')[5]!;

  it('after a run: the decrypted key and the MQTT password are nowhere in the cache or the run folder', async () => {
    const before = await keyDirs(tmp);
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const r = await execa(
      'node',
      [
        path.join(root, 'bin', 'rig.mjs'),
        'diagnose',
        '--no-sandbox',
        '--ca',
        f('ca.crt'),
        '--cert',
        f('enc.crt'),
        '--key',
        f('enc.key'),
        '--key-pass',
        'hunter2',
        '--connect',
        'raspberry',
        '--username',
        'board',
        '--password',
        password,
        '--boards',
        'esp32,control',
        '--json',
        '--out',
        f('run'),
      ],
      { reject: false, stdin: 'ignore', timeout: 240_000, env: { TMPDIR: tmp } },
    );
    assert.equal(r.exitCode, 0, String(r.stderr));
    assert.deepEqual(
      [...(await keyDirs(tmp))].filter((d) => !before.has(d)),
      [],
      'the temp key folder is removed',
    );
    const line = await keyLine();
    assert.deepEqual(await filesHolding(paths.cache, line), [], 'no decrypted key in the project cache');
    assert.deepEqual(await filesHolding(f('run'), line), [], 'no decrypted key in the run folder');
    // The twin binary embeds the password (the sketch sends it); no text file keeps it.
    const holding = await filesHolding(paths.cache, password);
    assert.ok(
      holding.every((p) => path.basename(p) === 'twin'),
      `only twin binaries hold the password: ${holding.join(', ')}`,
    );
    assert.ok(!holding.some((p) => p.endsWith('arduino_secrets.h')));
  });

  it('on Ctrl-C: diagnose exits 130 and the temp key folder is gone', async () => {
    const before = await keyDirs(tmp);
    const p = execa(
      'node',
      [
        path.join(root, 'bin', 'rig.mjs'),
        'diagnose',
        '--no-sandbox',
        '--ca',
        f('ca.crt'),
        '--cert',
        f('enc.crt'),
        '--key',
        f('enc.key'),
        '--key-pass',
        'hunter2',
        '--connect',
        'raspberry',
        '--boards',
        'esp32,esp8266,mkr1000,control',
        '--out',
        f('run-int'),
      ],
      { reject: false, stdin: 'ignore', timeout: 240_000, env: { TMPDIR: tmp } },
    );
    // Wait for the staged folder to exist and the boards to start, then interrupt.
    let staged: string | undefined;
    let stderr = '';
    p.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    for (let i = 0; i < 600 && !(staged && /…/.test(stderr)); i++) {
      staged ??= [...(await keyDirs(tmp))].find((d) => !before.has(d));
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.ok(staged, 'diagnose staged the key in a temp folder');
    assert.equal((await stat(path.join(tmp, staged))).mode & 0o777, 0o700);
    p.kill('SIGINT');
    const r = await p;
    assert.equal(r.exitCode, 130, `${r.stdout}\n${stderr}`);
    assert.equal(existsSync(path.join(tmp, staged)), false, 'removed on Ctrl-C');
    assert.deepEqual(await filesHolding(paths.cache, await keyLine()), []);
  });

  it('a twin build drops arduino_secrets.h and the objects once linked; 0700 folders; a warm rebuild still compiles nothing', async () => {
    const secret = `s3cret-${randomBytes(6).toString('hex')}`;
    const sketch = f('sketches/secretprint');
    await mkdir(sketch, { recursive: true });
    await writeFile(
      path.join(sketch, 'secretprint.ino'),
      [
        '#include "arduino_secrets.h"',
        'void setup() { Serial.begin(115200); Serial.print("secret "); Serial.println(SECRET_X); }',
        'void loop() {}',
        '',
      ].join('\n'),
    );
    const header = `#define SECRET_X "${secret}"\n`;
    const cacheDir = path.join(paths.cache, 'twin');
    const opts = {
      sketchDir: sketch,
      core: 'esp32' as const,
      secretsHeader: header,
      coreVersion: '2.0.17',
      debugLevel: 1,
      cacheDir,
    };
    const built = await buildTwin(opts);
    const folder = path.dirname(built.binary);
    try {
      assert.equal(built.cached, false);
      assert.equal(existsSync(path.join(folder, 'src', 'arduino_secrets.h')), false);
      assert.deepEqual(
        (await readdir(folder)).filter((n) => n.endsWith('.o')),
        [],
      );
      for (const d of [cacheDir, path.join(cacheDir, 'sketch'), folder])
        assert.equal((await stat(d)).mode & 0o777, 0o700, d);
      // The binary still carries what the header said.
      const { process: twin, serial } = await bootTwin({
        binary: built.binary,
        world: { coreVersion: '2.0.17', debugLevel: 1 },
        workDir: f('twin-run'),
      });
      await serial.waitFor(new RegExp(`^secret ${secret}$`), 10_000);
      await serial.close();
      await twin.kill();
      const again = await buildTwin(opts);
      assert.equal(again.cached, true);
      assert.equal(again.binary, built.binary);
      assert.doesNotMatch(again.log, /g\+\+/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
