import assert from 'node:assert/strict';
import { KeyedLock, Pool } from '../../rig/runner/pool.ts';
import { globToRegExp, matchQuarantine } from '../../rig/runner/quarantine.ts';
import { parseShard } from '../../rig/runner/plan.ts';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('runner building blocks', () => {
  it('Pool never runs more than its size at once', async () => {
    const pool = new Pool(2);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        pool.run(async () => {
          active++;
          peak = Math.max(peak, active);
          await tick();
          await tick();
          active--;
        }),
      ),
    );
    assert.equal(peak, 2);
  });

  it('KeyedLock serialises one key and lets other keys run', async () => {
    const lock = new KeyedLock();
    const order: string[] = [];
    await Promise.all([
      lock.with('board:a', async () => {
        order.push('a1+');
        await tick();
        await tick();
        order.push('a1-');
      }),
      lock.with('board:a', async () => {
        order.push('a2+');
        order.push('a2-');
      }),
      lock.with('board:b', async () => {
        order.push('b+');
        order.push('b-');
      }),
    ]);
    assert.ok(order.indexOf('a2+') > order.indexOf('a1-'), order.join(' '));
    assert.ok(order.indexOf('b+') < order.indexOf('a1-'), order.join(' '));
  });

  it('quarantine globs match within and across segments', () => {
    assert.ok(globToRegExp('seed-*/broken/esp8266').test('seed-002/broken/esp8266'));
    assert.ok(!globToRegExp('seed-*/broken/esp8266').test('seed-002/broken/esp32'));
    assert.ok(globToRegExp('**/mkr1000').test('a/b/mkr1000'));
    const q = [{ cells: 'x/*/esp32@*', issue: 'https://example.invalid/1' }];
    assert.equal(matchQuarantine(q, 'x/broken/esp32@1.0.6')?.issue, 'https://example.invalid/1');
    assert.equal(matchQuarantine(q, 'x/broken/esp32'), undefined);
  });

  it('parses shards and rejects nonsense', () => {
    assert.deepEqual(parseShard('2/3'), { index: 2, count: 3 });
    assert.throws(() => parseShard('4/3'), /K\/N/);
    assert.throws(() => parseShard('0/3'), /K\/N/);
  });
});
