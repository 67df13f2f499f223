// A board's twin build facts live in its profile (boards/<id>.yaml twin.build, twin.defines): the schema checks
// them, and what a profile says reaches g++ for the host core and the sketch.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { loadBoard } from '../../rig/boards/load.ts';
import { BoardProfile } from '../../rig/boards/profile.ts';
import { projectPaths } from '../../rig/project.ts';
import { FormatError } from '../../rig/errors.ts';
import { parseWithSchema } from '../../rig/format/yaml.ts';
import { sketchDefines } from '../../rig/twin/board-build.ts';
import { buildTwin, profileBuildOptions } from '../../rig/twin/index.ts';
import { sharedTwinCache } from '../helpers/twin-cache.ts';

const boards = projectPaths().boards;

async function profileText(id: string): Promise<string> {
  return readFile(path.join(boards, `${id}.yaml`), 'utf8');
}

/** The problems parseWithSchema reports for a profile text, as "line: field: message" lines. */
function problems(text: string): string[] {
  try {
    parseWithSchema(BoardProfile, text, 'x.yaml');
  } catch (e) {
    if (e instanceof FormatError) return e.problems.map((p) => `${p.line}: ${p.field}: ${p.message}`);
    throw e;
  }
  return [];
}

describe('board profiles: twin build facts', () => {
  for (const id of ['esp32', 'esp8266', 'mkr1000']) {
    it(`${id}.yaml states its defines and link libraries under twin.build`, async () => {
      const p = await loadBoard(path.join(boards, `${id}.yaml`));
      assert.ok(p.twin, 'twin section');
      assert.ok(
        p.twin.build.defines.some((d) => d.startsWith('ARDUINO_ARCH_')),
        'an ARDUINO_ARCH_ define',
      );
      assert.ok(
        p.twin.build.defines.some((d) => d.startsWith('ARDUINO_BOARD=')),
        'ARDUINO_BOARD',
      );
      assert.ok(p.twin.build.libs.length > 0, 'the TLS library');
    });
  }

  it('the ESP32 sketch sees the core version and debug level it runs with', async () => {
    const p = await loadBoard(path.join(boards, 'esp32.yaml'));
    const d = sketchDefines(p.twin!.build, '1.0.6', 3);
    assert.ok(d.includes('ESP_ARDUINO_VERSION_MAJOR=1'), d.join(' '));
    assert.ok(d.includes('ESP_ARDUINO_VERSION_PATCH=6'), d.join(' '));
    assert.ok(d.includes('CORE_DEBUG_LEVEL=3'), d.join(' '));
  });

  it('rejects unknown keys, bad define names, unknown placeholders and a missing build, with positions', async () => {
    const text = await profileText('esp8266');
    assert.deepEqual(problems(text), []);
    const withFlags = text.replace('    libs: [bearssl]', '    libs: [bearssl]\n    flags: [-O3]');
    assert.deepEqual(problems(withFlags), [`${lineOf(withFlags, 'flags:')}: twin.build.flags: unknown key "flags"`]);
    const badDefine = text.replace('[ESP8266,', '["-fplugin=x.so",');
    assert.match(problems(badDefine).join('\n'), /twin\.build\.defines\[0\]: NAME or NAME=value/);
    const badPlaceholder = text.replace(
      '    libs: [bearssl]',
      '    libs: [bearssl]\n    sketchDefines: ["V={flavour}"]',
    );
    assert.match(
      problems(badPlaceholder).join('\n'),
      /twin\.build\.sketchDefines\[0\]: unknown placeholder \{flavour\}/,
    );
    const badLib = text.replace('libs: [bearssl]', 'libs: ["bearssl -Wl,--wrap"]');
    assert.match(problems(badLib).join('\n'), /twin\.build\.libs\[0\]: a library name/);
    const noBuild = text.replace(/^ {2}build:\n( {4}.*\n)+/m, '');
    assert.match(problems(noBuild).join('\n'), /twin\.build: expected a mapping \(missing\)/);
    const badProfileDefine = text.replace(
      '  coreVersions: ["3.1.2"]',
      '  coreVersions: ["3.1.2"]\n  defines: { "A-B": "" }',
    );
    assert.match(problems(badProfileDefine).join('\n'), /twin\.defines.*a C macro name/);
  });
});

function lineOf(text: string, needle: string): number {
  return text.slice(0, text.indexOf(needle)).split('\n').length;
}

describe('board profiles: a profile define reaches the compiled twin', function () {
  this.timeout(300_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-profile-build-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('twin.defines and twin.build reach the host core and the sketch (built as the runner builds a cell)', async () => {
    const base = await loadBoard(path.join(boards, 'esp8266.yaml'));
    const twin = {
      ...base.twin!,
      defines: { RIG_PROFILE_MARK: '"from-profile"', RIG_BARE: '' },
      build: { ...base.twin!.build, sketchDefines: ['RIG_VERSION_MARK="v{version}"'] },
    };
    const dir = path.join(tmp, 'marks');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'marks.ino'),
      [
        'void setup() {',
        '  Serial.println(RIG_PROFILE_MARK);',
        '  Serial.println(ARDUINO_BOARD);',
        '  Serial.println(RIG_VERSION_MARK);',
        '#ifdef RIG_BARE',
        '  Serial.println("bare");',
        '#endif',
        '  exit(0);',
        '}',
        'void loop() {}',
        '',
      ].join('\n'),
    );
    const b = await buildTwin({
      ...profileBuildOptions(twin),
      sketchDir: dir,
      secretsHeader: '',
      coreVersion: '3.1.2',
      cacheDir: sharedTwinCache(),
    });
    const run = await execa(b.binary, [], {
      env: { RIG_TWIN_SERIAL: 'stdio' },
      reject: false,
      timeout: 30_000,
      stripFinalNewline: false,
    });
    assert.equal(run.stdout, 'from-profile\r\nESP8266_NODEMCU\r\nv3.1.2\r\nbare\r\n');
    // The host core library was compiled with the profile's defines too (its board code may test them).
    assert.match(b.log, /core\/host\/net\.cpp/);
    for (const line of b.log.split('\n').filter((l) => l.startsWith('g++') && l.includes('core/host/net.cpp')))
      assert.match(
        line,
        /-DRIG_PROFILE_MARK="from-profile" .*-DESP8266 |-DESP8266 .*-DRIG_PROFILE_MARK="from-profile"/,
      );
  });
});
