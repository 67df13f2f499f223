// Starts a twin binary: world file, paused start on a pseudo-terminal, optional sandbox, clean shutdown.
// Protocol with boards/twin/core/main.cpp: stdout "PTY <path>", stdin "go\n" starts setup(), stdin EOF ends it.
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
import { onExit, ProcessStartError, startManaged } from '../process/index.ts';

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

export async function startTwin(o: StartTwinOptions): Promise<TwinProcess> {
  mkdirSync(o.workDir, { recursive: true });
  const workDir = path.resolve(o.workDir);
  const parsed = parseTwinWorld(o.world, path.join(workDir, 'world.json'));
  const factsFile = path.resolve(parsed.factsFile ?? path.join(workDir, 'facts.txt'));
  writeFileSync(factsFile, '');
  const worldFile = path.join(workDir, 'world.json');
  const env = { RIG_TWIN_WORLD: worldFile };
  const box = sandboxFor(o);
  // Secure-element keys live in the PKI cache's private folder, which the sandbox user cannot read and the
  // sandbox does not show: give the twin private copies outside the run folder (reports never see them).
  const secrets = box && parsed.eccSlots ? stageSecrets(parsed.eccSlots) : undefined;
  const flash = o.flash && Object.keys(o.flash).length ? stageFlash(o.flash) : undefined;
  const world = {
    ...parsed,
    ...(secrets ? { eccSlots: secrets.slots } : {}),
    ...(flash ? { flashDir: flash.dir } : {}),
  };
  writeFileSync(worldFile, JSON.stringify({ ...world, factsFile }, null, 2));
  const binary = path.resolve(o.binary);
  const readOnly = [...(secrets ? [secrets.dir] : []), ...(flash ? [flash.dir] : [])];
  const removeStaged = (): void => {
    secrets?.remove();
    flash?.remove();
  };
  const proc = await startManaged({
    command: box ? 'bwrap' : o.binary,
    args: box ? sandboxArgs(binary, workDir, env, [path.dirname(factsFile)], readOnly) : [],
    cwd: workDir,
    env: box ? { PATH: process.env.PATH ?? '/usr/bin:/bin' } : { ...process.env, ...env },
    stdin: 'pipe',
    ready: { line: /^PTY (\S+)$/, timeoutMs: o.startTimeoutMs ?? 10_000 },
    // stdin EOF ends the board's loop; SIGTERM and SIGKILL for one that does not listen.
    stop: { closeStdin: true, termAfterMs: 500, killAfterMs: 3000 },
  }).catch((e: unknown) => {
    removeStaged();
    throw startError(o, e);
  });
  void proc.exited.then(removeStaged);
  const exited = proc.exited.then((x) => (box ? unwrapSandboxExit(x) : { code: x.code, signal: x.signal }));
  // Under bwrap the child is bwrap; the board is its descendant. For RSS, find the process whose exe is the binary.
  const boardPid = (): number | undefined => (box ? findDescendant(proc.pid, binary) : proc.pid);
  return {
    pid: proc.pid,
    ptyPath: proc.readyMatch![1]!,
    sandboxed: box,
    worldFile,
    factsFile,
    go: () => {
      proc.child.stdin!.write('go\n');
    },
    exited,
    kill: async () => {
      await proc.stop();
    },
    facts: () =>
      readFileSync(factsFile, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0),
    stderr: () => proc.output('stderr'),
    rssKb: () => rssKb(boardPid()),
  };
}

/** Whether this twin runs under bubblewrap: asked for and available (else a warning, and it runs unsandboxed). */
function sandboxFor(o: StartTwinOptions): boolean {
  if (!o.sandbox) return false;
  const probe = sandboxAvailable();
  if (probe.ok) return true;
  const warn = o.warn ?? ((m: string) => console.warn(m));
  warn(`twin: bubblewrap sandbox unavailable (${probe.reason}); running ${path.basename(o.binary)} unsandboxed`);
  return false;
}

function startError(o: StartTwinOptions, e: unknown): Error {
  if (!(e instanceof ProcessStartError)) return e as Error;
  const stderr = e.stderr.trim();
  if (e.reason === 'spawn') return new Error(`twin ${o.binary}: ${e.message}`);
  if (e.reason === 'timeout')
    return new Error(`twin ${o.binary}: no PTY line within ${o.startTimeoutMs ?? 10_000} ms; stderr: ${stderr}`);
  const x = e.exit;
  return new Error(
    `twin ${o.binary} exited before opening its port (code ${x?.code}, signal ${x?.signal}); stderr: ${stderr}`,
  );
}

function rssKb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
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
function stageSecrets(slots: Record<string, string>): {
  dir: string;
  slots: Record<string, string>;
  remove: () => void;
} {
  const dir = mkdtempSync(path.join(tmpdir(), 'rig-twin-secrets-'));
  const out: Record<string, string> = {};
  for (const [slot, file] of Object.entries(slots)) {
    const copy = path.join(dir, `slot-${slot}.pem`);
    copyFileSync(file, copy);
    chmodSync(copy, 0o400);
    out[slot] = copy;
  }
  const remove = (): void => {
    offExit();
    rmSync(dir, { recursive: true, force: true });
  };
  const offExit = onExit(remove);
  return { dir, slots: out, remove };
}

/** The flash files in a fresh 0700 folder, one host file per flash path (the twin's core/host/twin_fs.cpp reads it). */
function stageFlash(files: Record<string, Buffer>): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'rig-twin-flash-'));
  const remove = (): void => {
    offExit();
    rmSync(dir, { recursive: true, force: true });
  };
  const offExit = onExit(remove);
  try {
    for (const [p, bytes] of Object.entries(files)) {
      const rel = p.replace(/^\/+/, '');
      if (!rel || rel.split('/').some((seg) => seg === '..' || seg === '.' || seg === ''))
        throw new Error(`flash file "${p}": not a plain path`);
      const file = path.join(dir, rel);
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, bytes, { mode: 0o600 });
    }
  } catch (e) {
    remove();
    throw e;
  }
  return { dir, remove };
}
