// The PKI cache: content hash, warm hits without openssl, atomic publication under concurrency.
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildPki } from '../../rig/pki/index.ts';
import type { PkiSpec } from '../../rig/scenario/schema.ts';
import { ossl, tempDir } from './helpers.ts';

const makeSpec = (serverHash?: 'sha384'): PkiSpec => ({
  ca: { subject: { CN: 'Cache CA' }, key: { type: 'ec' } },
  server: {
    subject: { CN: '{{broker.ip}}' },
    san: ['IP:{{broker.ip}}'],
    key: { type: 'ec' },
    ...(serverHash ? { hash: serverHash } : {}),
  },
});
const spec = makeSpec();
const vars = { 'broker.ip': '127.0.0.1' };

describe('pki: cache', function () {
  this.timeout(60_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => {
    tmp = await tempDir('cache');
  });
  afterEach(async () => {
    await tmp.remove();
  });

  it('a second build is a cached hit with the same hash and runs no openssl', async () => {
    // An openssl wrapper first on PATH counts every spawn.
    const bin = path.join(tmp.dir, 'bin');
    const calls = path.join(tmp.dir, 'calls.log');
    await mkdir(bin);
    await writeFile(path.join(bin, 'openssl'), `#!/bin/sh\necho "$1" >> '${calls}'\nexec /usr/bin/openssl "$@"\n`);
    await chmod(path.join(bin, 'openssl'), 0o755);
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${oldPath ?? ''}`;
    try {
      const cacheDir = path.join(tmp.dir, 'cache');
      const cold = await buildPki(spec, { vars, cacheDir });
      assert.equal(cold.cached, false);
      const coldCalls = (await readFile(calls, 'utf8')).trim().split('\n');
      assert.ok(coldCalls.includes('genpkey') && coldCalls.includes('ca'), coldCalls.join(','));
      const warm = await buildPki(spec, { vars, cacheDir });
      assert.equal(warm.cached, true);
      assert.equal(warm.hash, cold.hash);
      assert.equal(warm.dir, cold.dir);
      assert.deepEqual(warm.certs, cold.certs);
      assert.equal(
        (await readFile(calls, 'utf8')).trim().split('\n').length,
        coldCalls.length,
        'warm hit spawned openssl',
      );
    } finally {
      process.env.PATH = oldPath;
    }
  });

  it('a changed spec or changed vars give a new hash', async () => {
    const a = await buildPki(spec, { vars, cacheDir: tmp.dir });
    const b = await buildPki(makeSpec('sha384'), { vars, cacheDir: tmp.dir });
    const c = await buildPki(spec, { vars: { 'broker.ip': '10.0.0.2' }, cacheDir: tmp.dir });
    assert.equal(new Set([a.hash, b.hash, c.hash]).size, 3);
    assert.equal(b.cached, false);
    assert.equal(c.certs.server.summary.san[0], 'IP:10.0.0.2');
  });

  it('relative validity keys on the day; absolute dates do not', async () => {
    const day1 = new Date('2030-03-01T10:00:00Z');
    const sameDay = new Date('2030-03-01T23:00:00Z');
    const day2 = new Date('2030-03-02T01:00:00Z');
    const rel1 = await buildPki(spec, { vars, cacheDir: tmp.dir, now: day1 });
    assert.equal((await buildPki(spec, { vars, cacheDir: tmp.dir, now: sameDay })).hash, rel1.hash);
    assert.notEqual((await buildPki(spec, { vars, cacheDir: tmp.dir, now: day2 })).hash, rel1.hash);
    assert.equal(rel1.certs.server.summary.notBefore, '2030-03-01T00:00:00.000Z');

    const abs: PkiSpec = {
      ca: {
        subject: { CN: 'abs' },
        key: { type: 'ec' },
        validity: { notBefore: '2024-01-01T00:00:00Z', notAfter: '2034-01-01T00:00:00Z' },
      },
    };
    const a1 = await buildPki(abs, { vars, cacheDir: tmp.dir, now: day1 });
    const a2 = await buildPki(abs, { vars, cacheDir: tmp.dir, now: day2 });
    assert.equal(a2.hash, a1.hash);
    assert.equal(a2.cached, true);
  });

  it('concurrent builds of one spec agree and leave one valid entry', async () => {
    const all = await Promise.all([1, 2, 3].map(() => buildPki(spec, { vars, cacheDir: tmp.dir })));
    assert.equal(new Set(all.map((b) => b.hash)).size, 1);
    assert.equal(
      new Set(all.map((b) => b.certs.server.summary.fingerprintSha256)).size,
      1,
      'all callers see the winning entry',
    );
    const entries = (await readdir(tmp.dir)).filter((e) => !e.startsWith('.openssl'));
    assert.deepEqual(entries, [all[0].hash], `leftovers: ${entries.join(', ')}`);
    const v = await ossl(['verify', '-CAfile', all[0].certs.ca.crt, all[0].certs.server.crt]);
    assert.equal(v.code, 0, v.out);
  });

  it('rebuilds an entry whose summary.json is damaged', async () => {
    const a = await buildPki(spec, { vars, cacheDir: tmp.dir });
    await writeFile(path.join(a.dir, 'summary.json'), '{ "truncated": ');
    const b = await buildPki(spec, { vars, cacheDir: tmp.dir });
    assert.equal(b.cached, false);
    assert.equal(b.hash, a.hash);
    await rm(path.join(b.dir, 'summary.json'));
    assert.equal((await buildPki(spec, { vars, cacheDir: tmp.dir })).cached, false);
  });
});
