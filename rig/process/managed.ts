// A child process the rig owns: spawned, ready when a line of its output says so, stopped by escalation
// (stdin EOF, SIGTERM, SIGKILL), and killed when the rig exits. The broker, the twin launcher and the tests'
// odd servers all start their processes through it.
import type { Writable } from 'node:stream';
import { onExit } from './signals.ts';
import { spawnChild, type OwnedChild, type ProcessExit } from './spawner.ts';

export type { ProcessExit } from './spawner.ts';

export interface StopPolicy {
  /** End stdin first (a twin ends its loop at EOF). */
  closeStdin?: boolean;
  /** SIGTERM after this long (default at once). */
  termAfterMs?: number;
  /** Repeat SIGTERM this often (mosquitto sometimes ignores one right after start). */
  repeatTermMs?: number;
  /** SIGKILL after this long (default 5 s). */
  killAfterMs?: number;
}

export interface ManagedOptions {
  command: string;
  args?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  stdin?: 'pipe' | 'ignore';
  /** Ready when a complete output line matches (stdout and stderr); rejected after timeoutMs. */
  ready?: { line: RegExp; timeoutMs: number };
  stop?: StopPolicy;
  /** Every chunk of output as it arrives. */
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void;
}

export interface ManagedProcess {
  readonly pid: number;
  /** Its stdin, when started with stdin: 'pipe'. */
  readonly stdin: Writable | undefined;
  /** The line that made it ready. */
  readonly readyLine: string;
  readonly readyMatch: RegExpExecArray | undefined;
  /** Resolves once the process ended and its output pipes are drained. */
  readonly exited: Promise<ProcessExit>;
  running(): boolean;
  /** Ends it by the stop policy; resolves when it has exited. Idempotent. */
  stop(): Promise<ProcessExit>;
  /** What it wrote so far (the last 64 KiB of each stream). */
  output(stream: 'stdout' | 'stderr'): string;
}

/** Why a process never became ready: it could not start, it exited, or it said nothing in time. */
export class ProcessStartError extends Error {
  override name = 'ProcessStartError';
  constructor(
    readonly reason: 'spawn' | 'exited' | 'timeout',
    message: string,
    readonly exit?: ProcessExit,
    /** What the process wrote on stderr before it failed (its own explanation). */
    readonly stderr = '',
  ) {
    super(message);
  }
}

const KEEP = 65536;

export async function startManaged(o: ManagedOptions): Promise<ManagedProcess> {
  // Its own session: the terminal's Ctrl-C reaches the rig only, which stops its processes itself (a broker
  // killed by the terminal's SIGINT first would look like a broker that died).
  const child = await spawnChild({
    command: o.command,
    args: o.args ?? [],
    ...(o.cwd ? { cwd: o.cwd } : {}),
    ...(o.env ? { env: o.env } : {}),
    stdin: o.stdin ?? 'ignore',
  });
  const offExit = onExit(() => child.kill('SIGKILL'));
  const exited = child.closed;
  void exited.then(offExit);
  const out = { stdout: '', stderr: '' };
  const lines = new LineWatch();
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].setEncoding('utf8').on('data', (text: string) => {
      out[stream] = (out[stream] + text).slice(-KEEP);
      o.onOutput?.(text, stream);
      lines.push(stream, text);
    });
  }
  let ready: { line: string; match: RegExpExecArray | undefined };
  try {
    ready = o.ready ? await waitReady(lines, o.ready, exited) : { line: '', match: undefined };
  } catch (e) {
    if (child.running()) child.kill('SIGKILL');
    const exit = await exited;
    if (e instanceof ProcessStartError) throw new ProcessStartError(e.reason, e.message, e.exit ?? exit, out.stderr);
    throw e;
  }
  let stopping: Promise<ProcessExit> | undefined;
  return {
    pid: child.pid,
    stdin: child.stdin,
    readyLine: ready.line,
    readyMatch: ready.match,
    exited,
    running: () => child.running(),
    stop: () => (stopping ??= stopChild(child, o.stop ?? {})),
    output: (stream) => out[stream],
  };
}

async function stopChild(child: OwnedChild, p: StopPolicy): Promise<ProcessExit> {
  const exited = child.closed;
  if (!child.running()) return exited;
  if (p.closeStdin) child.stdin?.end();
  const timers: NodeJS.Timeout[] = [];
  const term = (): void => {
    child.kill('SIGTERM');
    if (p.repeatTermMs) timers.push(setInterval(() => child.kill('SIGTERM'), p.repeatTermMs));
  };
  if (p.termAfterMs) timers.push(setTimeout(term, p.termAfterMs));
  else term();
  timers.push(setTimeout(() => child.kill('SIGKILL'), p.killAfterMs ?? 5000));
  try {
    return await exited;
  } finally {
    for (const t of timers) clearTimeout(t);
  }
}

function waitReady(
  lines: LineWatch,
  ready: { line: RegExp; timeoutMs: number },
  exited: Promise<ProcessExit>,
): Promise<{ line: string; match: RegExpExecArray }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new ProcessStartError('timeout', `no line matching ${ready.line} within ${ready.timeoutMs} ms`)),
      ready.timeoutMs,
    );
    lines.watch = (line) => {
      const match = ready.line.exec(line);
      if (!match) return;
      clearTimeout(timer);
      lines.watch = undefined;
      resolve({ line, match });
    };
    void exited.then((x) => {
      clearTimeout(timer);
      if (x.error) reject(new ProcessStartError('spawn', `cannot start: ${x.error.message}`, x));
      else reject(new ProcessStartError('exited', `exited (code ${x.code}, signal ${x.signal}) before ready`, x));
    });
  });
}

/** Splits each stream into complete lines for the ready check (a chunk may end mid-line). */
class LineWatch {
  watch: ((line: string) => void) | undefined;
  private readonly partial = { stdout: '', stderr: '' };

  push(stream: 'stdout' | 'stderr', text: string): void {
    const parts = (this.partial[stream] + text).split('\n');
    this.partial[stream] = parts.pop() ?? '';
    for (const p of parts) this.watch?.(p.replace(/\r$/, ''));
  }
}
