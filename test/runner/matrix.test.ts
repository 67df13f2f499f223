import assert from 'node:assert/strict';
import { loadBoards } from '../../rig/boards/load.ts';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { planCells } from '../../rig/runner/plan.ts';
import { projectPaths } from '../../rig/project.ts';
import type { BoardProfile } from '../../rig/boards/profile.ts';

const TEXT = `version: 1
id: m
tags: [demo]
pki: { ca: {}, server: {} }
broker: { listeners: [{ port: 8883, tls: {} }] }
boards: [esp32, esp8266, control]
variants: { broken: {}, fixed: {} }
expect:
  broken: { esp32: { kind: tls/untrusted }, esp8266: { kind: tls/untrusted }, control: { kind: connected } }
  fixed: { esp32: { kind: connected }, esp8266: { hardwareOnly: "needs the board's flash" } }
`;

describe('matrix planning', () => {
  let boards: Map<string, BoardProfile>;
  const loaded = { file: '/x/m.yaml', scenario: parseScenarioText(TEXT, 'm.yaml') };
  before(async () => {
    boards = await loadBoards(projectPaths().boards);
  });

  it('one cell per variant × board with an expectation; controls run on the host', () => {
    const cells = planCells([loaded], boards, { targets: ['twin'] });
    assert.deepEqual(
      cells.map((c) => c.key),
      [
        'm/broken/esp32#twin',
        'm/broken/esp8266#twin',
        'm/broken/control#host',
        'm/fixed/esp32#twin',
        'm/fixed/esp8266#twin',
      ],
    );
    assert.match(cells.find((c) => c.key === 'm/fixed/esp8266#twin')!.skip ?? '', /hardware only/);
  });

  it('a board profile with several core versions adds a core axis', () => {
    const multi = new Map(boards);
    const esp32 = boards.get('esp32')!;
    multi.set('esp32', { ...esp32, twin: { ...esp32.twin!, coreVersions: ['2.0.17', '1.0.6'] } });
    const ids = planCells([loaded], multi, { targets: ['twin'], boards: ['esp32'] }).map((c) => c.id);
    assert.deepEqual(ids, [
      'm/broken/esp32@2.0.17',
      'm/broken/esp32@1.0.6',
      'm/fixed/esp32@2.0.17',
      'm/fixed/esp32@1.0.6',
    ]);
  });

  it('twin,hardware plans both targets for boards; filter, tags and shards select', () => {
    const both = planCells([loaded], boards, { targets: ['twin', 'hardware'] });
    assert.equal(both.filter((c) => c.target === 'hardware').length, 4);
    assert.equal(planCells([loaded], boards, { targets: ['twin'], filter: /broken\/esp/ }).length, 2);
    assert.equal(planCells([loaded], boards, { targets: ['twin'], tags: ['other'] }).length, 0);
    const all = planCells([loaded], boards, { targets: ['twin'] })
      .map((c) => c.key)
      .sort();
    const shards = [1, 2, 3].flatMap((index) =>
      planCells([loaded], boards, { targets: ['twin'], shard: { index, count: 3 } }).map((c) => c.key),
    );
    assert.deepEqual(shards.sort(), all, 'shards partition the matrix');
  });
});

describe('matrix planning: per-core expectations', () => {
  it('"esp32@1.0.6" overrides the board expectation for that core only', async () => {
    const boards = await loadBoards(projectPaths().boards);
    const esp32 = boards.get('esp32')!;
    boards.set('esp32', { ...esp32, twin: { ...esp32.twin!, coreVersions: ['2.0.17', '1.0.6'] } });
    const text = TEXT.replace(
      'fixed: { esp32: { kind: connected }',
      'fixed: { esp32: { kind: connected }, "esp32@1.0.6": { kind: tls/untrusted }',
    );
    const cells = planCells([{ file: 'm.yaml', scenario: parseScenarioText(text, 'm.yaml') }], boards, {
      targets: ['twin'],
      boards: ['esp32'],
      filter: /fixed/,
    });
    assert.deepEqual(
      cells.map((c) => [c.id, c.expectation?.kind]),
      [
        ['m/fixed/esp32@2.0.17', 'connected'],
        ['m/fixed/esp32@1.0.6', 'tls/untrusted'],
      ],
    );
  });
});

describe('matrix planning: a scenario pins a core off the axis', () => {
  const pinned = (extra: string) => {
    const text = TEXT.replace(
      'broken: { esp32: { kind: tls/untrusted }',
      `broken: { esp32: { kind: tls/untrusted }, ${extra}`,
    );
    return [{ file: 'm.yaml', scenario: parseScenarioText(text, 'm.yaml') }];
  };
  let boards: Map<string, BoardProfile>;
  before(async () => {
    boards = await loadBoards(projectPaths().boards);
  });

  it('a core the twin imitates adds a cell with the pinned expectation; the default cell keeps its plain id', () => {
    const cells = planCells(pinned('"esp32@1.0.6": { kind: tls/name-mismatch }'), boards, {
      targets: ['twin'],
      boards: ['esp32'],
      filter: /broken/,
    });
    assert.deepEqual(
      cells.map((c) => [c.id, c.core, c.expectation?.kind, c.skip]),
      [
        ['m/broken/esp32', undefined, 'tls/untrusted', undefined],
        ['m/broken/esp32@1.0.6', '1.0.6', 'tls/name-mismatch', undefined],
      ],
    );
  });

  it('a core the twin does not imitate is a skipped cell that names the nearest ones it imitates', () => {
    const [, off] = planCells(pinned('"esp32@0.9.0": { kind: connected }'), boards, {
      targets: ['twin'],
      boards: ['esp32'],
      filter: /broken/,
    });
    assert.equal(off?.id, 'm/broken/esp32@0.9.0');
    assert.match(off?.skip ?? '', /does not imitate core 0\.9\.0 \(nearest: 1\.0\.0, 1\.0\.1, 1\.0\.2\)/);
  });

  it('pinning the default core overrides the board expectation without a second cell', () => {
    const cells = planCells(pinned('"esp32@2.0.17": { kind: connected }'), boards, {
      targets: ['twin'],
      boards: ['esp32'],
      filter: /broken/,
    });
    assert.deepEqual(
      cells.map((c) => [c.id, c.expectation?.kind]),
      [['m/broken/esp32', 'connected']],
    );
  });

  it('hardware runs the core its profile installs: that pin applies, other pins add no hardware cell', () => {
    const cells = planCells(
      pinned('"esp32@2.0.17": { kind: connected }, "esp32@1.0.6": { kind: tls/name-mismatch }'),
      boards,
      { targets: ['hardware'], boards: ['esp32'], filter: /broken/ },
    );
    assert.deepEqual(
      cells.map((c) => [c.id, c.target, c.expectation?.kind]),
      [['m/broken/esp32', 'hardware', 'connected']],
    );
  });
});
