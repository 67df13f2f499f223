// Whether this machine can give the rig's sandbox its guarantees: bubblewrap present, namespaces allowed (not in
// every container or CI), a network namespace of its own. Probed once per process by running the real sandbox.
import { execFileSync } from 'node:child_process';
import { sandboxCommand, type SandboxSpec } from './command.ts';

export interface SandboxSupport {
  /** bwrap runs code unprivileged in its own namespaces here. */
  ok: boolean;
  /** Why not, in the tool's words. */
  reason: string;
  /** A sandbox can also have its own network namespace. */
  network: boolean;
  networkReason: string;
}

let probed: SandboxSupport | undefined;

const PROBE: Omit<SandboxSpec, 'network'> = {
  argv: ['/bin/sh', '-c', 'test "$(id -u)" != 0'],
  cwd: '/',
  limits: { processes: 64, memoryMb: 256, cpuSeconds: 5, fileMb: 1 },
};

function attempt(spec: SandboxSpec): string {
  const { command, args } = sandboxCommand(spec);
  try {
    execFileSync(command, args, { stdio: 'pipe', timeout: 10_000 });
    return '';
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string; code?: string };
    if (err.code === 'ENOENT') return 'bubblewrap (bwrap) is not installed: apt-get install bubblewrap';
    return (err.stderr?.toString().trim() || err.message).split('\n')[0] ?? 'failed';
  }
}

/** What the sandbox can guarantee here (cached for the life of the process). */
export function sandboxSupport(): SandboxSupport {
  if (probed) return probed;
  const host = attempt({ ...PROBE, network: 'host' });
  const none = host ? host : attempt({ ...PROBE, network: 'none' });
  probed = { ok: !host, reason: host, network: !none, networkReason: none };
  return probed;
}

/** For tests: forget the probe (e.g. after PATH changed). */
export function resetSandboxProbe(): void {
  probed = undefined;
}
