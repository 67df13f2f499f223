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

/**
 * The JSON an arduino-cli --json command printed. Results go to stdout; an error that ends the command early
 * (feedback.Fatal, internal/cli/feedback/feedback.go:178-206@v1.5.1) is `{"error": …}` on stderr with stdout
 * empty. Undefined when neither stream holds JSON.
 */
export function cliJson(r: CliResult): { data: unknown; stream: 'stdout' | 'stderr' } | undefined {
  for (const stream of ['stdout', 'stderr'] as const) {
    const text = r[stream].trim();
    if (!text.startsWith('{')) continue;
    try {
      return { data: JSON.parse(text) as unknown, stream };
    } catch {
      /* not JSON: try the other stream */
    }
  }
  return undefined;
}

/** The `error` and top-level `warnings` (feedback.go augment, :208-224@v1.5.1) of a --json answer. */
export function cliNotes(data: unknown): { error?: string; warnings: string[] } {
  if (!data || typeof data !== 'object') return { warnings: [] };
  const o = data as { error?: unknown; warnings?: unknown };
  const warnings = Array.isArray(o.warnings) ? o.warnings.filter((w): w is string => typeof w === 'string') : [];
  return { ...(typeof o.error === 'string' ? { error: o.error } : {}), warnings };
}

/** Parses a --json answer; a non-JSON answer or a fatal error on stderr is an error quoting the tool. */
export function parseJsonOutput(r: CliResult): unknown {
  const what = r.command.slice(1, 3).join(' ');
  const parsed = cliJson(r);
  if (!parsed)
    throw new TargetError('tool-output', `${what}: expected JSON from arduino-cli, got something else`, {
      command: r.command,
      toolMessage: toolOutput(r),
    });
  const { error, warnings } = cliNotes(parsed.data);
  if (parsed.stream === 'stderr' || (r.exitCode !== 0 && error)) {
    throw new TargetError('setup-failed', `arduino-cli ${what} failed (exit ${r.exitCode}): ${error ?? 'no message'}`, {
      command: r.command,
      toolMessage: [error, ...warnings].filter(Boolean).join('\n'),
    });
  }
  return parsed.data;
}
