// The host core's hash is remembered within a process (rig/twin/hostcore.ts) but never outlives an edit: a source
// that changes (or appears) gives a new hash, an untouched tree the same one.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostCoreHash, type HostCoreLayout } from '../../rig/twin/hostcore.ts';

describe('twin: host core hash', () => {
  it('is the same for an untouched tree and changes with an edited or added source', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rig-hostcore-hash-'));
    try {
      const board = path.join(dir, 'esp32');
      mkdirSync(board);
      writeFileSync(path.join(board, 'a.cpp'), 'int a() { return 1; }\n');
      const layout: HostCoreLayout = {
        core: 'esp32',
        boardsDir: dir,
        boardDir: board,
        coreDirs: [],
        includeDirs: [board],
        sourceRoots: [board],
      };
      const first = await hostCoreHash(layout, ['-O1']);
      assert.deepEqual(await hostCoreHash(layout, ['-O1']), first);
      assert.notEqual((await hostCoreHash(layout, ['-O2'])).hash, first.hash, 'flags are part of it');
      writeFileSync(path.join(board, 'a.cpp'), 'int a() { return 22; }\n');
      const edited = await hostCoreHash(layout, ['-O1']);
      assert.notEqual(edited.hash, first.hash, 'an edited source');
      writeFileSync(path.join(board, 'b.cpp'), 'int b() { return 2; }\n');
      const added = await hostCoreHash(layout, ['-O1']);
      assert.notEqual(added.hash, edited.hash, 'an added source');
      assert.deepEqual(added.sources, [path.join(board, 'a.cpp'), path.join(board, 'b.cpp')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
