// Builds one firmware image with arduino-cli into a per-image folder keyed by a content hash, so an
// unchanged image (sketch + secrets + FQBN + pinned core/library versions) is never rebuilt.
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import type { BoardProfile, HardwareProfile } from '../boards/profile.ts';
import { parseFqbn, withOptions } from '../boards/fqbn.ts';
import { cliJson, cliNotes, runCli, toolOutput, type CliResult } from './cli.ts';
import { TargetError } from '../errors.ts';
import { acquireLock } from './lock.ts';
import { profileName, renderSketchProject, sketchProject } from './sketch-project.ts';

// --- arduino-cli compile --json: compileResult (internal/cli/compile/compile.go:433-443@v1.5.1) and BuilderResult
// (internal/cli/feedback/result/rpc.go:913-1056@v1.5.1), where every field is omitempty ---
const DiagnosticLocation = z.object({
  message: z.string().optional(),
  file: z.string().optional(),
  line: z.number().optional(),
  column: z.number().optional(),
});
export const CompileDiagnostic = z.object({
  severity: z.string().optional(),
  message: z.string().default(''),
  file: z.string().optional(),
  line: z.number().optional(),
  column: z.number().optional(),
  context: z.array(DiagnosticLocation).optional(),
  notes: z.array(DiagnosticLocation).optional(),
});
export type CompileDiagnostic = z.infer<typeof CompileDiagnostic>;
const Platform = z.object({ id: z.string().optional(), version: z.string().optional() }).passthrough();
export const CompileJson = z
  .object({
    compiler_out: z.string().default(''),
    compiler_err: z.string().default(''),
    success: z.boolean().default(false),
    error: z.string().optional(),
    builder_result: z
      .object({
        build_path: z.string().optional(),
        used_libraries: z.array(z.object({ name: z.string(), version: z.string().optional() }).passthrough()).nullish(),
        // rpc.go:947-951: name, size and max_size are omitempty, so a 0-byte section has no size.
        executable_sections_size: z
          .array(
            z.object({ name: z.string().default(''), size: z.number().default(0), max_size: z.number().optional() }),
          )
          .nullish(),
        board_platform: Platform.nullish(),
        diagnostics: z.array(CompileDiagnostic).nullish(),
      })
      .passthrough()
      .nullish(),
    // Top-level warnings in JSON mode (feedback.go augment, :208-224@v1.5.1): a profile that could not be loaded,
    // deprecated .pde files. The exit code does not change.
    warnings: z.array(z.string()).optional(),
  })
  .passthrough();
export type CompileJson = z.infer<typeof CompileJson>;

export const SectionSize = z.object({ name: z.string(), size: z.number(), maxSize: z.number().optional() });
export const BuildInfo = z.object({
  version: z.literal(2),
  hash: z.string(),
  fqbn: z.string(),
  sketchName: z.string(),
  imageDir: z.string(),
  sketchPath: z.string().describe('The copied sketch folder that was compiled'),
  buildDir: z.string().describe('arduino-cli --build-path: binaries and the ELF for backtrace decoding'),
  sizes: z.array(SectionSize),
  warnings: z.array(CompileDiagnostic),
  toolWarnings: z.array(z.string()).describe("arduino-cli's own top-level warnings"),
  profile: z.string().describe('The sketch.yaml build profile compiled with (arduino-cli compile --profile)'),
  platform: z.object({ id: z.string().optional(), version: z.string().optional() }).optional(),
  usedLibraries: z.array(z.object({ name: z.string(), version: z.string().optional() })),
  compileMs: z.number(),
  builtAt: z.string(),
});
export type BuildInfo = z.infer<typeof BuildInfo> & { cached: boolean };

export class CompileError extends TargetError {
  readonly diagnostics: CompileDiagnostic[];
  constructor(message: string, o: { toolMessage: string; command: string[]; diagnostics: CompileDiagnostic[] }) {
    super('compile-failed', message, o);
    this.name = 'CompileError';
    this.diagnostics = o.diagnostics;
  }
}

export interface BuildRequest {
  profile: BoardProfile;
  sketchDir: string;
  /** Full text of the generated arduino_secrets.h (never logged). */
  secretsHeader: string;
  /** Root for per-image folders: <cacheDir>/<hash>/{sketch,build,build-info.json}. */
  cacheDir: string;
  /** Name from hardware.fqbnVariants (e.g. "ssl-debug"). */
  fqbnVariant?: string;
  /** The cell's board menu options (scenario build.<board>.fqbnOptions), over the profile's and the variant's. */
  fqbnOptions?: Record<string, string>;
  /** -D for every unit (scenario build.<board>.defines), through the platform's compiler.{c,cpp}.extra_flags hooks. */
  defines?: string[];
  /** Library versions the cell pins (scenario `libraries`), over the profile's hardware.libraries in sketch.yaml. */
  libraries?: Record<string, string>;
  cli?: string;
  signal?: AbortSignal;
  /** Cold ESP32 builds take minutes (docs/tool-facts.md §3): default 15 min. */
  timeoutMs?: number;
}

const SECRETS = 'arduino_secrets.h';

export function hardwareOf(profile: BoardProfile): HardwareProfile {
  if (!profile.hardware) throw new TargetError('generic', `board profile ${profile.id} has no hardware section`);
  return profile.hardware;
}

/**
 * The FQBN with a named option variant and then a cell's own options merged in (options after the third ':' are
 * comma separated; a later one replaces the same menu's earlier value).
 */
export function fqbnFor(hw: HardwareProfile, variant?: string, options?: Record<string, string>): string {
  let extra: Record<string, string> = {};
  if (variant) {
    const text = hw.fqbnVariants[variant];
    if (!text)
      throw new TargetError(
        'generic',
        `unknown fqbn variant "${variant}" (known: ${Object.keys(hw.fqbnVariants).join(', ') || 'none'})`,
      );
    extra = parseFqbn(`a:b:c:${text}`).options;
  }
  return withOptions(hw.fqbn, extra, options);
}

/** The profile's hardware.libraries ("Name@version") with the cell's pins in place of the same library's version. */
export function imageLibraries(hw: HardwareProfile, pins: Record<string, string> = {}): string[] {
  const out = new Map(hw.libraries.map((spec) => [spec.slice(0, spec.lastIndexOf('@')), spec]));
  for (const [name, version] of Object.entries(pins)) out.set(name, `${name}@${version}`);
  return [...out.values()];
}

/**
 * arduino-cli --build-property arguments for extra defines: compiler.c.extra_flags and compiler.cpp.extra_flags are the
 * platform specification's empty user hooks on every compile line (esp32 1.0.4 platform.txt:56,59 used at :65,:68;
 * esp8266 3.1.2 platform.txt:106,109 used at :131,:134; docs/upstream-sources.md §10), unlike build.extra_flags, which
 * cores fill themselves.
 */
export function defineProperties(defines: readonly string[] | undefined): string[] {
  if (!defines?.length) return [];
  const flags = defines.map((d) => `-D${d}`).join(' ');
  return [
    '--build-property',
    `compiler.c.extra_flags=${flags}`,
    '--build-property',
    `compiler.cpp.extra_flags=${flags}`,
  ];
}

/** Sketch files that go into the image (the generated secrets header and build outputs excluded). */
async function sketchFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.name.startsWith('.') || e.name === 'build') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && !(d === dir && e.name === SECRETS)) out.push(relative(dir, p));
    }
  };
  await walk(dir);
  return out.sort();
}

export async function imageHash(
  req: Pick<
    BuildRequest,
    'profile' | 'sketchDir' | 'secretsHeader' | 'fqbnVariant' | 'fqbnOptions' | 'defines' | 'libraries'
  >,
): Promise<string> {
  const hw = hardwareOf(req.profile);
  const h = createHash('sha256');
  const field = (s: string): void => {
    h.update(s);
    h.update('\0');
  };
  field('rig-image-v2'); // v2: built from a sketch.yaml profile
  field(fqbnFor(hw, req.fqbnVariant, req.fqbnOptions));
  // Absent defines add nothing, so every image built before they existed keeps its hash.
  if (req.defines?.length) field(`defines:${req.defines.join(' ')}`);
  field(`${hw.core.id}@${hw.core.version}`);
  for (const lib of imageLibraries(hw, req.libraries).sort()) field(lib);
  for (const f of await sketchFiles(req.sketchDir)) {
    field(f);
    h.update(await readFile(join(req.sketchDir, f)));
    h.update('\0');
  }
  field(req.secretsHeader);
  return h.digest('hex').slice(0, 24);
}

export async function buildImage(req: BuildRequest): Promise<BuildInfo> {
  const hw = hardwareOf(req.profile);
  const sketchDir = resolve(req.sketchDir);
  const sketchName = basename(sketchDir);
  const fqbn = fqbnFor(hw, req.fqbnVariant, req.fqbnOptions);
  const hash = await imageHash({ ...req, sketchDir });
  const imageDir = resolve(req.cacheDir, hash);
  const infoFile = join(imageDir, 'build-info.json');

  const cachedInfo = await readBuildInfo(infoFile);
  if (cachedInfo) return { ...cachedInfo, cached: true };

  // Two cells needing the same image: the second waits and then finds it cached.
  const lock = await acquireLock(`${imageDir}.lock`, { owner: `build ${sketchName} for ${fqbn}`, signal: req.signal });
  try {
    const again = await readBuildInfo(infoFile);
    if (again) return { ...again, cached: true };

    const sketchPath = join(imageDir, 'sketch', sketchName);
    const buildDir = join(imageDir, 'build');
    const profile = profileName(req.profile, req.fqbnVariant);
    await stageSketch(req, sketchDir, sketchPath);
    const args = [
      'compile',
      '--profile',
      profile,
      '--build-path',
      buildDir,
      ...defineProperties(req.defines),
      '--warnings',
      'default',
      '--json',
    ];
    const r = await runCli([...args, sketchPath], {
      cli: req.cli,
      signal: req.signal,
      timeoutMs: req.timeoutMs ?? 15 * 60_000,
    });
    const json = parseCompileOutput(r);
    const info = buildInfo(json, { hash, fqbn, sketchName, imageDir, sketchPath, buildDir, profile }, r.durationMs);
    await writeFile(`${infoFile}.tmp`, JSON.stringify(info, null, 2));
    await rename(`${infoFile}.tmp`, infoFile); // the marker appears only once the image is complete
    return { ...info, cached: false };
  } finally {
    await lock.release();
  }
}

/** The copy that is compiled: the sketch's files, the generated secrets (owner-only) and the build profile. */
async function stageSketch(req: BuildRequest, sketchDir: string, sketchPath: string): Promise<void> {
  await rm(dirname(sketchPath), { recursive: true, force: true });
  await mkdir(sketchPath, { recursive: true });
  for (const f of await sketchFiles(sketchDir)) await cp(join(sketchDir, f), join(sketchPath, f), { recursive: true });
  await writeFile(join(sketchPath, SECRETS), req.secretsHeader, { mode: 0o600 });
  const project = sketchProject(req.profile, req.fqbnVariant, req);
  await writeFile(join(sketchPath, 'sketch.yaml'), renderSketchProject(project));
}

type ImageFacts = Pick<
  z.infer<typeof BuildInfo>,
  'hash' | 'fqbn' | 'sketchName' | 'imageDir' | 'sketchPath' | 'buildDir' | 'profile'
>;

function buildInfo(json: CompileJson, f: ImageFacts, compileMs: number): z.infer<typeof BuildInfo> {
  const br = json.builder_result;
  return {
    version: 2,
    ...f,
    sizes: (br?.executable_sections_size ?? []).map((s) => ({ name: s.name, size: s.size, maxSize: s.max_size })),
    warnings: (br?.diagnostics ?? []).filter((d) => !/^(error|fatal)$/i.test(d.severity ?? '')),
    toolWarnings: json.warnings ?? [],
    platform: br?.board_platform ? { id: br.board_platform.id, version: br.board_platform.version } : undefined,
    usedLibraries: (br?.used_libraries ?? []).map((l) => ({ name: l.name, version: l.version })),
    compileMs,
    builtAt: new Date().toISOString(),
  };
}

/**
 * Parses compile --json. A build that ran and failed is a result on stdout with success false (FatalResult,
 * compile.go:396-424@v1.5.1); a compile that ended early (an unloadable sketch, no FQBN, an unknown profile) is
 * `{"error"}` on stderr with stdout empty (feedback.Fatal, feedback.go:178-206). Both are a CompileError with
 * the tool's words and its top-level warnings.
 */
export function parseCompileOutput(r: CliResult): CompileJson {
  const what = `arduino-cli compile ${r.command[r.command.length - 1] ?? ''}`;
  if (r.timedOut)
    throw new TargetError('timeout', `${what} timed out after ${r.durationMs} ms`, {
      command: r.command,
      toolMessage: toolOutput(r),
    });
  if (r.canceled) throw new TargetError('generic', `${what} was cancelled`, { command: r.command });
  const parsed = cliJson(r);
  if (!parsed)
    throw new TargetError('tool-output', `${what}: expected --json output, got something else (exit ${r.exitCode})`, {
      command: r.command,
      toolMessage: toolOutput(r),
    });
  if (parsed.stream === 'stderr') {
    const { error, warnings } = cliNotes(parsed.data);
    throw new CompileError(`compile failed: ${error ?? `exit ${r.exitCode}`}`, {
      command: r.command,
      diagnostics: [],
      toolMessage: [error, ...warnings.map((w) => `warning: ${w}`)].filter(Boolean).join('\n'),
    });
  }
  const json = checkedCompileJson(parsed.data, r, what);
  if (!json.success || r.exitCode !== 0) {
    const diagnostics = json.builder_result?.diagnostics ?? [];
    const first = diagnostics.find((d) => /^(error|fatal)$/i.test(d.severity ?? ''));
    const where = first
      ? `${basename(first.file ?? '?')}:${first.line ?? '?'}: ${first.message}`
      : (json.error ?? `exit ${r.exitCode}`);
    throw new CompileError(`compile failed: ${where}`, {
      command: r.command,
      diagnostics,
      toolMessage: [json.error, json.compiler_err, ...(json.warnings ?? []).map((w) => `warning: ${w}`)]
        .filter(Boolean)
        .join('\n'),
    });
  }
  return json;
}

function checkedCompileJson(raw: unknown, r: CliResult, what: string): CompileJson {
  const parsed = CompileJson.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new TargetError(
    'tool-output',
    `${what}: unexpected JSON shape: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    { command: r.command, toolMessage: r.stdout.slice(0, 4000) },
  );
}

async function readBuildInfo(file: string): Promise<z.infer<typeof BuildInfo> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return BuildInfo.parse(JSON.parse(text));
  } catch {
    return undefined;
  } // old/corrupt marker: rebuild, don't crash
}
