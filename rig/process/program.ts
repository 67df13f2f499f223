// A short-lived program run through the spawner (spawner.ts): its output collected, an optional deadline, stdin
// given or closed. For the programs a run starts per session or cell (mosquitto_sub/pub, mosquitto_passwd), where
// a fork from the rig's own thread cost more than the program's whole run.
import { spawnChild, type OwnedChild, type ProcessExit } from './spawner.ts';

export interface ProgramSpec {
  command: string;
  args: string[];
  /** Added to the rig's environment. */
  env?: Record<string, string>;
  cwd?: string;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  input?: string;
  /** SIGTERM after this long, SIGKILL 500 ms later; the result says timedOut. */
  timeoutMs?: number;
  /** Each chunk of stdout and stderr as it arrives. */
  onOutput?: (text: string) => void;
}

export interface ProgramResult extends ProcessExit {
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  all: string;
  timedOut: boolean;
}

export interface RunningProgram {
  child: OwnedChild;
  result: Promise<ProgramResult>;
}

/** Starts the program; `result` resolves when it ended (never rejects: a spawn failure is in `error`). */
export async function startProgram(spec: ProgramSpec): Promise<RunningProgram> {
  const child = await spawnChild({
    command: spec.command,
    args: spec.args,
    env: { ...process.env, ...spec.env },
    ...(spec.cwd ? { cwd: spec.cwd } : {}),
    stdin: spec.input !== undefined ? 'pipe' : 'ignore',
  });
  const out = { stdout: '', stderr: '', all: '' };
  for (const s of ['stdout', 'stderr'] as const)
    child[s].setEncoding('utf8').on('data', (t: string) => {
      out[s] += t;
      out.all += t;
      spec.onOutput?.(t);
    });
  child.stdin?.end(spec.input);
  let timedOut = false;
  const timers: NodeJS.Timeout[] = [];
  if (spec.timeoutMs !== undefined) {
    timers.push(
      setTimeout(() => {
        timedOut = true;
        child.kill('SIGTERM');
        timers.push(setTimeout(() => child.kill('SIGKILL'), 500));
      }, spec.timeoutMs),
    );
  }
  const result = child.closed.then((x) => {
    for (const t of timers) clearTimeout(t);
    return { ...x, ...out, timedOut };
  });
  return { child, result };
}

export async function runProgram(spec: ProgramSpec): Promise<ProgramResult> {
  return (await startProgram(spec)).result;
}
