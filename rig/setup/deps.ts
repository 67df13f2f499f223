// Which Debian packages the rig needs, which are missing, and installing them when we are root on Debian.
import { execa } from 'execa';
import { existsSync } from 'node:fs';

export interface Requirement {
  pkg: string;
  why: string;
  for: 'core' | 'container' | 'test';
}

export const REQUIREMENTS: Requirement[] = [
  { pkg: 'mosquitto', why: 'the broker under test (local provider)', for: 'core' },
  { pkg: 'mosquitto-clients', why: 'mosquitto_pub/sub control client and mosquitto_passwd', for: 'core' },
  { pkg: 'openssl', why: 'PKI generation and certificate summaries', for: 'core' },
  { pkg: 'g++', why: 'compiles twins', for: 'core' },
  { pkg: 'libmbedtls-dev', why: 'ESP32 twin TLS stack (mbedTLS 2.28)', for: 'core' },
  { pkg: 'libbearssl-dev', why: 'ESP8266 and MKR1000 twin TLS stack (BearSSL 0.6)', for: 'core' },
  { pkg: 'g++-multilib', why: '32-bit twins (g++ -m32, a 32-bit long): the millis() wrap scenarios', for: 'core' },
  { pkg: 'libmbedtls-dev:i386', why: 'mbedTLS 2.28 for 32-bit ESP32 twins (multiarch i386)', for: 'core' },
  { pkg: 'libbearssl-dev:i386', why: 'BearSSL 0.6 for 32-bit ESP8266/MKR1000 twins (multiarch i386)', for: 'core' },
  { pkg: 'bubblewrap', why: "sandbox for strangers' code (scripts, builds, twins, brokers)", for: 'core' },
  { pkg: 'docker.io', why: 'container broker provider (testcontainers)', for: 'container' },
  { pkg: 'debootstrap', why: 'builds the local Mosquitto image when no registry is reachable', for: 'container' },
  { pkg: 'libxml2-utils', why: 'xmllint: the tests validate junit.xml against junit-10.xsd', for: 'test' },
  { pkg: 'chromium', why: 'headless browser: the tests open report.html at 1400 and 400 px', for: 'test' },
];

export async function installedVersion(pkg: string): Promise<string | undefined> {
  const r = await execa('dpkg-query', ['-W', '-f=${Status}\t${Version}', pkg], { reject: false });
  if (r.exitCode !== 0) return undefined;
  const [status, version] = r.stdout.split('\t');
  return status?.endsWith(' installed') ? version : undefined;
}

function isDebian(): boolean {
  return existsSync('/etc/debian_version') && existsSync('/usr/bin/dpkg-query');
}

export interface SetupReport {
  missing: Requirement[];
  installed: string[];
  versions: Record<string, string>;
}

export async function checkRequirements(scope: Requirement['for'][]): Promise<SetupReport> {
  const wanted = REQUIREMENTS.filter((r) => scope.includes(r.for));
  const versions: Record<string, string> = {};
  const missing: Requirement[] = [];
  for (const r of wanted) {
    const v = isDebian() ? await installedVersion(r.pkg) : undefined;
    if (v) versions[r.pkg] = v;
    else missing.push(r);
  }
  return { missing, installed: [], versions };
}

/**
 * The shell command that installs `names`: the foreign architectures their `:arch` suffixes need first (the 32-bit
 * twins' `libmbedtls-dev:i386`), then apt-get with --no-remove, so apt refuses rather than removes what is there
 * (gcc-multilib conflicts with Debian's cross compilers).
 */
export function aptCommand(names: readonly string[]): { foreign: string[]; cmd: string } {
  const foreign = [...new Set(names.map((n) => n.split(':')[1]).filter((a): a is string => a !== undefined))];
  const cmd = [
    ...foreign.map((a) => `dpkg --add-architecture ${a}`),
    `apt-get update && apt-get install -y --no-install-recommends --no-remove ${names.join(' ')}`,
  ].join(' && ');
  return { foreign, cmd };
}

/** Installs missing packages with apt-get when root on Debian; otherwise explains exactly what to run. */
export async function installMissing(
  missing: Requirement[],
  log: (s: string) => void,
): Promise<{ ok: boolean; message?: string }> {
  if (missing.length === 0) return { ok: true };
  const names = missing.map((m) => m.pkg);
  const { foreign, cmd } = aptCommand(names);
  const lines = missing.map((m) => `  - ${m.pkg}: ${m.why}`).join('\n');
  if (!isDebian()) return { ok: false, message: `This is not a Debian system; install the equivalents of:\n${lines}` };
  if (process.getuid?.() !== 0)
    return { ok: false, message: `Missing Debian packages:\n${lines}\nRun as root:\n  ${cmd}` };
  log(`installing: ${names.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const arch of foreign) {
    const add = await execa('dpkg', ['--add-architecture', arch], { reject: false, all: true });
    if (add.exitCode !== 0) return { ok: false, message: `dpkg --add-architecture ${arch} failed:\n${add.all ?? ''}` };
  }
  const upd = await execa('apt-get', ['update', '-qq'], { reject: false, env, all: true });
  if (upd.exitCode !== 0) return { ok: false, message: `apt-get update failed:\n${upd.all ?? ''}\nThen run: ${cmd}` };
  const inst = await execa('apt-get', ['install', '-y', '-qq', '--no-install-recommends', '--no-remove', ...names], {
    reject: false,
    env,
    all: true,
  });
  if (inst.exitCode !== 0)
    return { ok: false, message: `apt-get install failed:\n${(inst.all ?? '').split('\n').slice(-15).join('\n')}` };
  return { ok: true };
}
