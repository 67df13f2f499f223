// Runs arduino-cli (or the test fake) with a timeout and an abort signal; never throws for a
// non-zero exit, so callers can classify the tool's own message.
import { execa } from 'execa';
import { TargetError } from '../errors.ts';

export interface CliOptions {
  /** Path to arduino-cli; else $RIG_ARDUINO_CLI; else "arduino-cli" on PATH. */
  cli?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  env?: Record<string, string>;
}

export interface CliResult {
  command: string[];
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
  timedOut: boolean;
  canceled: boolean;
  durationMs: number;
}

function resolveCli(cli?: string): string {
  return cli ?? process.env.RIG_ARDUINO_CLI ?? 'arduino-cli';
}

export async function runCli(args: string[], o: CliOptions = {}): Promise<CliResult> {
  const bin = resolveCli(o.cli);
  const command = [bin, ...args];
  const started = performance.now();
  const r = await execa(bin, args, {
    reject: false,
    timeout: o.timeoutMs,
    cancelSignal: o.signal,
    forceKillAfterDelay: 2_000,
    env: o.env,
    stripFinalNewline: true,
    stdin: 'ignore',
  });
  if (r.code === 'ENOENT' || r.code === 'EACCES') {
    throw new TargetError('tool-missing', `cannot run ${bin}: ${r.code} (install arduino-cli or set RIG_ARDUINO_CLI)`, {
      command,
      toolMessage: r.originalMessage ?? '',
    });
  }
  return {
    command,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
    exitCode: r.exitCode,
    timedOut: r.timedOut,
    canceled: r.isCanceled,
    durationMs: Math.round(performance.now() - started),
  };
}

/** stdout and stderr joined, trimmed: what a person would have seen in the terminal. */
export function toolOutput(r: CliResult): string {
  return [r.stdout, r.stderr]
    .filter((s) => s.trim() !== '')
    .join('\n')
    .trim();
}

/** Parses a --json answer; a non-JSON answer is an infrastructure error quoting the tool. */
export function parseJsonOutput(r: CliResult): unknown {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new TargetError(
      'tool-output',
      `${r.command.slice(1, 3).join(' ')}: expected JSON from arduino-cli, got something else`,
      { command: r.command, toolMessage: toolOutput(r) },
    );
  }
}
