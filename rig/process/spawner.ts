// Where the rig's long-lived children come from: spawner.c, one small process per rig that forks them, so the
// rig's thread does not pay for copying its own page tables on each child (~5-20 ms from a 150 MB Node process,
// measured; the spawner's fork is well under 1 ms). The children's stdio are Unix socket connections the child
// opens to the rig before exec, each introduced by its id and stream. Without gcc or a short enough socket path
// the rig spawns them itself, the same way to its callers.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createInterface, type Interface } from 'node:readline';
import { projectPaths } from '../project.ts';
import { cProgram } from './c-program.ts';
import { ownedTempDir, type OwnedDir } from './tempdir.ts';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The process could not be spawned (ENOENT, EACCES). */
  error?: Error;
}

export interface ChildSpec {
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdin: 'pipe' | 'ignore';
}

/** A child in its own session with piped output, however it was spawned. */
export interface OwnedChild {
  /** -1 when it could not start. */
  readonly pid: number;
  readonly stdin: Writable | undefined;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves once it ended and its output streams closed: whoever spawns it reads both (or resumes them). */
  readonly closed: Promise<ProcessExit>;
  running(): boolean;
  kill(signal: NodeJS.Signals): void;
}

const SOURCE = fileURLToPath(new URL('./spawner.c', import.meta.url));
/** sun_path holds 108 bytes with its terminating zero. */
const MAX_SOCKET_PATH = 107;

/** Spawns `spec` through this process's spawner, or directly where there is none. */
export async function spawnChild(spec: ChildSpec): Promise<OwnedChild> {
  const s = await spawnerOnce();
  return s ? s.spawn(spec) : spawnDirect(spec);
}

let current: Promise<Spawner | undefined> | undefined;

/** The process's spawner, started at first use and again after it died; undefined where it cannot run. */
function spawnerOnce(): Promise<Spawner | undefined> {
  current ??= Spawner.start().then(
    (s) => {
      void s.gone.then(() => (current = undefined));
      return s;
    },
    () => undefined,
  );
  return current;
}

/** child_process.spawn, detached into its own session: the fallback where there is no spawner. */
export function spawnDirect(spec: ChildSpec): OwnedChild {
  const child: ChildProcess = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    stdio: [spec.stdin, 'pipe', 'pipe'],
    detached: true,
  });
  const closed = new Promise<ProcessExit>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  });
  child.stdin?.on('error', () => {
    /* the process may be gone already */
  });
  return {
    pid: child.pid ?? -1,
    stdin: child.stdin ?? undefined,
    stdout: child.stdout!,
    stderr: child.stderr!,
    closed,
    running: () => child.exitCode === null && child.signalCode === null && child.pid !== undefined,
    kill: (sig) => void child.kill(sig),
  };
}

/** What the rig knows of one child of the spawner, from request to close. */
interface Entry {
  readonly id: number;
  readonly spec: ChildSpec;
  /** stdin, stdout, stderr as they connect. */
  readonly streams: (Socket | undefined)[];
  pid?: number;
  exit?: ProcessExit;
  handedOver: boolean;
  openOutputs: number;
  start(c: OwnedChild): void;
  close(x: ProcessExit): void;
  readonly closed: Promise<ProcessExit>;
}

class Spawner {
  private readonly entries = new Map<number, Entry>();
  private nextId = 1;
  /** Resolves when the spawner process is gone. */
  readonly gone: Promise<void>;

  private constructor(
    private readonly proc: ChildProcess,
    lines: Interface,
    server: Server,
    dir: OwnedDir,
  ) {
    server.on('connection', (s) => this.introduce(s));
    server.unref();
    proc.unref();
    proc.stdin!.on('error', () => undefined);
    lines.on('line', (l) => this.event(l));
    this.gone = new Promise((resolve) => proc.once('close', () => resolve()));
    void this.gone.then(() => {
      server.close();
      dir.remove();
      this.lost();
    });
    this.refWhileBusy();
  }

  static async start(): Promise<Spawner> {
    const bin = await cProgram(SOURCE, 'spawner', path.join(projectPaths().cache, 'process'));
    const dir = ownedTempDir('rig-spawner-');
    const sock = path.join(dir.dir, 's');
    try {
      if (sock.length > MAX_SOCKET_PATH) throw new Error(`socket path too long: ${sock}`);
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(sock, () => resolve());
      });
      const proc = spawn(bin, [sock, String(process.pid)], { stdio: ['pipe', 'pipe', 'inherit'] });
      const lines = createInterface({ input: proc.stdout! });
      await ready(proc, lines).catch((e: unknown) => {
        server.close();
        throw e;
      });
      return new Spawner(proc, lines, server, dir);
    } catch (e) {
      dir.remove();
      throw e;
    }
  }

  spawn(spec: ChildSpec): Promise<OwnedChild> {
    const id = this.nextId++;
    const env = Object.entries(spec.env ?? process.env)
      .filter((kv): kv is [string, string] => kv[1] !== undefined)
      .map(([k, v]) => `${k}=${v}`);
    const fields = [String(id), spec.stdin === 'pipe' ? '1' : '0', spec.cwd ?? '', String(spec.args.length + 1)];
    fields.push(spec.command, ...spec.args, String(env.length), ...env);
    const body = Buffer.from(`S${fields.map((f) => `${f}\0`).join('')}`);
    const head = Buffer.alloc(4);
    head.writeUInt32LE(body.length);
    const started = new Promise<OwnedChild>((resolve) => {
      let close: (x: ProcessExit) => void = () => undefined;
      const closed = new Promise<ProcessExit>((r) => (close = r));
      this.entries.set(id, { id, spec, streams: [], handedOver: false, openOutputs: 2, start: resolve, close, closed });
    });
    this.refWhileBusy();
    this.proc.stdin!.write(Buffer.concat([head, body]));
    return started;
  }

  /** A child's stdio connection: its 5-byte header says whose and which. */
  private introduce(s: Socket): void {
    s.on('error', () => undefined);
    const onReadable = (): void => {
      const h = s.read(5) as Buffer | null;
      if (!h) return;
      s.off('readable', onReadable);
      if (h.length < 5) return void s.destroy();
      const e = this.entries.get(h.readUInt32LE(0));
      const stream = h[4]!;
      if (!e || stream > 2 || e.streams[stream]) return void s.destroy();
      e.streams[stream] = s;
      if (stream > 0) s.once('close', () => (e.openOutputs--, this.tryFinish(e)));
      this.tryHandOver(e);
    };
    s.on('readable', onReadable);
  }

  /** One line of the spawner: P id pid (running), E id errno (could not start), X id code signal (ended). */
  private event(line: string): void {
    const [kind, idText, a = '', b = ''] = line.split(' ');
    const e = this.entries.get(Number(idText));
    if (!e) return;
    if (kind === 'P') {
      e.pid = Number(a);
      this.tryHandOver(e);
    } else if (kind === 'E') {
      this.fail(e, spawnError(e.spec.command, Number(a)));
    } else if (kind === 'X') {
      const code = Number(a);
      e.exit = code >= 0 ? { code, signal: null } : { code: null, signal: signalName(Number(b)) };
      this.tryFinish(e);
    }
  }

  private tryHandOver(e: Entry): void {
    const want = e.spec.stdin === 'pipe' ? [0, 1, 2] : [1, 2];
    if (e.handedOver || e.pid === undefined || !want.every((i) => e.streams[i])) return;
    e.handedOver = true;
    const pid = e.pid;
    e.streams[0]?.on('error', () => undefined);
    e.start({
      pid,
      stdin: e.streams[0],
      stdout: e.streams[1]!,
      stderr: e.streams[2]!,
      closed: e.closed,
      running: () => e.exit === undefined,
      kill: (sig) => {
        if (e.exit !== undefined) return;
        try {
          process.kill(pid, sig);
        } catch {
          /* ended, its report on the way */
        }
      },
    });
    this.tryFinish(e);
  }

  private tryFinish(e: Entry): void {
    if (!e.handedOver || !e.exit || e.openOutputs > 0) return;
    this.entries.delete(e.id);
    e.close(e.exit);
    this.refWhileBusy();
  }

  private fail(e: Entry, error: Error): void {
    this.entries.delete(e.id);
    for (const s of e.streams) s?.destroy();
    e.start(failedChild(error));
    this.refWhileBusy();
  }

  /** The spawner died (its children die with it): every child it held has ended. */
  private lost(): void {
    for (const e of [...this.entries.values()]) {
      if (!e.handedOver) this.fail(e, new Error(`spawn ${e.spec.command}: the rig's spawner ended`));
      else {
        e.exit ??= { code: null, signal: 'SIGKILL' };
        this.tryFinish(e);
      }
    }
  }

  /** The spawner's events keep the rig alive only while it has children to report on. */
  private refWhileBusy(): void {
    const out = this.proc.stdout as Socket;
    if (this.entries.size > 0) out.ref();
    else out.unref();
  }
}

/** The spawner's first line says it runs; a spawner that cannot start or dies at once leaves the rig to spawn. */
function ready(proc: ChildProcess, lines: Interface): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error('the spawner did not start within 5 s')), 5000);
    proc.once('error', reject);
    proc.once('close', () => reject(new Error('the spawner ended at its start')));
    lines.once('line', (l) => (l === 'R' ? resolve() : reject(new Error(`the spawner said "${l}" at its start`))));
  }).finally(() => {
    clearTimeout(timer);
    proc.removeAllListeners('error').on('error', () => undefined);
  });
}

function failedChild(error: Error): OwnedChild {
  return {
    pid: -1,
    stdin: undefined,
    stdout: Readable.from([]),
    stderr: Readable.from([]),
    closed: Promise.resolve({ code: null, signal: null, error }),
    running: () => false,
    kill: () => undefined,
  };
}

/** The error child_process would give: "spawn CMD ENOENT" with its code. */
function spawnError(command: string, errno: number): Error {
  const name = Object.entries(os.constants.errno).find(([, n]) => n === errno)?.[0] ?? `E${errno}`;
  return Object.assign(new Error(`spawn ${command} ${name}`), {
    code: name,
    errno: -errno,
    syscall: `spawn ${command}`,
    path: command,
  });
}

function signalName(n: number): NodeJS.Signals {
  const found = Object.entries(os.constants.signals).find(([, v]) => v === n);
  return (found?.[0] ?? 'SIGKILL') as NodeJS.Signals;
}
