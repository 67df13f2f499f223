// Cells of one variant share a broker and its observer. End to end on real parts (ESP8266 and ESP32 twins, the
// mqtt.js control, local Mosquitto): a cell's `messages` and `brokerLog` expectations see only its own clients.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadScenario } from '../../rig/scenario/load.ts';
import { projectPaths } from '../../rig/project.ts';
import { type RunOutcome } from '../../rig/runner/run.ts';
import type { Cell } from '../../rig/results/schema.ts';
import { runQuiet } from '../helpers/matrix.ts';

describe('runner: evidence on a shared broker belongs to the cell that made it', function () {
  this.timeout(300_000);
  const paths = projectPaths();
  let tmp: string;
  let run: RunOutcome;
  const cell = (id: string): Cell => {
    const c = run.results.cells.find((x) => x.id === `shared-broker/${id}`);
    assert.ok(c, `no cell ${id}: ${run.results.cells.map((x) => x.id).join(', ')}`);
    return c;
  };

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-shared-broker-'));
    const loaded = await loadScenario(path.join(paths.root, 'test', 'fixtures', 'scenarios', 'shared-broker.yaml'));
    run = await runQuiet({
      scenarios: [loaded],
      jobs: 4,
      outDir: path.join(tmp, 'run'),
      paths,
    });
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it("a board that never connected gets no credit for the control client's message or connection line", () => {
    const c = cell('broken/esp8266');
    assert.equal(c.outcome.code, 'bearssl:56', JSON.stringify(c.outcome));
    assert.equal(c.status, 'fail', JSON.stringify(c));
    const failures = c.failures.join('\n');
    assert.match(failures, /broker saw 0 message\(s\) from this cell on rig\/shared\/#, expected 1/);
    assert.match(failures, /not counted: .*published by rig-control-broken/);
    assert.match(failures, /broker log never showed \/New client connected from \.\* as \//);
  });

  it("the control client's own message and connection line count for it", () => {
    const c = cell('broken/control');
    assert.equal(c.status, 'pass', JSON.stringify(c));
  });

  it('two twins on one broker: each counts its own message', () => {
    assert.equal(cell('fixed/esp8266').status, 'pass', JSON.stringify(cell('fixed/esp8266')));
    assert.equal(cell('fixed/esp32').status, 'pass', JSON.stringify(cell('fixed/esp32')));
  });

  it('a sketch that hard-codes its client id is known by the id its twin reports', () => {
    const c = cell('own-id/esp32');
    assert.equal(c.status, 'pass', JSON.stringify(c));
    assert.ok(!(c.outcome.facts ?? []).some((f) => f.startsWith('mqtt-client-id:')), 'the id is not an outcome fact');
    const facts = readFileSync(
      path.join(run.runDir, 'cells', 'shared-broker_own-id_esp32_twin', 'twin-facts.txt'),
      'utf8',
    );
    assert.match(facts, /^mqtt-client-id:sketch-own-id$/m);
  });

  it('every cell records the core it ran on; ids and report columns keep the plain board name', () => {
    assert.equal(cell('fixed/esp8266').core, '3.1.2');
    assert.equal(cell('fixed/esp32').core, '2.0.17');
    assert.equal(cell('broken/control').core, undefined, 'a PC has no Arduino core');
    const summary = readFileSync(path.join(run.runDir, 'summary.md'), 'utf8');
    assert.match(summary, /\| esp8266 \|/);
    assert.doesNotMatch(summary, /esp8266@|esp32@/);
  });
});
