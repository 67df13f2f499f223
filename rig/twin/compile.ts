// Running g++ for the twin: at most two compilers at once (shared 2-core machine), errors kept typed.
import { execa } from 'execa';
import { sandboxedCompiler, sandboxSupport } from '../sandbox/index.ts';

export type TwinBuildErrorKind = 'compile' | 'link' | 'unsupported' | 'toolchain';

export class TwinBuildError extends Error {
  constructor(
    readonly kind: TwinBuildErrorKind,
    message: string,
    readonly firstErrors: string[],
    readonly log: string,
  ) {
    super(message);
    this.name = 'TwinBuildError';
  }
}

/** A sketch uses something the twin cannot emulate faithfully (e.g. WINC1500 TLS offload). */
export class TwinUnsupportedError extends TwinBuildError {
  constructor(
    message: string,
    readonly feature: string,
    readonly file: string,
    /** The compiler's log when the compiler said so (rig/twin/unsupported.ts unsupportedFromCompiler). */
    log = '',
  ) {
    super('unsupported', message, [message], log);
    this.name = 'TwinUnsupportedError';
  }
}

/**
 * The sketch calls a method the imitated release does not have (its version row's missingApis): the compiler's own
 * "has no member named" error, as arduino-cli would report it for that core. A property of the sketch and the
 * release, not of the rig: the cell's outcome is build/failed, not an infrastructure error.
 */
export class TwinMissingApiError extends TwinBuildError {
  constructor(
    message: string,
    readonly api: string,
    readonly release: string,
    firstErrors: string[],
    log: string,
  ) {
    super('compile', message, firstErrors, log);
    this.name = 'TwinMissingApiError';
  }
}

export const MAX_PARALLEL_COMPILES = 2;

export interface CompileResult {
  ok: boolean;
  output: string;
  command: string;
}

/** Most compiler output kept (a sketch can make g++ print without end). */
const MAX_COMPILER_OUTPUT = 1024 * 1024;

/**
 * Runs g++ on a sketch or the host core: in the rig's sandbox (rig/sandbox/compiler.ts: only /usr, the include
 * folders, the inputs and the output folder) when this machine has one, else as is.
 */
export async function runCompiler(args: string[], cwd: string): Promise<CompileResult> {
  const command = `g++ ${args.join(' ')}`;
  const box = sandboxSupport().ok ? sandboxedCompiler('/usr/bin/g++', args, cwd) : undefined;
  try {
    const r = await execa(box?.command ?? 'g++', box?.args ?? args, {
      cwd,
      reject: false,
      all: true,
      env: { LC_ALL: 'C' },
      extendEnv: !box,
      maxBuffer: MAX_COMPILER_OUTPUT,
    });
    return { ok: r.exitCode === 0, output: r.all ?? '', command };
  } catch (e) {
    throw new TwinBuildError('toolchain', `cannot run g++: ${(e as Error).message}`, [], command);
  } finally {
    box?.done();
  }
}

/** Runs jobs with a concurrency limit, keeping result order. */
export async function pool<T, R>(items: T[], limit: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      results[i] = await job(items[i]);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The compiler's first error lines (with their file:line prefix), for messages and reports. */
export function firstErrors(output: string, max = 8): string[] {
  const lines = output.split('\n').filter((l) => /\berror\b|undefined reference|fatal/.test(l));
  return lines.slice(0, max);
}
