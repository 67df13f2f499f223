// The host core's hash is remembered within a process (rig/twin/hostcore.ts) but never outlives an edit: a source
// that changes (or appears) gives a new hash, an untouched tree the same one. Host cores that differ in a -D option
// share the objects of the sources that option does not reach.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildHostCore, hostCoreHash, type HostCoreLayout } from '../../rig/twin/hostcore.ts';

/** A host core of one board folder and nothing else. */
function boardOnly(dir: string, board: string): HostCoreLayout {
  return { core: 'esp32', boardsDir: dir, boardDir: board, coreDirs: [], includeDirs: [board], sourceRoots: [board] };
}

describe('twin: host core hash', () => {
  it('is the same for an untouched tree and changes with an edited or added source', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rig-hostcore-hash-'));
    try {
      const board = path.join(dir, 'esp32');
      mkdirSync(board);
      writeFileSync(path.join(board, 'a.cpp'), 'int a() { return 1; }\n');
      const layout = boardOnly(dir, board);
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

  it('shares an object between host cores when its preprocessed text and code options are the same', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rig-hostcore-objects-'));
    try {
      const board = path.join(dir, 'esp32');
      mkdirSync(board);
      writeFileSync(path.join(board, 'version.h'), 'int version();\n');
      writeFileSync(path.join(board, 'uses.cpp'), '#include "version.h"\nint version() { return LIB_VERSION; }\n');
      writeFileSync(path.join(board, 'plain.cpp'), '#include "version.h"\nint twice() { return 2 * version(); }\n');
      const layout = boardOnly(dir, board);
      const cache = path.join(dir, 'cache');
      const build = async (flags: string[]): Promise<{ cached: string[]; compiled: string[] }> => {
        const log = (await buildHostCore(layout, [...flags, `-I${board}`], cache)).log;
        const names = (re: RegExp): string[] => [...log.matchAll(re)].map((m) => path.basename(m[1]!)).sort();
        return { cached: names(/^object of (\S+): cached/gm), compiled: names(/ -c (\S+\.cpp) -o /gm) };
      };
      assert.deepEqual(await build(['-O1', '-DLIB_VERSION=20800']), {
        cached: [],
        compiled: ['plain.cpp', 'uses.cpp'],
      });
      assert.deepEqual(await build(['-O1', '-DLIB_VERSION=20700']), { cached: ['plain.cpp'], compiled: ['uses.cpp'] });
      assert.deepEqual(
        await build(['-O2', '-DLIB_VERSION=20700']),
        { cached: [], compiled: ['plain.cpp', 'uses.cpp'] },
        'another optimisation level is another object',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
