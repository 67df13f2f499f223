// Optional bubblewrap sandbox for twin processes.
//
// What it does: new user (uid 65534), pid, ipc, uts and cgroup namespaces; a read-only view of /usr (plus the
// /lib,/bin symlinks and ld.so.cache) and of the twin binary's folder; a private /tmp; only the run's workDir
// is writable; the process dies with the rig (--die-with-parent) and gets its own session (no TIOCSTI into the
// rig's terminal). The host /dev is bound whole: the pty must come from the host's devpts so the rig can open it
// (a private devpts, or a bound /dev/ptmx under a tmpfs /dev, fails with ENOENT here).
// What it does not do: the network namespace is the host's (the broker listens on loopback), so a sketch can
// reach any address the rig can; no CPU/memory limits (no cgroups); /dev nodes are limited only by permissions.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { existsSync, lstatSync, readlinkSync } from 'node:fs';

let probed: { ok: boolean; reason: string } | undefined; // bwrap works or not: fixed for the life of the rig

/** Whether bwrap can create the namespaces here (no user namespaces in some containers/CI). */
export function sandboxAvailable(): { ok: boolean; reason: string } {
  if (probed) return probed;
  try {
    execFileSync(
      'bwrap',
      [
        '--unshare-all',
        '--share-net',
        '--ro-bind',
        '/',
        '/',
        '--dev-bind',
        '/dev',
        '/dev',
        '--uid',
        '65534',
        '--gid',
        '65534',
        'true',
      ],
      { stdio: 'pipe', timeout: 10_000 },
    );
    probed = { ok: true, reason: '' };
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    probed = { ok: false, reason: (err.stderr?.toString().trim() || err.message).split('\n')[0] };
  }
  return probed;
}

/** bwrap arguments that run `binary` with read access to its folder and write access to workDir only. */
export function sandboxArgs(
  binary: string,
  workDir: string,
  env: Record<string, string>,
  extraWritable: string[] = [],
  extraReadable: string[] = [],
): string[] {
  const args = ['--unshare-all', '--share-net', '--die-with-parent', '--new-session', '--ro-bind', '/usr', '/usr'];
  for (const top of ['/lib', '/lib64', '/bin', '/sbin', '/lib32']) {
    if (!existsSync(top)) continue;
    if (lstatSync(top).isSymbolicLink()) args.push('--symlink', readlinkSync(top), top);
    else args.push('--ro-bind', top, top);
  }
  if (existsSync('/etc/ld.so.cache')) args.push('--ro-bind', '/etc/ld.so.cache', '/etc/ld.so.cache');
  args.push('--proc', '/proc', '--dev-bind', '/dev', '/dev', '--tmpfs', '/tmp');
  args.push('--ro-bind', path.dirname(binary), path.dirname(binary), '--bind', workDir, workDir);
  for (const dir of extraWritable) if (!dir.startsWith(`${workDir}/`) && dir !== workDir) args.push('--bind', dir, dir);
  // After --tmpfs /tmp, so folders under the host's /tmp are mounted on top of the private one.
  for (const dir of extraReadable) args.push('--ro-bind', dir, dir);
  args.push('--chdir', workDir);
  args.push('--uid', '65534', '--gid', '65534', '--clearenv');
  for (const [k, v] of Object.entries(env)) args.push('--setenv', k, v);
  args.push(binary);
  return args;
}
