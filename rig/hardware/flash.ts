// Uploads a built image with arduino-cli, classifies failures as infrastructure errors quoting the
// uploader (esptool / bossac), and remembers which image each physical board carries.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { runCli, toolOutput } from './cli.ts';
import { TargetError, type TargetErrorKind } from '../errors.ts';

export interface UploadRequest {
  port: string;
  fqbn: string;
  buildDir: string;
  /**
   * The sketch.yaml profile the image was built with, and the sketch folder holding it: the upload then uses the
   * profile's pinned platform tools too (internal/cli/upload/upload.go:107-115@v1.5.1). Without them: -b FQBN and
   * the globally installed platform.
   */
  profile?: { name: string; sketchPath: string };
  timeoutMs: number;
  cli?: string;
  signal?: AbortSignal;
}

export interface UploadResult {
  command: string[];
  output: string;
  durationMs: number;
}

/** `arduino-cli upload` arguments (--input-dir: upload.go:73-74@v1.5.1, the same flag as --build-path). */
export function uploadArgs(r: Pick<UploadRequest, 'port' | 'fqbn' | 'buildDir' | 'profile'>): string[] {
  if (r.profile)
    return ['upload', '--profile', r.profile.name, '-p', r.port, '--input-dir', r.buildDir, r.profile.sketchPath];
  return ['upload', '-p', r.port, '-b', r.fqbn, '--input-dir', r.buildDir];
}

export async function uploadImage(req: UploadRequest): Promise<UploadResult> {
  const r = await runCli(uploadArgs(req), { cli: req.cli, signal: req.signal, timeoutMs: req.timeoutMs });
  const output = toolOutput(r);
  if (r.canceled)
    throw new TargetError('generic', `upload to ${req.port} was cancelled`, {
      command: r.command,
      toolMessage: output,
    });
  if (r.timedOut) {
    throw new TargetError(
      'timeout',
      `upload to ${req.port} did not finish within ${req.timeoutMs} ms (uploadTimeoutMs)`,
      { command: r.command, toolMessage: output },
    );
  }
  if (r.exitCode !== 0) {
    const kind = classifyUploadFailure(output);
    throw new TargetError(kind, `upload to ${req.port} failed (${kind}): ${keyLine(output)}`, {
      command: r.command,
      toolMessage: output,
    });
  }
  return { command: r.command, output, durationMs: r.durationMs };
}

// Ordered: errno-bearing lines first, because esptool's headline ("the port is busy or doesn't
// exist") is the same for all three and only pyserial's errno tells them apart.
const RULES: Array<[TargetErrorKind, RegExp]> = [
  ['permission-denied', /Errno 13\]|Permission denied|EACCES/i],
  ['port-busy', /Errno 16\]|Device or resource busy|EBUSY|Cannot lock port|Resource temporarily unavailable/i],
  [
    'no-board',
    /Errno 2\]|No such file or directory|ENOENT|No device found on|Serial port not found|port doesn't exist/i,
  ],
  ['timeout', /Timed out waiting for packet header|No serial data received|Failed to connect to ESP|timed? ?out/i],
];

/** Which infrastructure problem an uploader's output describes. */
export function classifyUploadFailure(output: string): TargetErrorKind {
  for (const [kind, re] of RULES) if (re.test(output)) return kind;
  return 'generic';
}

/** The line a person would quote: the uploader's fatal line rather than arduino-cli's "exit status". */
function keyLine(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (
    lines.find((l) => /fatal|SerialException|No device found|Permission denied|Errno|could not open/i.test(l)) ??
    lines.find((l) => /error/i.test(l)) ??
    lines[lines.length - 1] ??
    'no output'
  );
}

// --- which image is on which board -----------------------------------------------------------
export const FlashRecord = z.object({
  board: z.string(),
  identity: z.string().describe('USB serial number or location the record is keyed by'),
  hash: z.string(),
  fqbn: z.string(),
  port: z.string(),
  at: z.string(),
});
export type FlashRecord = z.infer<typeof FlashRecord>;

/** One file per board so boards flashed in parallel never overwrite each other's record. */
export class FlashLedger {
  constructor(private readonly dir: string) {}

  private file(identity: string): string {
    return join(this.dir, `${identity.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  }

  async get(identity: string): Promise<FlashRecord | undefined> {
    try {
      return FlashRecord.parse(JSON.parse(await readFile(this.file(identity), 'utf8')));
    } catch {
      return undefined;
    }
  }

  async record(rec: FlashRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const f = this.file(rec.identity);
    await writeFile(`${f}.tmp`, JSON.stringify(rec, null, 2));
    await rename(`${f}.tmp`, f);
  }

  /** Called before every upload: a failed or interrupted upload leaves the board's content unknown. */
  async forget(identity: string): Promise<void> {
    await rm(this.file(identity), { force: true });
  }
}
