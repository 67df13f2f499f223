// The one way the rig runs code it did not write (a post's openssl script, a sketch's compile, a twin, a post's
// broker): bubblewrap with its own mount, pid, ipc, uts and (unless the caller needs it) network namespaces, a
// view of /usr, a few /etc files and only the folders the caller names, a private /dev (null, zero, random, tty,
// its own devpts), a private /tmp, and resource limits (prlimit) on processes, memory, CPU time, file size and
// open files. The code runs as an unprivileged user (uid 65534 by default), never as root:
// - the rig as root: bwrap without a user namespace (it can then bind folders under 0700 parents, such as the
//   build cache), and setpriv drops to the user inside with no capabilities and no_new_privs;
// - the rig as a user: bwrap with a user namespace mapping uid 65534 inside to the rig's own uid outside.
import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export const NOBODY = { uid: 65534, gid: 65534 };

export interface SandboxLimits {
  /** RLIMIT_NPROC. Counts every process and thread of the sandbox user on the machine, not only this sandbox's. */
  processes: number;
  /** RLIMIT_AS, in MiB. */
  memoryMb: number;
  /** RLIMIT_CPU, in seconds. */
  cpuSeconds: number;
  /** RLIMIT_FSIZE: the largest file it may write, in MiB. */
  fileMb: number;
  /** RLIMIT_NOFILE. */
  openFiles?: number;
}

export type Mount = string | { src: string; dest: string };

export interface SandboxSpec {
  /** Program and arguments as the sandbox sees them. */
  argv: string[];
  /** Host paths shown read-only (at the same path, or at dest). */
  readOnly?: Mount[];
  /** Host paths shown writable. */
  writable?: Mount[];
  /** The working directory inside. */
  cwd: string;
  /** The whole environment inside (nothing is inherited). */
  env?: Record<string, string>;
  /** 'none': its own network namespace with only a loopback interface; 'host': the machine's network. */
  network: 'none' | 'host';
  limits: SandboxLimits;
  /** Who it runs as outside when the rig is root (default uid/gid 65534). */
  user?: { uid: number; gid: number };
  /** The /etc files it sees (default: ETC_DEFAULT); the dynamic linker's cache is always there. */
  etc?: string[];
}

/** The /etc files tools read (OpenSSL's config, alternatives, the hosts file); never shadow, passwd or the like. */
export const ETC_DEFAULT = [
  '/etc/ssl/openssl.cnf',
  '/etc/ssl/certs',
  '/etc/hosts',
  '/etc/localtime',
  '/etc/nsswitch.conf',
];

const SANDBOX_PATH = '/usr/local/bin:/usr/bin:/bin';

const SYSTEM_MOUNTS = new Set(['/', '/usr', '/proc', '/dev', '/tmp']);

/**
 * The binds, each after its destination's missing parent folders: bwrap would make those 0700 (root's), which
 * the sandbox user could not enter.
 */
function mountArgs(flag: string, mounts: Mount[] | undefined, made: Set<string>): string[] {
  const args: string[] = [];
  for (const m of mounts ?? []) {
    const [src, dest] = typeof m === 'string' ? [m, m] : [m.src, m.dest];
    const parents: string[] = [];
    for (let d = path.posix.dirname(dest); !SYSTEM_MOUNTS.has(d) && !made.has(d); d = path.posix.dirname(d))
      parents.unshift(d);
    for (const d of parents) {
      made.add(d);
      args.push('--perms', '0755', '--dir', d);
    }
    args.push(flag, src, dest);
  }
  return args;
}

/** /usr and what links into it (/lib, /bin… are symlinks on a merged-/usr Debian, folders elsewhere). */
function systemArgs(etc: string[], made: Set<string>): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const top of ['/lib', '/lib64', '/lib32', '/libx32', '/bin', '/sbin']) {
    if (!existsSync(top)) continue;
    if (lstatSync(top).isSymbolicLink()) args.push('--symlink', readlinkSync(top), top);
    else args.push('--ro-bind', top, top);
  }
  args.push(...mountArgs('--ro-bind', ['/etc/ld.so.cache', '/etc/alternatives', ...etc].filter(existsSync), made));
  return args;
}

function limitArgs(l: SandboxLimits): string[] {
  const mb = 1024 * 1024;
  return [
    '/usr/bin/prlimit',
    `--nproc=${l.processes}`,
    `--as=${l.memoryMb * mb}`,
    `--cpu=${l.cpuSeconds}`,
    `--fsize=${l.fileMb * mb}`,
    `--nofile=${l.openFiles ?? 256}`,
    '--core=0',
    '--',
  ];
}

/** Whether the rig runs as root (then bwrap runs without a user namespace and setpriv drops privileges). */
export function rigIsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The command line (bwrap and its arguments) that runs spec.argv in a sandbox. */
export function sandboxCommand(spec: SandboxSpec): { command: string; args: string[] } {
  const user = spec.user ?? NOBODY;
  const made = new Set<string>();
  const args = [
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(spec.network === 'none' ? ['--unshare-net'] : []),
    '--die-with-parent',
    '--new-session',
    '--hostname',
    'rig-sandbox',
    ...systemArgs(spec.etc ?? ETC_DEFAULT, made),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--perms',
    '1777',
    '--tmpfs',
    '/tmp',
    // After /tmp, so folders under the host's /tmp are mounted on top of the private one.
    ...mountArgs('--ro-bind', spec.readOnly, made),
    ...mountArgs('--bind', spec.writable, made),
    '--chdir',
    spec.cwd,
    '--clearenv',
  ];
  const env = { PATH: SANDBOX_PATH, HOME: spec.cwd, TMPDIR: '/tmp', LANG: 'C.UTF-8', ...spec.env };
  for (const [k, v] of Object.entries(env)) args.push('--setenv', k, v);
  if (rigIsRoot()) {
    // No user namespace: setpriv (with the capabilities bwrap leaves it) becomes the user and drops them all.
    args.push('--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', '--cap-add', 'CAP_SETPCAP', '--');
    args.push(...limitArgs(spec.limits), '/usr/bin/setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`);
    args.push('--clear-groups', '--no-new-privs', '--bounding-set=-all', '--inh-caps=-all', '--');
  } else {
    args.push('--unshare-user', '--uid', String(NOBODY.uid), '--gid', String(NOBODY.gid), '--');
    args.push(...limitArgs(spec.limits));
  }
  args.push(...spec.argv);
  return { command: 'bwrap', args };
}
