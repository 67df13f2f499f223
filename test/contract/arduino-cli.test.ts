// The contract between the rig and arduino-cli: what the rig runs, and what it reads back. The same suite runs
// against the fake (test/fixtures/arduino-cli/fake-arduino-cli.mjs, by default) and, unchanged, against a real
// binary in a lab: `RIG_ARDUINO_CLI=/path/to/arduino-cli npm run test:contract`. A real run needs the network once
// (package indexes, builtin discovery tools, the pinned MKR1000 platform for the profile build) and keeps its
// data folder in $RIG_CONTRACT_HOME (default ~/.cache/rig/arduino-cli-contract), apart from the lab's own.
// Every rule is from arduino-cli 1.5.1's source; see test/fixtures/arduino-cli/1.5.1/README.md.
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from '../../rig/hardware/cli.ts';
import { CompileError, parseCompileOutput } from '../../rig/hardware/build.ts';
import { parseBoardListWithWarnings } from '../../rig/hardware/inventory.ts';
import { renderSketchProject, sketchProject } from '../../rig/hardware/sketch-project.ts';
import { profile } from '../hardware/helpers.ts';

const FAKE = join(import.meta.dirname, '../fixtures/arduino-cli/fake-arduino-cli.mjs');
const REAL = process.env.RIG_ARDUINO_CLI;
const CLI = REAL ?? FAKE;

/** Exit codes (internal/cli/feedback/errorcodes.go@v1.5.1). */
const ErrGeneric = 1;
const ErrBadArgument = 7;

function json(text: string): Record<string, unknown> {
  const v = JSON.parse(text) as unknown;
  assert.ok(v && typeof v === 'object' && !Array.isArray(v), `a JSON object: ${text.slice(0, 200)}`);
  return v as Record<string, unknown>;
}

/** Top-level warnings, when there are any, are a list of strings (feedback.go augment). */
function checkWarnings(o: Record<string, unknown>): string[] {
  if (o.warnings === undefined) return [];
  assert.ok(Array.isArray(o.warnings) && o.warnings.every((w) => typeof w === 'string'), 'warnings: string[]');
  return o.warnings as string[];
}

/** An early error: `{"error"}` (and maybe warnings) on stderr, nothing on stdout. */
function fatalOnStderr(r: CliResult, code: number): { error: string; warnings: string[] } {
  assert.equal(r.exitCode, code, `exit ${code}; stderr: ${r.stderr.slice(0, 300)}`);
  assert.equal(r.stdout.trim(), '', 'stdout stays empty');
  const o = json(r.stderr);
  assert.equal(typeof o.error, 'string');
  return { error: o.error as string, warnings: checkWarnings(o) };
}

describe(`contract: arduino-cli (${REAL ? `real binary ${REAL}` : 'the fake'})`, function () {
  this.timeout(REAL ? 30 * 60_000 : 60_000);
  let dir: string;
  let env: Record<string, string>;
  const run = (args: string[]): Promise<CliResult> =>
    runCli(args, {
      cli: CLI,
      env: { ...process.env, ...env } as Record<string, string>,
      timeoutMs: REAL ? 20 * 60_000 : 30_000,
    });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'rig-contract-'));
    // Its own data folder: nothing installed globally (`core install`), so empty lists are empty.
    const home = REAL
      ? (process.env.RIG_CONTRACT_HOME ?? join(homedir(), '.cache', 'rig', 'arduino-cli-contract'))
      : dir;
    env = {
      ARDUINO_DIRECTORIES_DATA: join(home, 'data'),
      ARDUINO_DIRECTORIES_USER: join(home, 'user'),
      ARDUINO_DIRECTORIES_DOWNLOADS: join(home, 'staging'),
    };
    if (REAL) console.log(`contract: running ${REAL} with its data in ${home}`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function sketch(name: string, files: Record<string, string> = {}): string {
    const d = join(dir, name);
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `${name}.ino`), 'void setup() {}\nvoid loop() {}\n');
    for (const [f, t] of Object.entries(files)) writeFileSync(join(d, f), t);
    return d;
  }

  it('version --json: a result on stdout', async () => {
    const r = await run(['version', '--json']);
    assert.equal(r.exitCode, 0);
    const o = json(r.stdout);
    assert.equal(o.Application, 'arduino-cli');
    assert.match(String(o.VersionString), /^\d+\.\d+\.\d+/);
    checkWarnings(o); // a failed update check is a warning, not an error
    if (REAL) console.log(`contract: arduino-cli ${String(o.VersionString)}`);
  });

  it('core list --json with nothing installed is {"platforms": []}, not {}', async () => {
    const r = await run(['core', 'list', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const o = json(r.stdout);
    assert.deepEqual(o.platforms, []);
  });

  it('lib list --json with nothing installed is {"installed_libraries": []}', async () => {
    const r = await run(['lib', 'list', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(json(r.stdout).installed_libraries, []);
  });

  it('compile of an unloadable sketch: the error is JSON on stderr, stdout empty, exit 1; the rig says compile-failed', async () => {
    const empty = join(dir, 'nomain');
    mkdirSync(empty, { recursive: true });
    const r = await run(['compile', '--fqbn', 'arduino:samd:mkr1000', '--json', empty]);
    const { error } = fatalOnStderr(r, ErrGeneric);
    assert.match(error, /main file missing from sketch/);
    assert.throws(
      () => parseCompileOutput(r),
      (e: unknown) => e instanceof CompileError && /compile failed: .*main file missing from sketch/.test(e.message),
    );
  });

  it('compile with an unknown profile: no FQBN (stderr) with the profile error among the warnings', async () => {
    const r = await run(['compile', '--profile', 'no-such-profile', '--json', sketch('noprofile')]);
    const { error, warnings } = fatalOnStderr(r, ErrGeneric);
    assert.match(error, /Missing FQBN/);
    assert.ok(
      warnings.some((w) => /Profile 'no-such-profile' not found/.test(w)),
      JSON.stringify(warnings),
    );
    assert.throws(
      () => parseCompileOutput(r),
      (e: unknown) => e instanceof CompileError && /Profile 'no-such-profile' not found/.test(e.toolMessage),
    );
  });

  it('compile for a platform that is not installed: a whole result on stdout (success false), warnings in it', async () => {
    // A .pde file is deprecated: a warning that is not an error (warn_deprecated.go).
    const r = await run([
      'compile',
      '--fqbn',
      'arduino:samd:mkr1000',
      '--json',
      sketch('noplatform', { 'old.pde': '' }),
    ]);
    assert.equal(r.exitCode, ErrGeneric);
    const o = json(r.stdout);
    assert.equal(o.success, false);
    assert.equal(o.builder_result, null);
    assert.match(String(o.error), /Platform 'arduino:samd' not found/);
    assert.ok(checkWarnings(o).some((w) => /\.pde extension are deprecated/.test(w)));
    assert.throws(
      () => parseCompileOutput(r),
      (e: unknown) => e instanceof CompileError && /Platform 'arduino:samd' not found/.test(e.message),
    );
  });

  it("compile --profile from the rig's sketch.yaml builds in isolation; sizes and fields are omitempty", async () => {
    const mkr = await profile('mkr1000');
    const sk = sketch('withprofile', { 'sketch.yaml': renderSketchProject(sketchProject(mkr)) });
    const build = join(dir, 'withprofile-build');
    const r = await run([
      'compile',
      '--profile',
      'mkr1000',
      '--build-path',
      build,
      '--warnings',
      'default',
      '--json',
      sk,
    ]);
    assert.equal(r.exitCode, 0, r.stderr || r.stdout.slice(0, 2000));
    const o = json(r.stdout);
    assert.equal(o.success, true);
    assert.ok(!('error' in o), 'error is omitempty');
    const br = o.builder_result as Record<string, unknown>;
    assert.deepEqual(
      { id: (br.board_platform as { id: string }).id, version: (br.board_platform as { version: string }).version },
      { id: 'arduino:samd', version: '1.8.14' },
      'the pinned platform, not a global one',
    );
    for (const s of br.executable_sections_size as Record<string, unknown>[]) {
      for (const k of Object.keys(s)) assert.ok(['name', 'size', 'max_size'].includes(k), k);
      if ('size' in s) assert.ok(typeof s.size === 'number' && s.size > 0, 'a size present is never 0 (omitempty)');
    }
    const parsed = parseCompileOutput(r);
    assert.ok(parsed.builder_result?.executable_sections_size?.every((s) => typeof s.size === 'number'));
  });

  it('board list -b with an invalid FQBN: JSON on stderr, exit 7 (bad argument)', async () => {
    const r = await run(['board', 'list', '-b', 'yadayada', '--json']);
    const { error } = fatalOnStderr(r, ErrBadArgument);
    assert.equal(error, 'Invalid FQBN: not an FQBN: yadayada');
  });

  it('board list --json: serial ports as serial-discovery describes them; the rig reads every one', async () => {
    const r = await run(['board', 'list', '--json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const o = json(r.stdout);
    assert.ok(Array.isArray(o.detected_ports), 'detected_ports is a list, [] when empty');
    const serial = (o.detected_ports as { port: { protocol?: string; properties?: Record<string, string> } }[])
      .map((d) => d.port)
      .filter((p) => p.protocol === 'serial');
    for (const p of serial) {
      const props = p.properties ?? {};
      assert.ok(!('serial' in props), 'no "serial" key: serialNumber is the one');
      if ('vid' in props) {
        assert.match(props.vid!, /^0x[0-9a-fA-F]{4}$/);
        assert.match(props.pid!, /^0x[0-9a-fA-F]{4}$/);
        assert.equal(typeof props.serialNumber, 'string', 'serialNumber is always there on a USB port ("" when none)');
      }
    }
    const parsed = parseBoardListWithWarnings(o);
    assert.equal(parsed.ports.length, serial.length);
    assert.ok(
      parsed.ports.every((p) => p.serialNumber !== ''),
      'an empty serial number is no serial number',
    );
    checkWarnings(o);
    if (REAL) console.log(`contract: ${serial.length} serial port(s) attached`);
  });
});

describe('contract: the recordings the fake replays', () => {
  it('name the upstream struct and file:line at the version they record', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const folder = join(import.meta.dirname, '../fixtures/arduino-cli/1.5.1');
    const files = readdirSync(folder).filter((f) => f.endsWith('.json'));
    assert.ok(files.length >= 10);
    for (const f of files) {
      const o = JSON.parse(readFileSync(join(folder, f), 'utf8')) as { _source?: string; exitCode?: number };
      assert.match(
        o._source ?? '',
        /\.go:\d+(-\d+)?(,\d+(-\d+)?)*@v1\.5\.[12]/,
        `${f}: _source cites file:line@version`,
      );
      if (o.exitCode !== undefined)
        assert.ok([0, 1, 7, 11].includes(o.exitCode), `${f}: an exit code arduino-cli uses`);
    }
  });
});
