import { strict as assert } from 'node:assert';
import { readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage, CompileError, imageHash, parseCompileOutput } from '../../rig/hardware/build.ts';
import { TargetError } from '../../rig/errors.ts';
import { parseSketchProject } from '../../rig/hardware/sketch-project.ts';
import { FAKE_CLI, cleanup, installAllCores, makeSketch, profile, profiles, tempDir, useFake } from './helpers.ts';

const SECRETS = '#define SECRET_SSID "lab"\n#define SECRET_PASS "not-a-real-password"\n';
const SKETCH = '#include "arduino_secrets.h"\nvoid setup() { Serial.begin(115200); }\nvoid loop() {}\n';

describe('hardware: build', () => {
  let dir: string;
  let fake: ReturnType<typeof useFake>;
  beforeEach(async () => {
    dir = tempDir('build');
    fake = useFake(dir);
    installAllCores(dir, [...(await profiles()).values()]);
  });
  afterEach(() => {
    fake.restore();
    cleanup(dir);
  });

  for (const [id, fqbn] of [
    ['esp32', 'esp32:esp32:esp32:DebugLevel=error'],
    ['esp8266', 'esp8266:esp8266:nodemcuv2'],
    ['mkr1000', 'arduino:samd:mkr1000'],
  ]) {
    it(`runs arduino-cli compile with the ${id} FQBN into a per-image build path`, async () => {
      const sketchDir = makeSketch(dir, 'probe', SKETCH);
      const info = await buildImage({
        profile: await profile(id),
        sketchDir,
        secretsHeader: SECRETS,
        cacheDir: join(dir, 'images'),
        cli: FAKE_CLI,
      });
      const calls = fake.invocations();
      assert.equal(calls.length, 1);
      // Built from a sketch.yaml build profile (the board profile's pins), as a person reproduces it.
      assert.deepEqual(calls[0], [
        'compile',
        '--profile',
        id,
        '--build-path',
        info.buildDir,
        '--warnings',
        'default',
        '--json',
        info.sketchPath,
      ]);
      assert.equal(info.profile, id);
      const project = parseSketchProject(readFileSync(join(info.sketchPath, 'sketch.yaml'), 'utf8'), 'sketch.yaml');
      const hw = (await profile(id)).hardware!;
      assert.equal(project.default_profile, id);
      assert.equal(project.profiles[id]?.fqbn, fqbn);
      assert.deepEqual(project.profiles[id]?.platforms, [
        { platform: `${hw.core.id} (${hw.core.version})`, ...(hw.core.url ? { platform_index_url: hw.core.url } : {}) },
      ]);
      assert.deepEqual(
        project.profiles[id]?.libraries,
        hw.libraries.map((l) => l.replace(/@(.*)$/, ' ($1)')),
      );
      assert.equal(info.buildDir, join(dir, 'images', info.hash, 'build'));
      assert.equal(info.fqbn, fqbn);
      assert.equal(info.cached, false);
      // The copy compiled is complete: sketch + generated secrets (owner-only: it holds the WiFi password).
      assert.equal(readFileSync(join(info.sketchPath, 'probe.ino'), 'utf8'), SKETCH);
      assert.equal(readFileSync(join(info.sketchPath, 'arduino_secrets.h'), 'utf8'), SECRETS);
      assert.equal(statSync(join(info.sketchPath, 'arduino_secrets.h')).mode & 0o077, 0);
      const text = info.sizes.find((s) => s.name === 'text');
      assert.ok(text && text.size > 0 && (text.maxSize ?? 0) > text.size, 'text size and maximum recorded');
      assert.ok(info.sizes.some((s) => s.name === 'data'));
      assert.equal(info.platform?.id, (await profile(id)).hardware!.core.id);
    });
  }

  it('applies an FQBN variant (ESP8266 SSL debug port options)', async () => {
    const sketchDir = makeSketch(dir, 'probe', SKETCH);
    const info = await buildImage({
      profile: await profile('esp8266'),
      sketchDir,
      secretsHeader: SECRETS,
      cacheDir: join(dir, 'images'),
      cli: FAKE_CLI,
      fqbnVariant: 'ssl-debug',
    });
    assert.equal(fake.invocations()[0][2], 'esp8266-ssl-debug');
    assert.equal(info.fqbn, 'esp8266:esp8266:nodemcuv2:dbg=Serial,lvl=SSL');
    const project = parseSketchProject(readFileSync(join(info.sketchPath, 'sketch.yaml'), 'utf8'), 'sketch.yaml');
    assert.equal(project.profiles['esp8266-ssl-debug']?.fqbn, 'esp8266:esp8266:nodemcuv2:dbg=Serial,lvl=SSL');
  });

  it('records compiler warnings from diagnostics', async () => {
    const sketchDir = makeSketch(dir, 'warny', `${SKETCH}#warning "BearSSL debug enabled"\n`);
    const info = await buildImage({
      profile: await profile('esp32'),
      sketchDir,
      secretsHeader: SECRETS,
      cacheDir: join(dir, 'images'),
      cli: FAKE_CLI,
    });
    assert.equal(info.warnings.length, 1);
    assert.equal(info.warnings[0].severity, 'WARNING');
    assert.match(info.warnings[0].message, /BearSSL debug enabled/);
    assert.equal(info.warnings[0].line, 4);
  });

  it('turns a failed compile into a CompileError with the diagnostics and the tool message', async () => {
    const sketchDir = makeSketch(dir, 'broken', `${SKETCH}#error "SECRET_CA missing"\n`);
    await assert.rejects(
      buildImage({
        profile: await profile('esp32'),
        sketchDir,
        secretsHeader: SECRETS,
        cacheDir: join(dir, 'images'),
        cli: FAKE_CLI,
      }),
      (e: unknown) => {
        assert.ok(e instanceof CompileError);
        assert.equal(e.kind, 'compile-failed');
        assert.equal(e.retryable, false);
        assert.match(e.message, /compile failed: broken\.ino\.cpp:4: #error "SECRET_CA missing"/);
        assert.equal(e.diagnostics[0].severity, 'ERROR');
        assert.match(e.toolMessage, /Error during build: exit status 1/);
        assert.match(e.toolMessage, /error: #error "SECRET_CA missing"/);
        return true;
      },
    );
    // No marker written: the next attempt compiles again instead of "finding" a broken image.
    const hash = await imageHash({ profile: await profile('esp32'), sketchDir, secretsHeader: SECRETS });
    assert.equal(existsSync(join(dir, 'images', hash, 'build-info.json')), false);
  });

  it('builds without the platform installed globally: the profile pins its own (isolated from the system)', async () => {
    installAllCores(dir, []); // nothing installed by `core install`
    const sketchDir = makeSketch(dir, 'probe', SKETCH);
    const info = await buildImage({
      profile: await profile('mkr1000'),
      sketchDir,
      secretsHeader: SECRETS,
      cacheDir: join(dir, 'images'),
      cli: FAKE_CLI,
    });
    assert.deepEqual(info.platform, { id: 'arduino:samd', version: '1.8.14' }, 'the pinned version, not a global one');
    assert.ok(info.usedLibraries.some((l) => l.name === 'PubSubClient' && l.version === '2.8'));
  });

  it("surfaces arduino-cli's top-level warnings and takes an omitted section size as 0", async () => {
    // A .pde file next to the sketch is deprecated (warn_deprecated.go); a sketch without data has no data size.
    const sketchDir = makeSketch(dir, 'old', `${SKETCH}// FAKE_NO_DATA\n`, { 'extra.pde': 'int x;\n' });
    const info = await buildImage({
      profile: await profile('esp32'),
      sketchDir,
      secretsHeader: SECRETS,
      cacheDir: join(dir, 'images'),
      cli: FAKE_CLI,
    });
    assert.equal(info.toolWarnings.length, 1);
    assert.match(info.toolWarnings[0]!, /Sketches with \.pde extension are deprecated[\s\S]*extra\.pde/);
    const data = info.sizes.find((s) => s.name === 'data');
    assert.deepEqual(data, { name: 'data', size: 0, maxSize: 327680 });
  });

  it("an unloadable sketch (fatal JSON on stderr, stdout empty) is compile-failed with the tool's words", () => {
    const r = {
      command: ['arduino-cli', 'compile', '--profile', 'esp32', '/x/probe'],
      stdout: '',
      stderr: JSON.stringify(
        { error: "Can't open sketch: main file missing from sketch: /x/probe/probe.ino" },
        null,
        2,
      ),
      exitCode: 1,
      timedOut: false,
      canceled: false,
      durationMs: 5,
    };
    assert.throws(
      () => parseCompileOutput(r),
      (e: unknown) =>
        e instanceof CompileError &&
        e.kind === 'compile-failed' &&
        e.message === "compile failed: Can't open sketch: main file missing from sketch: /x/probe/probe.ino" &&
        !e.retryable,
    );
  });

  it('does not rebuild an unchanged image (the fake is not invoked again)', async () => {
    const sketchDir = makeSketch(dir, 'probe', SKETCH, { 'config.h': '#define X 1\n' });
    const req = {
      profile: await profile('esp32'),
      sketchDir,
      secretsHeader: SECRETS,
      cacheDir: join(dir, 'images'),
      cli: FAKE_CLI,
    };
    const first = await buildImage(req);
    const second = await buildImage(req);
    assert.equal(fake.invocations().length, 1, 'second build served from cache');
    assert.equal(second.cached, true);
    assert.equal(second.hash, first.hash);
    assert.deepEqual(second.sizes, first.sizes);
  });

  it('rebuilds when secrets, a sketch file, the FQBN or a pinned version change', async () => {
    const sketchDir = makeSketch(dir, 'probe', SKETCH, { 'config.h': '#define X 1\n' });
    const esp32 = await profile('esp32');
    const base = { profile: esp32, sketchDir, secretsHeader: SECRETS };
    const h0 = await imageHash(base);
    assert.notEqual(await imageHash({ ...base, secretsHeader: SECRETS + '#define SECRET_BROKER "10.0.0.2"\n' }), h0);
    const bumped = { ...esp32, hardware: { ...esp32.hardware!, libraries: ['PubSubClient@2.7'] } };
    assert.notEqual(await imageHash({ ...base, profile: bumped }), h0);
    const core = { ...esp32, hardware: { ...esp32.hardware!, core: { ...esp32.hardware!.core, version: '2.0.16' } } };
    assert.notEqual(await imageHash({ ...base, profile: core }), h0);
    makeSketch(dir, 'probe', SKETCH, { 'config.h': '#define X 2\n' });
    assert.notEqual(await imageHash(base), h0);
    // A stale arduino_secrets.h in the source sketch is ignored: the generated one is what counts.
    makeSketch(dir, 'probe', SKETCH, { 'config.h': '#define X 1\n', 'arduino_secrets.h': '#define OLD 1\n' });
    assert.equal(await imageHash(base), h0);
  });

  it("a cell's board options, defines and library pins: in the FQBN, on the compile line and in sketch.yaml", async () => {
    const sketchDir = makeSketch(dir, 'probe', SKETCH);
    const esp32 = await profile('esp32');
    const base = { profile: esp32, sketchDir, secretsHeader: SECRETS };
    const cell = {
      fqbnOptions: { DebugLevel: 'verbose' },
      defines: ['MQTT_MAX_PACKET_SIZE=512'],
      libraries: { PubSubClient: '2.7', NTPClient: '3.2.1' },
    };
    const info = await buildImage({ ...base, ...cell, cacheDir: join(dir, 'images'), cli: FAKE_CLI });
    assert.equal(info.fqbn, 'esp32:esp32:esp32:DebugLevel=verbose');
    const [call] = fake.invocations();
    const flags = '-DMQTT_MAX_PACKET_SIZE=512';
    assert.deepEqual(call!.slice(5, 9), [
      '--build-property',
      `compiler.c.extra_flags=${flags}`,
      '--build-property',
      `compiler.cpp.extra_flags=${flags}`,
    ]);
    const project = parseSketchProject(readFileSync(join(info.sketchPath, 'sketch.yaml'), 'utf8'), 'sketch.yaml');
    // The pin replaces the profile's PubSubClient 2.8; a library the profile does not pin is added.
    assert.equal(project.profiles.esp32?.fqbn, 'esp32:esp32:esp32:DebugLevel=verbose');
    assert.deepEqual(project.profiles.esp32?.libraries, ['PubSubClient (2.7)', 'NTPClient (3.2.1)']);
    // Each of them is part of the image; none of them leaves an image without them unchanged.
    const h0 = await imageHash(base);
    assert.equal(await imageHash({ ...base, fqbnOptions: {}, defines: [], libraries: {} }), h0);
    for (const over of [{ fqbnOptions: cell.fqbnOptions }, { defines: cell.defines }, { libraries: cell.libraries }])
      assert.notEqual(await imageHash({ ...base, ...over }), h0, JSON.stringify(over));
  });

  it('two concurrent builds of one image compile once', async () => {
    const sketchDir = makeSketch(dir, 'probe', SKETCH);
    const req = {
      profile: await profile('esp32'),
      sketchDir,
      secretsHeader: SECRETS,
      cacheDir: join(dir, 'images'),
      cli: FAKE_CLI,
    };
    const [a, b] = await Promise.all([buildImage(req), buildImage(req)]);
    assert.equal(fake.invocations().length, 1);
    assert.deepEqual([a.cached, b.cached].sort(), [false, true]);
  });

  it('reports a missing arduino-cli as tool-missing', async () => {
    const sketchDir = makeSketch(dir, 'probe', SKETCH);
    await assert.rejects(
      buildImage({
        profile: await profile('esp32'),
        sketchDir,
        secretsHeader: SECRETS,
        cacheDir: join(dir, 'images'),
        cli: join(dir, 'no-such-arduino-cli'),
      }),
      (e: unknown) => e instanceof TargetError && e.kind === 'tool-missing' && /RIG_ARDUINO_CLI/.test(e.message),
    );
  });

  it('parses compile JSON: non-JSON output is a tool-output error quoting the tool', () => {
    const r = {
      command: ['arduino-cli', 'compile', 'x'],
      stdout: 'Error: unknown flag: --json',
      stderr: '',
      exitCode: 1,
      timedOut: false,
      canceled: false,
      durationMs: 5,
    };
    assert.throws(
      () => parseCompileOutput(r),
      (e: unknown) =>
        e instanceof TargetError && e.kind === 'tool-output' && e.toolMessage === 'Error: unknown flag: --json',
    );
    const ok = parseCompileOutput({
      ...r,
      exitCode: 0,
      stdout: JSON.stringify({
        compiler_out: '',
        compiler_err: '',
        success: true,
        builder_result: { executable_sections_size: [{ name: 'text', size: 10, max_size: 20 }] },
      }),
    });
    assert.equal(ok.builder_result?.executable_sections_size?.[0].size, 10);
  });
});
