// Starts a twin binary: world file, paused start on a pseudo-terminal, optional sandbox, clean shutdown.
// Protocol with boards/twin/core/main.cpp: stdout "PTY <path>", stdin "go\n" starts setup(), stdin EOF ends it.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import path from 'node:path';
import { parseTwinWorld, type TwinWorld } from './world.ts';
import { sandboxArgs, sandboxAvailable } from './sandbox.ts';

export interface StartTwinOptions {
  binary: string;
  world: TwinWorld;
  workDir: string;
  /** Run under bubblewrap when available (falls back with a warning). Default false. */
  sandbox?: boolean;
  /** How long to wait for the "PTY" line. */
  startTimeoutMs?: number;
  /** Warning sink (default console.warn). */
  warn?: (msg: string) => void;
  /**
   * The board's flash file system (SPIFFS/LittleFS): path ("/ca.crt") → bytes. Written to a private folder outside
   * the run folder (it may hold a private key) that the twin reads, removed when the twin exits.
   */
  flash?: Record<string, Buffer>;
}

export interface TwinExit {
  code: number | null;
  signal: string | null;
}

export interface TwinProcess {
  pid: number;
  ptyPath: string;
  /** True when the process runs under bwrap. */
  sandboxed: boolean;
  worldFile: string;
  factsFile: string;
  /** Starts the board (setup()); call after the serial port is open. */
  go(): void;
  exited: Promise<TwinExit>;
  /** Ends the board: stdin EOF, then SIGTERM, then SIGKILL. Resolves when it has exited. */
  kill(): Promise<void>;
  /** Facts written so far (twin::fact), one per entry. */
  facts(): string[];
  /** What the twin wrote on stderr (not the serial port). */
  stderr(): string;
  /** VmRSS of the twin process in kB, or undefined when gone. */
  rssKb(): number | undefined;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

// Boards must not outlive the rig: kill leftovers synchronously on exit (PR_SET_PDEATHSIG and bwrap
// --die-with-parent cover a crash of the rig itself).
function trackChild(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

export async function startTwin(o: StartTwinOptions): Promise<TwinProcess> {
  const warn = o.warn ?? ((m: string) => console.warn(m));
  mkdirSync(o.workDir, { recursive: true });
  const workDir = path.resolve(o.workDir);
  const parsed = parseTwinWorld(o.world, `for ${o.binary}`);
  const factsFile = path.resolve(parsed.factsFile ?? path.join(workDir, 'facts.txt'));
  writeFileSync(factsFile, '');
  const worldFile = path.join(workDir, 'world.json');
  const env = { RIG_TWIN_WORLD: worldFile };
  const sandboxOk = o.sandbox ? sandboxAvailable() : undefined;
  // Secure-element keys live in the PKI cache's private folder, which the sandbox user cannot read and the
  // sandbox does not show: give the twin private copies outside the run folder (reports never see them).
  const secrets = sandboxOk?.ok && parsed.eccSlots ? stageSecrets(parsed.eccSlots) : undefined;
  const flashDir = o.flash && Object.keys(o.flash).length ? stageFlash(o.flash) : undefined;
  const world = {
    ...parsed,
    ...(secrets ? { eccSlots: secrets.slots } : {}),
    ...(flashDir ? { flashDir } : {}),
  };
  writeFileSync(worldFile, JSON.stringify({ ...world, factsFile }, null, 2));

  let sandboxed = false;
  let command = o.binary;
  let args: string[] = [];
  if (o.sandbox && sandboxOk) {
    const probe = sandboxOk;
    if (probe.ok) {
      sandboxed = true;
      command = 'bwrap';
      const readable = [...(secrets ? [secrets.dir] : []), ...(flashDir ? [flashDir] : [])];
      args = sandboxArgs(path.resolve(o.binary), workDir, env, [path.dirname(factsFile)], readable);
    } else {
      warn(`twin: bubblewrap sandbox unavailable (${probe.reason}); running ${path.basename(o.binary)} unsandboxed`);
    }
  }
  const child = spawn(command, args, {
    cwd: workDir,
    env: sandboxed ? { PATH: process.env.PATH ?? '/usr/bin:/bin' } : { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  trackChild(child);
  if (secrets) child.once('exit', () => rmSync(secrets.dir, { recursive: true, force: true }));
  if (flashDir) child.once('exit', () => rmSync(flashDir, { recursive: true, force: true }));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    if (stderr.length < 65536) stderr += d;
  });
  child.stdin!.on('error', () => {
    /* the twin may be gone already */
  });
  const exited = new Promise<TwinExit>((resolve) => {
    child.once('exit', (code, signal) => resolve(sandboxed ? unwrapSandboxExit({ code, signal }) : { code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });

  const ptyPath = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`twin ${o.binary}: no PTY line within ${o.startTimeoutMs ?? 10_000} ms; stderr: ${stderr.trim()}`),
      );
    }, o.startTimeoutMs ?? 10_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /^PTY (\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`twin ${o.binary}: cannot start: ${e.message}`));
    });
    void exited.then((x) => {
      clearTimeout(timer);
      reject(
        new Error(
          `twin ${o.binary} exited before opening its port (code ${x.code}, signal ${x.signal}); stderr: ${stderr.trim()}`,
        ),
      );
    });
  });

  const pid = child.pid ?? -1;
  // Under bwrap, child.pid is bwrap; the board is its descendant. For RSS, find the process whose exe is the binary.
  const boardPid = (): number | undefined => (sandboxed ? findDescendant(pid, path.resolve(o.binary)) : pid);

  return {
    pid,
    ptyPath,
    sandboxed,
    worldFile,
    factsFile,
    go: () => {
      child.stdin!.write('go\n');
    },
    exited,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin!.end();
      const t1 = setTimeout(() => child.kill('SIGTERM'), 500);
      const t2 = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t1);
      clearTimeout(t2);
    },
    facts: () =>
      readFileSync(factsFile, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0),
    stderr: () => stderr,
    rssKb: () => {
      const p = boardPid();
      if (p === undefined) return undefined;
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
        return m ? Number(m[1]) : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

function findDescendant(root: number, exe: string): number | undefined {
  const queue = [root];
  while (queue.length) {
    const p = queue.shift()!;
    try {
      if (p !== root && readlinkSafe(`/proc/${p}/exe`) === exe) return p;
      for (const tid of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean))
        queue.push(Number(tid));
    } catch {
      /* gone */
    }
  }
  return undefined;
}

function readlinkSafe(p: string): string | undefined {
  try {
    return readlinkSync(p);
  } catch {
    return undefined;
  }
}

/** bwrap reports a child killed by signal N as exit code 128+N; give the signal back its name. */
function unwrapSandboxExit(x: TwinExit): TwinExit {
  if (x.code === null || x.code <= 128) return x;
  const name = Object.entries(osConstants.signals).find(([, n]) => n === x.code! - 128)?.[0];
  return name ? { code: null, signal: name } : x;
}

/**
 * Copies only the slot keys (not the CA's or anyone else's) into a fresh 0700 folder. The sandbox's uid 65534
 * lives in a user namespace that maps it to the rig's own uid outside, so owner-only files stay readable.
 */
function stageSecrets(slots: Record<string, string>): { dir: string; slots: Record<string, string> } {
  const dir = mkdtempSync(path.join(tmpdir(), 'rig-twin-secrets-'));
  const out: Record<string, string> = {};
  for (const [slot, file] of Object.entries(slots)) {
    const copy = path.join(dir, `slot-${slot}.pem`);
    copyFileSync(file, copy);
    chmodSync(copy, 0o400);
    out[slot] = copy;
  }
  return { dir, slots: out };
}

/** The flash files in a fresh 0700 folder, one host file per flash path (the twin's core/host/twin_fs.cpp reads it). */
function stageFlash(files: Record<string, Buffer>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'rig-twin-flash-'));
  for (const [p, bytes] of Object.entries(files)) {
    const rel = p.replace(/^\/+/, '');
    if (!rel || rel.split('/').some((seg) => seg === '..' || seg === '.' || seg === ''))
      throw new Error(`flash file "${p}": not a plain path`);
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, bytes, { mode: 0o600 });
  }
  return dir;
}
