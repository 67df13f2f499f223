// Cells carry where their expectation is written, the command that reruns them, the scenario's title and links.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { annotateRun, failingPart, rerunCommand } from '../../rig/report/annotate.ts';
import { ScenarioPositions } from '../../rig/scenario/positions.ts';
import { loadScenario } from '../../rig/scenario/load.ts';
import { projectPaths } from '../../rig/project.ts';
import { cell, results, tmpDir, writeFile } from './helpers.ts';

const YAML = `version: 1
id: demo
title: "Demo: name mismatch"
source: [seed 002_x.txt, "https://forum.arduino.cc/t/123"]
expect:
  broken:
    esp8266:
      kind: tls/name-mismatch
      serial: ["^first", "^SSL error"]
    "esp32@1.0.2": { kind: tls/name-mismatch, serial: { see: ["^a"], notSee: ["^panic"] } }
    control: { kind: connected }
`;

describe('report/annotate', () => {
  it('finds the line of an expectation and of one of its parts', () => {
    const p = new ScenarioPositions(YAML);
    assert.deepEqual(p.at(['expect', 'broken', 'esp8266', 'kind']), {
      line: 8,
      column: 7,
      path: ['expect', 'broken', 'esp8266', 'kind'],
    });
    assert.equal(p.at(['expect', 'broken', 'esp8266', 'serial', 1])?.line, 9);
    assert.equal(p.at(['expect', 'broken', 'esp32@1.0.2', 'serial', 'notSee', 0])?.line, 10);
    // A missing tail is placed at its deepest parent.
    assert.deepEqual(p.at(['expect', 'broken', 'nosuch', 'kind'])?.path, ['expect', 'broken']);
    assert.deepEqual(p.keys(['expect', 'broken']), ['esp8266', 'esp32@1.0.2', 'control']);
  });

  it('maps each kind of failure line to the part of the expectation it is about', () => {
    const exp = { kind: 'x', serial: ['^first', '^SSL error'], brokerLog: ['a', 'b'] };
    assert.deepEqual(failingPart('expected kind x, got connected', exp), ['kind']);
    assert.deepEqual(failingPart('serial never showed /^SSL error/', exp), ['serial', 1]);
    assert.deepEqual(failingPart('broker log never showed /b/', exp), ['brokerLog', 1]);
    const obj = { serial: { see: ['^a'], notSee: ['^panic'] } };
    assert.deepEqual(failingPart('serial showed /^panic/ at line 3: panic!', obj), ['serial', 'notSee', 0]);
    assert.deepEqual(failingPart('serial never showed /^a/', obj), ['serial', 'see', 0]);
    assert.deepEqual(failingPart('twin build failed: …', exp), []);
  });

  it('writes a rerun command that selects exactly the cell and survives the shell', () => {
    const cmd = rerunCommand({ id: 'demo/broken/esp32@1.0.2', target: 'twin' }, 'demo', 'local');
    assert.equal(cmd, `npx rig run demo --filter '^demo/broken/esp32@1\\.0\\.2$' --broker local`);
    const out = execFileSync('sh', ['-c', `printf '%s\\n' ${cmd.replace('npx rig run ', '')}`], { encoding: 'utf8' });
    assert.equal(out.split('\n')[2], '^demo/broken/esp32@1\\.0\\.2$');
    assert.ok(new RegExp(out.split('\n')[2]!).test('demo/broken/esp32@1.0.2'));
    assert.ok(!new RegExp(out.split('\n')[2]!).test('demo/broken/esp32@1x0x2'));
    assert.match(
      rerunCommand({ id: 'a/b/c', target: 'hardware' }, 'my dir/a.yaml'),
      /'my dir\/a\.yaml'.*--target hardware/,
    );
  });

  it('annotates a run: title, links, location of the failing part, rerun, hash, commit', async () => {
    const dir = tmpDir();
    writeFile(dir, 'demo.yaml', YAML);
    const loaded = {
      file: path.join(dir, 'demo.yaml'),
      scenario: { id: 'demo', title: 'Demo', source: ['seed x', 'https://forum.arduino.cc/t/123'] },
    };
    const r = results([
      cell({
        scenario: 'demo',
        variant: 'broken',
        board: 'esp8266',
        status: 'fail',
        expected: { kind: 'tls/name-mismatch', serial: ['^first', '^SSL error'] },
        failures: ['serial never showed /^SSL error/'],
      }),
      cell({ scenario: 'demo', variant: 'broken', board: 'esp32', core: '1.0.2', id: 'demo/broken/esp32@1.0.2#twin' }),
      cell({ scenario: 'other', variant: 'v', board: 'esp32' }),
    ]);
    const a = await annotateRun(r, [loaded], projectPaths().root, { GITHUB_SHA: 'f'.repeat(40) });
    const [bad, pinned, unknown] = a.cells;
    assert.equal(bad!.title, 'Demo');
    assert.deepEqual(bad!.links, ['https://forum.arduino.cc/t/123']);
    assert.equal(bad!.location?.line, 9);
    assert.equal(bad!.location?.field, 'expect.broken.esp8266.serial.1');
    assert.ok(bad!.location!.file.endsWith('demo.yaml'));
    assert.match(bad!.rerun!, /--filter '\^demo\/broken\/esp8266\$' --broker local$/);
    assert.match(bad!.scenarioHash!, /^[0-9a-f]{16}$/);
    // A passing cell points at its board's expectation, pinned cores at their own key.
    assert.equal(pinned!.location?.line, 10);
    assert.equal(unknown!.rerun, undefined);
    assert.match(a.run.commit ?? '', /^[0-9a-f]{40}$/);
  });

  it("places a real seed scenario's failing kind on its own line", async () => {
    const file = path.join(projectPaths().scenarios, 'seeds/seed-002-esp8266-mtls-bad-server-name.yaml');
    const l = await loadScenario(file);
    const r = results([
      cell({
        scenario: l.scenario.id,
        variant: 'broken',
        board: 'esp8266',
        status: 'fail',
        expected: { kind: 'tls/name-mismatch' },
        failures: ['expected kind tls/name-mismatch, got connected'],
      }),
    ]);
    const [c] = (await annotateRun(r, [l], projectPaths().root)).cells;
    assert.equal(c!.location?.file, 'scenarios/seeds/seed-002-esp8266-mtls-bad-server-name.yaml');
    assert.equal(c!.location?.field, 'expect.broken.esp8266.kind');
    const lines = (await import('node:fs')).readFileSync(file, 'utf8').split('\n');
    assert.match(lines[c!.location!.line - 1]!, /^\s+kind: tls\/name-mismatch$/);
    assert.match(c!.rerun!, /^npx rig run seed-002-esp8266-mtls-bad-server-name --filter/);
  });
});
