// The host core's C++ unit tests (boards/twin/tests/*_test.cpp), built with g++ against the Arduino API part
// (core/api) and the host platform part (core/host) and run here: any failed check fails its test.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { MAX_PARALLEL_COMPILES, pool, runCompiler } from '../../rig/twin/compile.ts';
import { DEFAULT_BOARDS_DIR, coreDirs } from '../../rig/twin/hostcore.ts';
import { buildTwin } from '../../rig/twin/index.ts';
import { sharedTwinCache } from '../helpers/twin-cache.ts';

const TESTS_DIR = path.join(DEFAULT_BOARDS_DIR, 'tests');
const { api, host } = coreDirs();
const FLAGS = ['-std=gnu++17', '-O1', '-Wall', '-Wno-unused-parameter', '-DTWIN=1', '-DARDUINO=10819'];
const sources = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.cpp'))
    .sort()
    .map((f) => path.join(dir, f));

interface Built {
  tmp: string;
  objects: string[];
}

async function compile(src: string, includes: string[], out: string): Promise<string> {
  const r = await runCompiler([...FLAGS, ...includes.map((d) => `-I${d}`), '-c', src, '-o', out], path.dirname(out));
  if (!r.ok) throw new Error(`${path.relative(DEFAULT_BOARDS_DIR, src)} failed to compile:\n${r.output}`);
  return out;
}

/** The API part with only its own folder on the include path (it must not need the host), then the host part. */
async function buildCore(): Promise<Built> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-hostcore-unit-'));
  const jobs = [
    ...sources(api).map((src) => ({ src, includes: [api] })),
    ...sources(host)
      .filter((src) => path.basename(src) !== 'main.cpp')
      .map((src) => ({ src, includes: [host, api] })),
    { src: path.join(TESTS_DIR, 'check_main.cpp'), includes: [TESTS_DIR, api] },
  ];
  const objects = await pool(jobs, MAX_PARALLEL_COMPILES, (j) =>
    compile(j.src, j.includes, path.join(tmp, `${path.basename(path.dirname(j.src))}-${path.basename(j.src)}.o`)),
  );
  return { tmp, objects };
}

async function runTest(core: Built, src: string): Promise<{ code: number; output: string }> {
  const name = path.basename(src, '.cpp');
  const obj = await compile(src, [TESTS_DIR, host, api], path.join(core.tmp, `${name}.o`));
  const bin = path.join(core.tmp, name);
  const link = await runCompiler(['-o', bin, obj, ...core.objects, '-lpthread'], core.tmp);
  if (!link.ok) throw new Error(`${name} failed to link:\n${link.output}`);
  const r = await execa(bin, [], { cwd: core.tmp, reject: false, all: true, timeout: 60_000 });
  return { code: r.exitCode ?? -1, output: r.all ?? '' };
}

/** "not ok" lines and the "# file:line: ..." lines of failed checks, or the whole output of a crash. */
function failures(output: string): string {
  const lines = output.split('\n').filter((l) => l.startsWith('not ok') || /^# .*:\d+: /.test(l));
  return lines.length > 0 ? lines.join('\n') : output;
}

describe('twin host core: C++ unit tests (boards/twin/tests)', function () {
  this.timeout(240_000);
  let core: Built | undefined;

  before(async function () {
    const gxx = await execa('g++', ['--version'], { reject: false });
    if (gxx.exitCode !== 0) {
      console.log('skip: g++ is not installed (rig setup installs it)');
      this.skip();
    }
    core = await buildCore();
  });
  after(() => {
    if (core) rmSync(core.tmp, { recursive: true, force: true });
  });

  for (const src of sources(TESTS_DIR).filter((f) => f.endsWith('_test.cpp'))) {
    it(`${path.basename(src)}: every check passes`, async () => {
      const r = await runTest(core!, src);
      const summary = /^# (\d+) tests, (\d+) failed$/m.exec(r.output);
      assert.ok(summary, `${path.basename(src)} ended without its summary (crash?), exit ${r.code}:\n${r.output}`);
      assert.ok(Number(summary[1]) > 0, 'the file has tests');
      assert.equal(r.code, 0, `failed checks:\n${failures(r.output)}`);
      assert.equal(summary[2], '0');
    });
  }

  it('a wrong expectation fails its test with the file, line, actual and expected values', async () => {
    const src = path.join(core!.tmp, 'wrong_test.cpp');
    writeFileSync(
      src,
      '#include "Arduino.h"\n#include "check.h"\n' +
        'TEST(passes) { CHECK_EQ(String(7), "7"); }\n' +
        'TEST(fails) { CHECK_EQ(String(255, HEX), "FF"); CHECK(1 + 1 == 3); }\n',
    );
    const r = await runTest(core!, src);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /^ok 1 - passes$/m);
    assert.match(r.output, /^not ok 2 - fails$/m);
    assert.match(r.output, /wrong_test\.cpp:4: CHECK_EQ\(String\(255, HEX\), "FF"\): got "ff", expected "FF"/);
    assert.match(r.output, /wrong_test\.cpp:4: CHECK\(1 \+ 1 == 3\)/);
    assert.match(r.output, /^# 2 tests, 1 failed$/m);
  });

  it('a board source replaces the core source of the same name (mkr1000/dtostrf.cpp: SAMD formats with printf)', async () => {
    const dir = path.join(core!.tmp, 'floats');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'floats.ino'),
      'void setup() { Serial.println(String(0.125f, 2)); Serial.println(0.125f, 2); exit(0); }\nvoid loop() {}\n',
    );
    const b = await buildTwin({
      sketchDir: dir,
      core: 'mkr1000',
      secretsHeader: '',
      coreVersion: '1.8.14',
      debugLevel: 0,
      cacheDir: sharedTwinCache(),
    });
    const r = await execa(b.binary, [], { env: { RIG_TWIN_SERIAL: 'stdio' }, reject: false, timeout: 30_000 });
    // String(float) goes through the board's dtostrf (printf: half to even, where string_test.cpp's ESP one says
    // 0.13); Print rounds the same on every core.
    assert.equal(r.stdout, '0.12\r\n0.13');
  });

  it("core sources never include Arduino.h (a board's macros, like the ESP8266 time(), stay out of the platform)", () => {
    // Arduino.h pulls in the board's twin_board.h; Common.h and the class headers are board-neutral.
    const offenders = [...sources(api), ...sources(host)].filter((f) =>
      /#include\s+[<"]Arduino\.h[>"]/.test(readFileSync(f, 'utf8')),
    );
    assert.deepEqual(offenders, []);
  });
});
