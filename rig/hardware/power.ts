// Power-cycling a board that stopped answering: its USB hub port through uhubctl (Debian's package, 2.5.0 in
// bookworm), or a relay command from the lab inventory. uhubctl's contract (mvp/uhubctl uhubctl.c@v2.5.0):
// `uhubctl -l <hub location> -p <port> -a off|on|cycle [-d <seconds off>]`; it prints "Current status for hub
// <location> [<description>]", the port lines, "Sent power off request" / "Sent power on request" (:1183-1221) and
// exits 0; "No compatible devices detected at location X!" exits 1 (:1150-1158). When it may not open the hub
// (no udev rule, not root) it still exits 0 but never prints "Sent power … request" (:1190-1233), so that
// line, not the exit code, is the proof the port was switched.
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { z } from 'zod';
import { TargetError } from '../errors.ts';
import { fillVars } from '../format/index.ts';

export const PowerControl = z.union([
  z
    .object({
      hub: z
        .string()
        .regex(/^\d+(-\d+(\.\d+)*)?$/, 'a uhubctl hub location such as 1-1.4 (`uhubctl` lists them)')
        .describe('uhubctl -l: the hub the board hangs off'),
      port: z.number().int().min(1).max(15).describe('uhubctl -p: the hub port (1-based)'),
      offSeconds: z.number().min(0).max(60).default(2).describe('uhubctl -d: how long the port stays off'),
    })
    .strict(),
  z
    .object({
      command: z.array(z.string().min(1)).min(1).describe('A relay command as argv; {{action}} becomes off, then on'),
      offSeconds: z.number().min(0).max(60).default(2),
    })
    .strict(),
]);
export type PowerControl = z.infer<typeof PowerControl>;

export interface PowerOptions {
  /** uhubctl binary (default $RIG_UHUBCTL, else "uhubctl" on PATH). */
  uhubctl?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface PowerCycle {
  command: string[][];
  output: string;
}

/** Switches the board's power off and on again; throws a TargetError quoting the tool when it could not. */
export async function powerCycle(board: string, p: PowerControl, o: PowerOptions = {}): Promise<PowerCycle> {
  if ('hub' in p) {
    const bin = o.uhubctl ?? process.env.RIG_UHUBCTL ?? 'uhubctl';
    const args = ['-l', p.hub, '-p', String(p.port), '-a', 'cycle', '-d', String(p.offSeconds)];
    const out = await run(board, [bin, ...args], o);
    // uhubctl.c:1217: printed only once the hub was opened and the request sent.
    if (!/^Sent power on request$/m.test(out))
      throw new TargetError('permission-denied', `uhubctl did not switch hub ${p.hub} port ${p.port} for ${board}`, {
        command: [bin, ...args],
        toolMessage: out || '(no output: it may not open the hub; see docs/hardware.md, "Power-cycling")',
      });
    return { command: [[bin, ...args]], output: out };
  }
  const argv = (action: string): string[] => p.command.map((a) => fillVars(a, { action }));
  const off = await run(board, argv('off'), o);
  await sleep(p.offSeconds * 1000, undefined, { signal: o.signal });
  const on = await run(board, argv('on'), o);
  return { command: [argv('off'), argv('on')], output: [off, on].filter(Boolean).join('\n') };
}

async function run(board: string, argv: string[], o: PowerOptions): Promise<string> {
  const [bin, ...args] = argv as [string, ...string[]];
  const r = await execa(bin, args, {
    reject: false,
    timeout: o.timeoutMs ?? 30_000,
    cancelSignal: o.signal,
    stdin: 'ignore',
    all: true,
  });
  const out = String(r.all ?? '').trim();
  if (r.code === 'ENOENT' || r.code === 'EACCES')
    throw new TargetError(
      'tool-missing',
      `cannot power-cycle ${board}: cannot run ${bin}: ${r.code} (apt install uhubctl)`,
      {
        command: argv,
      },
    );
  if (r.exitCode !== 0 || r.timedOut)
    throw new TargetError(
      'no-board',
      `power-cycling ${board} failed: ${argv.join(' ')} ${r.timedOut ? 'timed out' : `exited ${r.exitCode}`}`,
      {
        command: argv,
        toolMessage: out,
      },
    );
  return out;
}
