// Makes a Docker engine and a mosquitto image available without any image registry:
// Debian's dockerd (vfs storage, so it works without overlayfs) and an image imported from a
// debootstrap'ed Debian root with the mosquitto package in it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

export const LOCAL_IMAGE = 'rig-mosquitto:debian-bookworm';
const DOCKER_SOCKET = '/var/run/docker.sock';

export type DockerdStatus =
  { ok: true; started: boolean; socket: string; logFile?: string } | { ok: false; reason: string; logFile?: string };

/** True when `docker info` answers within the timeout. */
export async function dockerAnswers(timeoutMs = 5_000): Promise<boolean> {
  const r = await execa('docker', ['info', '--format', '{{.ServerVersion}}'], { reject: false, timeout: timeoutMs });
  return r.exitCode === 0 && r.stdout.trim() !== '';
}

/**
 * Starts `dockerd --storage-driver=vfs` in the background when no daemon answers.
 * Returns a reason string instead of throwing when it cannot (not root, no dockerd, daemon died).
 * The daemon is left running on purpose: it is machine infrastructure shared by later runs.
 */
export async function ensureDockerd(opts: { logFile?: string; timeoutMs?: number } = {}): Promise<DockerdStatus> {
  if (await dockerAnswers()) return { ok: true, started: false, socket: DOCKER_SOCKET };
  if (process.env.DOCKER_HOST) return { ok: false, reason: `DOCKER_HOST=${process.env.DOCKER_HOST} does not answer` };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { ok: false, reason: 'no Docker daemon answers and dockerd can only be started as root' };
  }
  const dockerd = ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((p) => existsSync(p));
  if (!dockerd)
    return { ok: false, reason: 'no Docker daemon answers and dockerd is not installed (apt-get install docker.io)' };
  const logFile = opts.logFile ?? join(cacheDir(), 'dockerd.log');
  mkdirSync(join(logFile, '..'), { recursive: true });
  const fd = openSync(logFile, 'a');
  const child = spawn(dockerd, ['--storage-driver=vfs'], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exited: number | null = null;
  child.on('exit', (code) => {
    exited = code ?? -1;
  });
  child.unref();
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (exited !== null) return { ok: false, reason: `dockerd exited with code ${exited}; see ${logFile}`, logFile };
    if (existsSync(DOCKER_SOCKET) && (await dockerAnswers(3_000)))
      return { ok: true, started: true, socket: DOCKER_SOCKET, logFile };
    await new Promise((r) => setTimeout(r, 250));
  }
  return { ok: false, reason: `dockerd did not answer within ${opts.timeoutMs ?? 30_000} ms; see ${logFile}`, logFile };
}

export async function imageExists(tag: string): Promise<boolean> {
  const r = await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', tag], { reject: false, timeout: 10_000 });
  return r.exitCode === 0;
}

export interface ImageBuildResult {
  tag: string;
  built: boolean;
  ms: number;
  rootfsTar: string;
  steps: Record<string, number>;
}

/**
 * Builds `rig-mosquitto:debian-bookworm` (idempotent: skips when the image exists).
 * The debootstrap'ed root is cached as a tarball so a wiped Docker store re-imports in seconds.
 * The image runs Debian's mosquitto as root, which drops to the package's `mosquitto` user after
 * reading the config, so files copied into the container must be world-readable.
 */
export async function buildLocalImage(
  opts: { tag?: string; suite?: string; mirror?: string; cache?: string; log?: (line: string) => void } = {},
): Promise<ImageBuildResult> {
  const tag = opts.tag ?? LOCAL_IMAGE;
  const suite = opts.suite ?? 'bookworm';
  const cache = opts.cache ?? cacheDir();
  const log = opts.log ?? (() => {});
  const rootfsTar = join(cache, `rig-mosquitto-${suite}.tar`);
  const t0 = Date.now();
  const steps: Record<string, number> = {};
  if (await imageExists(tag)) return { tag, built: false, ms: Date.now() - t0, rootfsTar, steps };
  mkdirSync(cache, { recursive: true });
  if (!existsSync(rootfsTar) || statSync(rootfsTar).size === 0) {
    const dir = join(cache, `rootfs-${suite}-${process.pid}`);
    rmSync(dir, { recursive: true, force: true });
    const t = Date.now();
    log(`debootstrap ${suite} into ${dir}`);
    const args = ['--variant=minbase', '--include=mosquitto', suite, dir];
    if (opts.mirror) args.push(opts.mirror);
    const r = await execa('debootstrap', args, { reject: false, all: true });
    if (r.exitCode !== 0) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`debootstrap failed (exit ${r.exitCode}): ${tail(r.all ?? '', 6)}`);
    }
    steps.debootstrap = Date.now() - t;
    // Slim the root: apt lists and caches are not needed to run mosquitto.
    for (const sub of ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man']) {
      await execa('sh', ['-c', `rm -rf ${JSON.stringify(join(dir, sub))}/*`], { reject: false });
    }
    const tt = Date.now();
    const tmpTar = `${rootfsTar}.tmp`;
    await execa('tar', ['-C', dir, '-cf', tmpTar, '.']);
    await execa('mv', [tmpTar, rootfsTar]);
    rmSync(dir, { recursive: true, force: true });
    steps.tar = Date.now() - tt;
  }
  const ti = Date.now();
  log(`docker import ${rootfsTar} ${tag}`);
  await execa('docker', [
    'import',
    '--change',
    'CMD ["/usr/sbin/mosquitto", "-c", "/mosquitto/config/mosquitto.conf"]',
    '--change',
    'EXPOSE 1883',
    '--change',
    'LABEL org.opencontainers.image.description="rig mosquitto from Debian packages"',
    rootfsTar,
    tag,
  ]);
  steps.import = Date.now() - ti;
  return { tag, built: true, ms: Date.now() - t0, rootfsTar, steps };
}

function cacheDir(): string {
  return process.env.RIG_CACHE_DIR
    ? join(process.env.RIG_CACHE_DIR, 'container')
    : join(homedir(), '.cache', 'rig', 'container');
}

function tail(text: string, n: number): string {
  return text.trim().split('\n').slice(-n).join(' | ');
}
