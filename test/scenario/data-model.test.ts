// Which cells get a 32-bit twin: the scenario's build.dataModel, else ILP32 exactly when the steps set millis().
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadBoard } from '../../rig/boards/load.ts';
import { toolsFor } from '../../rig/cli/commands/selection.ts';
import { projectPaths } from '../../rig/project.ts';
import type { CellPlan } from '../../rig/runner/plan.ts';
import { loadScenario, parseScenarioText } from '../../rig/scenario/load.ts';
import { aptCommand, REQUIREMENTS } from '../../rig/setup/deps.ts';
import { dataModelFor } from '../../rig/scenario/data-model.ts';
import { controlLine } from '../../rig/target/twin.ts';
import { commonFlags, hostCoreHash, hostCoreLayout } from '../../rig/twin/hostcore.ts';
import { scenarioBase } from '../helpers/scenario-text.ts';

const BASE = scenarioBase(['esp32', 'esp8266']);
const WRAP_STEPS = `steps:\n  - clock: { millis: 4294947296 }\n`;
const EXPECT = 'expect: { default: { "*": { kind: connected } } }\n';

describe('twin data model per cell', () => {
  it('is the host default (lp64) without a millis step, and ilp32 with one', () => {
    const plain = parseScenarioText(`${BASE}${EXPECT}steps:\n  - clock: { advanceMs: 1000 }\n`, 'x.yaml');
    assert.equal(dataModelFor(plain, 'default', 'esp32'), 'lp64');
    const wrap = parseScenarioText(`${BASE}${EXPECT}${WRAP_STEPS}`, 'x.yaml');
    assert.equal(dataModelFor(wrap, 'default', 'esp32'), 'ilp32');
  });
  it('follows build.dataModel, the board over "*" and the variant over the scenario', () => {
    const s = parseScenarioText(
      `${BASE}${WRAP_STEPS}build: { "*": { dataModel: lp64 } }
variants:
  a: {}
  b: { build: { esp8266: { dataModel: ilp32 } } }
  c: { steps: [{ wait: 1 }] }
expect:
  a: { "*": { kind: connected } }
  b: { "*": { kind: connected } }
  c: { "*": { kind: connected } }
`,
      'x.yaml',
    );
    assert.equal(dataModelFor(s, 'a', 'esp32'), 'lp64');
    assert.equal(dataModelFor(s, 'b', 'esp32'), 'lp64');
    assert.equal(dataModelFor(s, 'b', 'esp8266'), 'ilp32');
    const t = parseScenarioText(
      `${BASE}${WRAP_STEPS}variants:\n  c: { steps: [{ wait: 1 }] }\nexpect:\n  c: { "*": { kind: connected } }\n`,
      'x.yaml',
    );
    assert.equal(dataModelFor(t, 'c', 'esp32'), 'lp64', "a variant's own steps without millis");
  });
  it('reaches g++ as -m32 and so the host core cache key; the default flags are unchanged', async () => {
    const layout = await hostCoreLayout('mkr1000');
    const lp64 = commonFlags(layout, ['X=1']);
    const ilp32 = commonFlags(layout, ['X=1'], 'ilp32');
    assert.deepEqual(commonFlags(layout, ['X=1'], 'lp64'), lp64);
    assert.ok(!lp64.includes('-m32'));
    assert.deepEqual(ilp32, ['-m32', ...lp64]);
    const [a, b] = await Promise.all([hostCoreHash(layout, lp64), hostCoreHash(layout, ilp32)]);
    assert.notEqual(a.hash, b.hash);
  });
  it('makes the run check g++ -m32 before a 32-bit cell, and only then', async () => {
    const root = projectPaths().root;
    const loaded = await loadScenario(path.join(root, 'test', 'fixtures', 'scenarios', 'steps-millis-wrap.yaml'));
    const board = await loadBoard(path.join(root, 'boards', 'mkr1000.yaml'));
    const plan = (variant: string): CellPlan => ({
      key: variant,
      id: `steps-millis-wrap/${variant}/mkr1000`,
      loaded,
      variant,
      board,
      target: 'twin',
    });
    assert.ok(toolsFor([plan('unsigned')], 'local').includes('g++-m32'));
    assert.ok(!toolsFor([plan('signed-long-lp64')], 'local').includes('g++-m32'));
    assert.ok(toolsFor([plan('signed-long-lp64')], 'local').includes('bearssl'));
  });
  it('rig setup installs the i386 libraries after adding the architecture, and never removes a package', () => {
    const core = REQUIREMENTS.filter((r) => r.for === 'core').map((r) => r.pkg);
    for (const p of ['g++-multilib', 'libmbedtls-dev:i386', 'libbearssl-dev:i386']) assert.ok(core.includes(p), p);
    const { foreign, cmd } = aptCommand(['g++', 'libmbedtls-dev:i386', 'libbearssl-dev:i386']);
    assert.deepEqual(foreign, ['i386']);
    assert.match(
      cmd,
      /^dpkg --add-architecture i386 && apt-get update && apt-get install .*--no-remove g\+\+ libmbedtls/,
    );
    assert.equal(aptCommand(['g++']).foreign.length, 0);
  });
  it("writes clock moves as the twin's control lines", () => {
    assert.equal(controlLine({ advanceMs: 5 }), 'advance 5');
    assert.equal(controlLine({ millis: 4294947296 }), 'millis 4294947296');
    assert.equal(controlLine({ calendar: 1700000000 }), 'calendar 1700000000');
  });
});
