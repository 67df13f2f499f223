// Installs the cores and libraries the board profiles pin, through arduino-cli. Idempotent: it asks
// `core list` / `lib list` first and installs only what is missing or at another version, so a
// second run makes no downloads (and needs no network).
import { z } from 'zod';
import type { BoardProfile } from '../boards/profile.ts';
import { parseJsonOutput, runCli, toolOutput, type CliResult } from './cli.ts';
import { TargetError } from '../errors.ts';

// `core list --json`: coreListResult {platforms} (internal/cli/core/list.go:98-101@v1.5.1), not omitempty: nothing
// installed is {"platforms": []}; PlatformSummary id/installed_version (result/rpc.go:57-70). 0.x used `installed`.
const CoreList = z
  .object({
    platforms: z
      .array(
        z
          .object({ id: z.string(), installed_version: z.string().optional(), installed: z.string().optional() })
          .passthrough(),
      )
      .nullish(),
  })
  .passthrough();
// `lib list --json`: {installed_libraries:[{library:{name, version}}]} (internal/cli/lib/list.go:105-118@v1.5.1):
// nothing installed is [].
const LibList = z
  .object({
    installed_libraries: z
      .array(
        z
          .object({ library: z.object({ name: z.string(), version: z.string().optional() }).passthrough() })
          .passthrough(),
      )
      .nullish(),
  })
  .passthrough();

export interface SetupOptions {
  cli?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
}
export interface SetupReport {
  additionalUrls: string[];
  coresInstalled: string[];
  coresPresent: string[];
  librariesInstalled: string[];
  librariesPresent: string[];
}

export interface Requirements {
  cores: Map<string, { version: string; url?: string; boards: string[] }>;
  libraries: Map<string, { version: string; boards: string[] }>;
}

/** What the profiles need; two profiles pinning one core/library at different versions is an error. */
export function requirements(profiles: BoardProfile[]): Requirements {
  const cores: Requirements['cores'] = new Map();
  const libraries: Requirements['libraries'] = new Map();
  for (const p of profiles) {
    const hw = p.hardware;
    if (!hw) continue;
    const c = cores.get(hw.core.id);
    if (c && c.version !== hw.core.version) {
      throw new TargetError(
        'setup-failed',
        `boards ${c.boards.join(', ')} and ${p.id} pin ${hw.core.id} at ${c.version} and ${hw.core.version}; arduino-cli installs one version per platform (use a separate --config-dir per version)`,
      );
    }
    if (c) c.boards.push(p.id);
    else cores.set(hw.core.id, { version: hw.core.version, url: hw.core.url, boards: [p.id] });
    for (const spec of hw.libraries) {
      const at = spec.lastIndexOf('@');
      const name = spec.slice(0, at),
        version = spec.slice(at + 1);
      const l = libraries.get(name);
      if (l && l.version !== version)
        throw new TargetError(
          'setup-failed',
          `boards ${l.boards.join(', ')} and ${p.id} pin library ${name} at ${l.version} and ${version}`,
        );
      if (l) l.boards.push(p.id);
      else libraries.set(name, { version, boards: [p.id] });
    }
  }
  return { cores, libraries };
}

export async function setupHardware(profiles: BoardProfile[], o: SetupOptions = {}): Promise<SetupReport> {
  const log = o.log ?? (() => undefined);
  const req = requirements(profiles);
  const urls = [...new Set([...req.cores.values()].map((c) => c.url).filter((u): u is string => !!u))];
  // --additional-urls is a global flag needed on every command that resolves a 3rd-party platform.
  const global = urls.length ? ['--additional-urls', urls.join(',')] : [];
  const run = async (args: string[], timeoutMs: number): Promise<CliResult> => {
    const r = await runCli([...args, ...global], { cli: o.cli, signal: o.signal, timeoutMs });
    if (r.exitCode !== 0 || r.timedOut) {
      throw new TargetError(
        r.timedOut ? 'timeout' : 'setup-failed',
        `arduino-cli ${args.join(' ')} failed${r.timedOut ? ' (timed out)' : ''}`,
        { command: r.command, toolMessage: toolOutput(r) },
      );
    }
    return r;
  };

  const coreList = CoreList.parse(parseJsonOutput(await run(['core', 'list', '--json'], 60_000)));
  const haveCores = new Map((coreList.platforms ?? []).map((p) => [p.id, p.installed_version ?? p.installed ?? '']));
  const libList = LibList.parse(parseJsonOutput(await run(['lib', 'list', '--json'], 60_000)));
  const haveLibs = new Map((libList.installed_libraries ?? []).map((l) => [l.library.name, l.library.version ?? '']));

  const report: SetupReport = {
    additionalUrls: urls,
    coresInstalled: [],
    coresPresent: [],
    librariesInstalled: [],
    librariesPresent: [],
  };
  const coresToInstall = [...req.cores].filter(([id, c]) => haveCores.get(id) !== c.version);
  const libsToInstall = [...req.libraries].filter(([name, l]) => haveLibs.get(name) !== l.version);
  for (const [id, c] of req.cores) if (haveCores.get(id) === c.version) report.coresPresent.push(`${id}@${c.version}`);
  for (const [name, l] of req.libraries)
    if (haveLibs.get(name) === l.version) report.librariesPresent.push(`${name}@${l.version}`);

  if (coresToInstall.length || libsToInstall.length) {
    log('arduino-cli core update-index');
    await run(['core', 'update-index'], 10 * 60_000);
  }
  for (const [id, c] of coresToInstall) {
    log(`installing core ${id}@${c.version} (for ${c.boards.join(', ')})`);
    await run(['core', 'install', `${id}@${c.version}`], 30 * 60_000); // ESP32 toolchains are ~hundreds of MB
    report.coresInstalled.push(`${id}@${c.version}`);
  }
  if (libsToInstall.length) await run(['lib', 'update-index'], 10 * 60_000);
  for (const [name, l] of libsToInstall) {
    log(`installing library ${name}@${l.version} (for ${l.boards.join(', ')})`);
    // --no-deps: profiles pin every library themselves; a dependency pulled at "latest" would
    // silently replace a pinned one (ArduinoBearSSL depends on ArduinoECCX08).
    await run(['lib', 'install', '--no-deps', `${name}@${l.version}`], 10 * 60_000);
    report.librariesInstalled.push(`${name}@${l.version}`);
  }
  return report;
}
