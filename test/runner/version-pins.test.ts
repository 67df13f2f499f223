// A scenario pinning releases the way a poster names them runs each on the twin imitating it: a sketch calling
// setInsecure() does not build for arduino-esp32 1.0.4 (build/failed, not an infrastructure error) and connects on
// 1.0.5, where the method arrived. Real rig run: mosquitto, g++, the twin on a pty.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../rig/project.ts';
import { Results } from '../../rig/results/schema.ts';

const SCENARIO = `version: 1
id: version-pins
pki: { ca: {}, server: { san: ["DNS:localhost"] } }
broker: { listeners: [{ port: 8883, tls: {}, allowAnonymous: true }] }
boards: [esp32]
client: { insecure: true, ca: null }
expect:
  default:
    esp32: { kind: connected }
    "esp32@1.0.4": { kind: build/failed, code: "build:missing_setInsecure" }
    "esp32@1.0.5": { kind: connected }
`;

describe('runner: pinned releases', function () {
  this.timeout(600_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rig-version-pins-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('esp32@1.0.4 fails to build a sketch calling setInsecure(); 1.0.5 and the default core connect', () => {
    const file = path.join(dir, 'version-pins.yaml');
    writeFileSync(file, SCENARIO);
    const out = path.join(dir, 'out');
    const root = projectPaths().root;
    const r = spawnSync(
      process.execPath,
      [path.join(root, 'bin', 'rig.mjs'), 'run', file, '--broker', 'local', '--out', out],
      {
        encoding: 'utf8',
        cwd: root,
        timeout: 540_000,
      },
    );
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const results = Results.parse(JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')));
    const byId = Object.fromEntries(results.cells.map((c) => [c.id, c]));
    const old = byId['version-pins/default/esp32@1.0.4']!;
    assert.equal(old.status, 'pass');
    assert.equal(old.outcome?.kind, 'build/failed');
    assert.match(
      old.outcome?.detail ?? '',
      /does not compile for arduino-esp32 1\.0\.4: setInsecure\(\) does not exist there/,
    );
    assert.equal(byId['version-pins/default/esp32@1.0.5']?.outcome?.kind, 'connected');
    assert.equal(byId['version-pins/default/esp32']?.outcome?.kind, 'connected');
  });
});
