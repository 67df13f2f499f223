// Attack 3 on the verbatim PKI: a post's openssl script runs as uid 65534 in the sandbox, cannot read
// /etc/shadow or /root, sees no Unix socket of the host (Docker's, tmux's), has no network and no more than its
// process limit; and what it leaves (links instead of files) is never followed by the rig.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { buildPki, PkiError } from '../../rig/pki/index.ts';
import { isRoot, needSandbox } from './helpers.ts';

const MAKE_CA =
  'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=ca -keyout ca.key -out ca.crt -days 2';

async function failWith(script: string, cacheDir: string): Promise<string> {
  const err = await buildPki({ verbatim: { script, files: { ca: 'ca.crt' } } }, { vars: {}, cacheDir }).then(
    () => assert.fail('the script was expected to fail'),
    (e: unknown) => e as Error,
  );
  assert.ok(err instanceof PkiError, String(err));
  return err.message;
}

describe('security: a post’s openssl script (verbatim PKI)', function () {
  this.timeout(120_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-sec-pki-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('attack 3: runs unprivileged, without the host’s secrets, sockets or network', async function () {
    needSandbox(this);
    // A Unix socket of the host in /tmp, as tmux's is (/tmp/tmux-0/default).
    const sock = path.join(os.tmpdir(), `rig-sec-sock-${process.pid}`);
    const server = createServer(() => undefined).listen(sock);
    const tcp = createServer(() => undefined).listen(0, '127.0.0.1');
    await new Promise((r) => tcp.once('listening', r));
    const port = (tcp.address() as { port: number }).port;
    try {
      const spy = [
        `echo "SPY uid=$(id -u) shadow=$(test -r /etc/shadow && echo yes || echo no) root=$(test -e /root && echo yes || echo no)" \\`,
        `  "docker=$(test -e /var/run/docker.sock && echo yes || echo no) run=$(test -e /run && echo yes || echo no)" \\`,
        `  "sock=$(test -e ${sock} && echo yes || echo no) tcp=$( (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>/dev/null && echo yes || echo no)"`,
        'false',
      ].join('\n');
      const message = await failWith(spy, path.join(tmp, 'spy'));
      const line = /SPY [^\n]*/.exec(message)?.[0] ?? '';
      assert.ok(line, message);
      assert.doesNotMatch(line, /uid=0\b/, 'the script ran as root');
      if (isRoot) assert.match(line, /uid=65534\b/);
      for (const k of ['shadow', 'root', 'docker', 'run', 'sock', 'tcp'])
        assert.match(line, new RegExp(`${k}=no`), line);
    } finally {
      server.close();
      tcp.close();
    }
  });

  it('a fork bomb stops at the process limit, and the build fails in bounded time', async function () {
    needSandbox(this);
    const message = await failWith(
      // The bomb runs in a child shell (bash may give up and exit when fork keeps failing); the spy then uses
      // builtins only (a glob over the sandbox's /proc, ulimit), since every fork may fail while the bomb's
      // processes hold the limit.
      [
        "bash -c 'for i in $(seq 1 400); do (sleep 3) & done' >/dev/null 2>&1 || true",
        'set -- /proc/[0-9]*',
        'printf "SPY running=%s limit=" "$#"',
        'ulimit -u',
        'false',
      ].join('\n'),
      path.join(tmp, 'bomb'),
    );
    const m = /SPY running=(\d+) limit=(\d+)/.exec(message);
    assert.ok(m, message);
    assert.equal(Number(m[2]), 128, 'the process limit of a script');
    assert.ok(Number(m[1]) < 400, `all ${m[1]} processes started: no limit`);
  });

  it('a link left in place of the failure note or a picked file is not followed', async function () {
    needSandbox(this);
    const note = await failWith('trap - ERR\nln -s /etc/passwd "$RIG_META/failed"\nexit 3', path.join(tmp, 'note'));
    assert.doesNotMatch(note, /root:.*:0:0:/, 'the rig read /etc/passwd through the link');
    const picked = await failWith('ln -s /etc/passwd ca.crt', path.join(tmp, 'picked'));
    assert.doesNotMatch(picked, /root:.*:0:0:/);
    assert.match(picked, /did not write|nothing to pick/);
  });

  it('an honest script still works in the sandbox', async () => {
    const pki = await buildPki(
      { verbatim: { script: MAKE_CA, files: { ca: 'ca.crt', 'ca.key': 'ca.key' } } },
      { vars: {}, cacheDir: path.join(tmp, 'ok') },
    );
    assert.equal(pki.certs.ca!.summary.subject, 'CN=ca');
  });
});
