// Test fixtures for the twin: certificates made with the openssl CLI, a mosquitto on a free port.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../rig/broker/local.ts';
import { startManaged } from '../../rig/process/index.ts';

// The broker provider's own free-port finder.
export { freePort };

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

export interface TestPki {
  dir: string;
  caCrt: string;
  leaf(name: string): { crt: string; key: string };
}

/**
 * A CA plus leaves: `localhost` (SAN DNS:localhost), `home` (CN=home, no SAN), `expired` (SAN DNS:localhost,
 * valid 2020-2021). Files are world-readable because mosquitto drops root privileges before reading them.
 */
export function makePki(dir: string): TestPki {
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '365',
      '-subj',
      '/CN=rig-test-ca',
    ],
    dir,
  );
  const csr = (name: string, cn: string) =>
    openssl(
      ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`],
      dir,
    );
  csr('localhost', 'rig-broker');
  writeFileSync(path.join(dir, 'san-localhost.ext'), 'subjectAltName=DNS:localhost\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'localhost.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'localhost.crt',
      '-days',
      '30',
      '-extfile',
      'san-localhost.ext',
    ],
    dir,
  );
  csr('home', 'home');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'home.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'home.crt',
      '-days',
      '30',
    ],
    dir,
  );
  // Expired leaf: `openssl ca` is the 3.0 CLI that takes explicit dates.
  csr('expired', 'rig-broker');
  mkdirSync(path.join(dir, 'ca-db'), { recursive: true });
  writeFileSync(path.join(dir, 'ca-db', 'index.txt'), '');
  writeFileSync(
    path.join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = rig',
      '[rig]',
      `dir = ${dir}`,
      'database = $dir/ca-db/index.txt',
      'new_certs_dir = $dir/ca-db',
      'serial = $dir/ca-db/serial',
      'default_md = sha256',
      'policy = any',
      'copy_extensions = none',
      'unique_subject = no',
      '[any]',
      'commonName = supplied',
      '[ext]',
      'subjectAltName = DNS:localhost',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'ca-db', 'serial'), '1000\n');
  openssl(
    [
      'ca',
      '-batch',
      '-config',
      'ca.cnf',
      '-cert',
      'ca.crt',
      '-keyfile',
      'ca.key',
      '-in',
      'expired.csr',
      '-out',
      'expired.crt',
      '-startdate',
      '20200101000000Z',
      '-enddate',
      '20210101000000Z',
      '-extensions',
      'ext',
      '-notext',
    ],
    dir,
  );
  // SAN IP:127.0.0.1 only: mbedTLS 2.28 never matches it; cores >= 3.1 (mbedTLS 3.6) do.
  csr('ipsan', '127.0.0.1');
  writeFileSync(path.join(dir, 'san-ip.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'ipsan.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'ipsan.crt',
      '-days',
      '30',
      '-extfile',
      'san-ip.ext',
    ],
    dir,
  );
  // Client certificate for mutual TLS.
  csr('client', 'rig-client');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'client.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'client.crt',
      '-days',
      '30',
    ],
    dir,
  );
  for (const f of [
    'ipsan.crt',
    'ipsan.key',
    'client.crt',
    'client.key',
    'ca.crt',
    'localhost.crt',
    'localhost.key',
    'home.crt',
    'home.key',
    'expired.crt',
    'expired.key',
  ])
    chmodSync(path.join(dir, f), 0o644);
  return {
    dir,
    caCrt: path.join(dir, 'ca.crt'),
    leaf: (name) => ({ crt: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) }),
  };
}

export interface TestBroker {
  port: number;
  log(): string;
  waitForLog(re: RegExp, ms: number): Promise<string>;
  stop(): Promise<void>;
}

/** mosquitto with one TLS listener using the given leaf; logs go to stderr (stdout is block-buffered in a pipe). */
/** `listener` adds lines to the TLS listener (e.g. `ciphers ...`, `dhparamfile ...`). */
export async function startMosquitto(
  dir: string,
  pki: TestPki,
  leaf: string,
  opts: { requireCert?: boolean; plain?: boolean; listener?: string[] } = {},
): Promise<TestBroker> {
  const port = await freePort();
  const { crt, key } = pki.leaf(leaf);
  const conf = path.join(dir, `mosquitto-${leaf}-${port}.conf`);
  const tls = opts.plain
    ? []
    : [
        `cafile ${pki.caCrt}`,
        `certfile ${crt}`,
        `keyfile ${key}`,
        ...(opts.requireCert ? ['require_certificate true'] : []),
        ...(opts.listener ?? []),
      ];
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      ...tls,
      'allow_anonymous true',
      'log_dest stderr',
      'log_type all',
      'connection_messages true',
      '',
    ].join('\n'),
  );
  chmodSync(conf, 0o644);
  let log = '';
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  const onOutput = (d: string): void => {
    log += d;
    for (const w of [...waiters]) {
      const m = log.split('\n').find((l) => w.re.test(l));
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  const waitForLog = (re: RegExp, ms: number) =>
    new Promise<string>((resolve, reject) => {
      const hit = log.split('\n').find((l) => re.test(l));
      if (hit) {
        resolve(hit);
        return;
      }
      const t = setTimeout(() => reject(new Error(`broker log: no ${re} within ${ms} ms; log:\n${log}`)), ms);
      waiters.push({
        re,
        resolve: (l) => {
          clearTimeout(t);
          resolve(l);
        },
      });
    });
  const proc = await startManaged({
    command: 'mosquitto',
    args: ['-c', conf],
    ready: { line: /Opening ipv4 listen socket on port/, timeoutMs: 5000 },
    onOutput,
  });
  return {
    port,
    log: () => log,
    waitForLog,
    stop: async () => {
      await proc.stop();
    },
  };
}

export function readPem(file: string): string {
  return readFileSync(file, 'utf8');
}
