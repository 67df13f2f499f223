// The programs and libraries the rig runs, checked by running them: a package database can say "installed" with
// the binary gone, so `rig doctor` and the check before a run start each tool (or link against each library)
// and read its version from what it prints.
import { execFile } from 'node:child_process';
import { findProgram, PROGRAM_SEARCH } from '../process/index.ts';

export type ToolName =
  | 'mosquitto'
  | 'mosquitto_pub'
  | 'mosquitto_sub'
  | 'mosquitto_passwd'
  | 'openssl'
  | 'g++'
  | 'mbedtls'
  | 'bearssl'
  | 'g++-m32'
  | 'bwrap'
  | 'docker'
  | 'arduino-cli';

export interface ToolSpec {
  name: ToolName;
  /** Debian package that provides it. */
  pkg: string;
  why: string;
  /** Program to run (looked up in PATH, then /usr/sbin and /sbin, where Debian puts mosquitto) and its args. */
  run: [string, ...string[]];
  /** Text to feed on stdin (a C++ program for the library checks). */
  input?: string;
  /** Where the version is in its output. */
  version: RegExp;
  /** Exit codes that still mean "it ran" (mosquitto -h exits 3 after printing its usage). */
  okCodes?: number[];
}

/** The Debian packages behind `g++ -m32` with the twins' TLS libraries (rig/setup/deps.ts installs them). */
export const I386_PACKAGES = ['g++-multilib', 'libmbedtls-dev:i386', 'libbearssl-dev:i386'];

const LINK_TEST = (header: string, call: string): string => `#include <${header}>\nint main(){ ${call}; return 0; }\n`;

export const TOOLS: Record<ToolName, ToolSpec> = {
  mosquitto: {
    name: 'mosquitto',
    pkg: 'mosquitto',
    why: 'the broker under test (--broker local)',
    run: ['mosquitto', '-h'],
    version: /mosquitto version (\S+)/,
    okCodes: [0, 3],
  },
  mosquitto_pub: {
    name: 'mosquitto_pub',
    pkg: 'mosquitto-clients',
    why: 'the mosquitto-cli control',
    run: ['mosquitto_pub', '--help'],
    version: /mosquitto_pub version (\S+)/,
    okCodes: [0, 1],
  },
  mosquitto_sub: {
    name: 'mosquitto_sub',
    pkg: 'mosquitto-clients',
    why: 'the mosquitto-cli control',
    run: ['mosquitto_sub', '--help'],
    version: /mosquitto_sub version (\S+)/,
    okCodes: [0, 1],
  },
  mosquitto_passwd: {
    name: 'mosquitto_passwd',
    pkg: 'mosquitto',
    why: 'password files for scenarios with users',
    run: ['mosquitto_passwd', '-h'],
    version: /mosquitto_passwd version (\S+)/,
    okCodes: [0, 1],
  },
  openssl: {
    name: 'openssl',
    pkg: 'openssl',
    why: 'every scenario: the PKI',
    run: ['openssl', 'version'],
    version: /OpenSSL (\S+)/,
  },
  'g++': {
    name: 'g++',
    pkg: 'g++',
    why: 'twins are compiled with it',
    run: ['g++', '--version'],
    version: /g\+\+.*? (\d+\.\d+\.\d+)/,
  },
  mbedtls: {
    name: 'mbedtls',
    pkg: 'libmbedtls-dev',
    why: 'the ESP32 twin TLS stack',
    run: ['g++', '-x', 'c++', '-', '-o', '/dev/null', '-lmbedtls', '-lmbedx509', '-lmbedcrypto'],
    input: LINK_TEST('mbedtls/version.h', 'char v[18]; mbedtls_version_get_string(v)'),
    version: /^/,
  },
  bearssl: {
    name: 'bearssl',
    pkg: 'libbearssl-dev',
    why: 'the ESP8266 and MKR1000 twin TLS stack',
    run: ['g++', '-x', 'c++', '-', '-o', '/dev/null', '-lbearssl'],
    input: LINK_TEST('bearssl.h', 'br_ssl_client_context cc; br_ssl_client_zero(&cc)'),
    version: /^/,
  },
  // 32-bit twins (a build's dataModel ilp32: the millis() wrap scenarios) link both TLS libraries built for i386.
  'g++-m32': {
    name: 'g++-m32',
    pkg: I386_PACKAGES.join(' '),
    why: '32-bit twins (g++ -m32) for the millis() wrap scenarios; the :i386 packages need dpkg --add-architecture i386',
    run: ['g++', '-m32', '-x', 'c++', '-', '-o', '/dev/null', '-lmbedtls', '-lmbedx509', '-lmbedcrypto', '-lbearssl'],
    input:
      '#include <mbedtls/version.h>\n#include <bearssl.h>\nint main(){ char v[18]; mbedtls_version_get_string(v); ' +
      'br_ssl_client_context cc; br_ssl_client_zero(&cc); return sizeof(long) == 4 ? 0 : 1; }\n',
    version: /^/,
  },
  bwrap: {
    name: 'bwrap',
    pkg: 'bubblewrap',
    why: 'the twin sandbox',
    run: ['bwrap', '--version'],
    version: /bubblewrap (\S+)/,
  },
  docker: {
    name: 'docker',
    pkg: 'docker.io',
    why: 'the container broker',
    run: ['docker', '--version'],
    version: /Docker version ([^,\s]+)/,
  },
  'arduino-cli': {
    name: 'arduino-cli',
    pkg: 'arduino-cli',
    why: 'builds and flashes boards (--target hardware)',
    run: [process.env.RIG_ARDUINO_CLI ?? 'arduino-cli', 'version'],
    version: /Version: (\S+)/,
  },
};

export interface ToolCheck {
  name: ToolName;
  ok: boolean;
  path?: string;
  version?: string;
  /** Why it is not usable: not found, or what running it printed. */
  problem?: string;
}

/** Runs one tool and reads its version; never throws. */
export async function checkTool(spec: ToolSpec, env: NodeJS.ProcessEnv = process.env): Promise<ToolCheck> {
  const [prog, ...args] = spec.run;
  const found = await findProgram(prog, env);
  if (!found) return { name: spec.name, ok: false, problem: `${prog} not found in ${PROGRAM_SEARCH}` };
  return new Promise((resolve) => {
    const child = execFile(found, args, { timeout: 15_000, env: { ...env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      const out = `${String(stdout)}${String(stderr)}`;
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      if (!(spec.okCodes ?? [0]).includes(code)) {
        const said = out.trim().split('\n').slice(-2).join(' | ') || err?.message || `exit ${code}`;
        resolve({ name: spec.name, ok: false, path: found, problem: `${[prog, ...args].join(' ')} failed: ${said}` });
        return;
      }
      const version = spec.version.exec(out)?.[1];
      resolve({ name: spec.name, ok: true, path: found, ...(version ? { version } : {}) });
    });
    // A tool that exits before reading stdin (most of them) must not turn into an EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(spec.input ?? '');
  });
}

export async function checkTools(
  names: readonly ToolName[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ToolCheck[]> {
  return Promise.all([...new Set(names)].map((n) => checkTool(TOOLS[n], env)));
}

/** One message for everything missing, with the packages that bring it back. */
export function missingToolsMessage(bad: readonly ToolCheck[]): string {
  const pkgs = [...new Set(bad.map((b) => TOOLS[b.name].pkg))];
  return [
    `missing or broken tools, checked before any cell ran:`,
    ...bad.map((b) => `  ${b.name} (${TOOLS[b.name].why}): ${b.problem}`),
    `Install them with \`rig setup\` as root, or: apt-get install ${pkgs.join(' ')}`,
  ].join('\n');
}
