import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MergeError, mergeRuns } from '../../rig/report/merge.ts';
import { readResults, writeResults } from '../../rig/report/results.ts';
import type { Results } from '../../rig/results/schema.ts';
import { cell, results, tmpDir, writeFile } from './helpers.ts';

function shard(name: string, r: Results, logs: Record<string, string>): string {
  const dir = tmpDir(`rig-shard-${name}-`);
  for (const [rel, text] of Object.entries(logs)) writeFile(dir, rel, text);
  writeResults(join(dir, 'results.json'), r);
  return dir;
}

describe('report/merge', () => {
  const a = results(
    [
      cell({ scenario: 'cn', variant: 'b', board: 'esp32', serialLog: 'logs/cn.log', brokerLog: 'logs/broker.log' }),
      cell({ scenario: 'shared', variant: 'v', board: 'esp32', serialLog: 'logs/shared.log' }),
    ],
    'run-a',
  );
  a.run.shard = '1/2';
  a.run.startedAt = '2026-11-22T08:00:05.000Z';
  a.run.finishedAt = '2026-11-22T08:10:00.000Z';
  a.run.versions = { mbedtls: '2.28.3', 'esp32:esp32': '2.0.17' };
  const b = results(
    [
      cell({
        scenario: 'cn',
        variant: 'b',
        board: 'esp8266',
        status: 'fail',
        serialLog: 'logs/cn.log',
        brokerLog: 'logs/broker.log',
      }),
      cell({ scenario: 'shared', variant: 'v', board: 'esp32', serialLog: 'logs/shared.log' }),
    ],
    'run-b',
  );
  b.run.shard = '2/2';
  b.run.target = ['twin', 'hardware'];
  b.run.startedAt = '2026-11-22T08:00:01.000Z';
  b.run.finishedAt = '2026-11-22T08:12:00.000Z';
  b.run.versions = { mbedtls: '2.28.3', bearssl: '0.6' };

  it('concatenates cells, copies logs with rewritten paths, combines run metadata', () => {
    const da = shard('a', a, {
      'logs/cn.log': 'esp32 log\n',
      'logs/broker.log': 'broker a\n',
      'logs/shared.log': 'same\n',
    });
    const db = shard('b', b, {
      'logs/cn.log': 'esp8266 log\n',
      'logs/broker.log': 'broker b\n',
      'logs/shared.log': 'same\n',
    });
    const out = tmpDir('rig-merged-');
    const m = mergeRuns([da, db], out);
    assert.deepEqual(
      m.cells.map((c) => c.id),
      ['cn/b/esp32#twin', 'shared/v/esp32#twin', 'cn/b/esp8266#twin'],
    );
    // Same relative log name in both shards → distinct copies, contents preserved.
    const logOf = (id: string): string =>
      readFileSync(join(out, m.cells.find((c) => c.id === id)?.serialLog ?? 'x'), 'utf8');
    assert.equal(logOf('cn/b/esp32#twin'), 'esp32 log\n');
    assert.equal(logOf('cn/b/esp8266#twin'), 'esp8266 log\n');
    assert.equal(m.cells[0].serialLog, 'shards/1-1_2/logs/cn.log');
    assert.equal(m.cells[2].brokerLog, 'shards/2-2_2/logs/broker.log');
    assert.equal(readFileSync(join(out, m.cells[2].brokerLog ?? ''), 'utf8'), 'broker b\n');
    assert.equal(m.run.startedAt, '2026-11-22T08:00:01.000Z');
    assert.equal(m.run.finishedAt, '2026-11-22T08:12:00.000Z');
    assert.deepEqual(m.run.versions, { mbedtls: '2.28.3', 'esp32:esp32': '2.0.17', bearssl: '0.6' });
    assert.deepEqual(m.run.target, ['twin', 'hardware']);
    assert.equal(m.run.id, 'run-a+run-b');
    assert.equal(m.run.shard, undefined);
    // results.json in the output folder is the merged run and validates.
    assert.deepEqual(readResults(join(out, 'results.json')), m);
  });

  it('refuses a duplicate cell id with different results, naming the cell and shards', () => {
    const b2 = structuredClone(b);
    b2.cells[1].status = 'fail';
    const da = shard('a', a, { 'logs/cn.log': 'x\n', 'logs/broker.log': 'x\n', 'logs/shared.log': 'same\n' });
    const db = shard('b', b2, { 'logs/cn.log': 'y\n', 'logs/broker.log': 'y\n', 'logs/shared.log': 'same\n' });
    const out = tmpDir('rig-merged-');
    assert.throws(
      () => mergeRuns([da, db], out),
      (e: Error) =>
        e.name === 'MergeError' &&
        e.message.includes('"shared/v/esp32#twin"') &&
        e.message.includes(da) &&
        e.message.includes(db),
    );
    assert.ok(!existsSync(join(out, 'results.json')));
  });

  it('treats a duplicate with a different log as a conflict', () => {
    const da = shard('a', a, { 'logs/cn.log': 'x\n', 'logs/broker.log': 'x\n', 'logs/shared.log': 'one\n' });
    const db = shard('b', b, { 'logs/cn.log': 'y\n', 'logs/broker.log': 'y\n', 'logs/shared.log': 'two\n' });
    assert.throws(() => mergeRuns([da, db], tmpDir()), /shared\/v\/esp32#twin/);
  });

  it('refuses a log path that leaves the shard folder', () => {
    const evil = results([cell({ scenario: 's', variant: 'v', board: 'b', serialLog: '../../etc/passwd' })]);
    const d = shard('evil', evil, {});
    assert.throws(
      () => mergeRuns([d], tmpDir()),
      /cells\[0\]\.serialLog: log path "\.\.\/\.\.\/etc\/passwd" leaves the run folder/,
    );
  });

  it('refuses an incomplete, duplicated or mixed shard set, naming what is wrong', () => {
    const logs = { 'logs/cn.log': 'x\n', 'logs/broker.log': 'x\n', 'logs/shared.log': 'same\n' };
    const da = shard('a', a, logs);
    const withShard = (id: string, k: string): string => {
      const r = results([cell({ scenario: `only-${id}`, variant: 'v', board: 'esp32' })], id);
      r.run.shard = k;
      return shard(id, r, {});
    };
    const throwsLike = (dirs: string[], re: RegExp): void =>
      assert.throws(
        () => mergeRuns(dirs, tmpDir('rig-merged-')),
        (e: unknown) => e instanceof MergeError && re.test(e.message),
      );
    throwsLike([da], /incomplete shard set: missing 2\/2 \(have 1\/2\)/);
    throwsLike([da, withShard('other-1', '1/2')], /shard 1\/2 given twice/);
    throwsLike([da, withShard('three', '2/3')], /shards of different splits/);
    throwsLike([da, da], /are the same run \(run-a\)/);
    const plain = results([cell({ scenario: 'p', variant: 'v', board: 'esp32' })], 'plain');
    throwsLike([da, shard('plain', plain, {})], /is not a shard/);
    // A whole set merges.
    const m = mergeRuns([da, withShard('two', '2/2')], tmpDir('rig-merged-'));
    assert.equal(m.cells.length, 3);
  });

  it('merges lab hosts by board family: a family split over hosts by --shard, another family unsharded', () => {
    const host = (id: string, board: string, shardOf?: string, variant = 'v'): string => {
      const r = results([cell({ scenario: `s-${board}`, variant, board })], id);
      r.run.boards = [board];
      if (shardOf) r.run.shard = shardOf;
      return shard(id, r, {});
    };
    const esp32a = host('lab-a', 'esp32', '1/2', 'one');
    const esp32b = host('lab-b', 'esp32', '2/2', 'two');
    const esp8266 = host('lab-c', 'esp8266');
    const out = tmpDir('rig-merged-');
    const m = mergeRuns([esp32a, esp32b, esp8266], out);
    assert.deepEqual(m.cells.map((c) => `${c.board}/${c.variant}`).sort(), ['esp32/one', 'esp32/two', 'esp8266/v']);
    assert.throws(
      () => mergeRuns([esp32a, esp8266], tmpDir('rig-merged-')),
      (e: unknown) => e instanceof MergeError && /incomplete shard set of --boards esp32: missing 2\/2/.test(e.message),
    );
  });
});
