import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { loadScenario, type LoadedScenario } from '../../rig/scenario/load.ts';
import { serialExpect } from '../../rig/outcome/expect.ts';
import { Results } from '../../rig/results/schema.ts';
import { ROOT, SEEDS_DIR, rig } from './helpers.ts';

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(e.name) ? [p] : [];
  });
}

const ALL = yamlFiles(path.join(ROOT, 'scenarios'));
const FORUM_DIR = path.join(ROOT, 'scenarios', 'forum');
// The corpus threads' ids, families and links (the only fields checked here), kept in the repository.
const CORPUS = path.join(ROOT, 'test', 'fixtures', 'forum', 'corpus-links.yaml');
const CorpusLinks = z.object({
  entries: z
    .array(z.object({ id: z.string(), family: z.enum(['esp32', 'esp8266', 'mkr-samd']), link: z.url() }).strict())
    .min(1),
});

describe('forum and seed scenarios', function () {
  this.timeout(60_000);
  let loaded: LoadedScenario[] = [];
  before(async () => {
    loaded = await Promise.all(ALL.map((f) => loadScenario(f)));
  });
  const seeds = () => loaded.filter((l) => l.scenario.tags.includes('seed'));
  const forum = () => loaded.filter((l) => l.file.startsWith(FORUM_DIR + path.sep));

  it('every file under scenarios/ passes `rig check`', () => {
    assert.ok(ALL.length >= 25, `only ${ALL.length} scenario files`);
    const r = rig(['check', ...ALL]);
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.out
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('ok ')).length,
      ALL.length,
    );
  });

  it('one seed scenario per seed document, naming its file, with broken and fixed variants', () => {
    const ids = new Map<string, string>();
    for (const { file, scenario: s } of seeds()) {
      const named = s.source.map((x) => /^seed (\d{3})_[0-9a-f]+\.txt$/.exec(x)).filter((m) => m !== null);
      assert.equal(named.length, 1, `${file}: source must name exactly one seed file ("seed 00X_<hash>.txt")`);
      const seedId = named[0]![1]!;
      assert.ok(!ids.has(seedId), `seed ${seedId} reproduced twice: ${ids.get(seedId)} and ${file}`);
      ids.set(seedId, file);
      assert.ok(
        existsSync(path.join(SEEDS_DIR, s.source.find((x) => x.startsWith('seed '))!.slice(5))),
        `${file}: seed file not in ${SEEDS_DIR}`,
      );
      for (const v of ['broken', 'fixed']) {
        assert.ok(s.variants[v], `${file}: no "${v}" variant`);
        assert.ok(s.expect[v] && Object.keys(s.expect[v]!).length > 0, `${file}: no expectations for "${v}"`);
      }
      assert.ok(s.tags.includes('forum'), `${file}: tag "forum" missing`);
    }
    assert.deepEqual([...ids.keys()].sort(), ['000', '001', '002', '003', '004']);
  });

  it('every forum scenario has a link, a must-see regex in broken, and a fixed variant that connects and publishes', () => {
    assert.ok(forum().length > 0, 'no scenarios in scenarios/forum/');
    for (const { file, scenario: s } of [...forum(), ...seeds()]) {
      if (!s.tags.includes('seed'))
        assert.ok(
          s.source.some((x) => /^https?:\/\//.test(x)),
          `${file}: source has no link`,
        );
      assert.ok(s.tags.includes('forum'), `${file}: tag "forum" missing`);
      const broken = Object.values(s.expect.broken ?? {});
      assert.ok(
        broken.some((e) => serialExpect(e).see.length > 0 || (e.brokerLog?.length ?? 0) > 0),
        `${file}: expect.broken has no must-see serial (or broker log) regex`,
      );
      const fixed = Object.entries(s.expect.fixed ?? {});
      assert.ok(s.variants.fixed, `${file}: no "fixed" variant`);
      assert.ok(
        fixed.some(
          ([board, e]) =>
            board !== 'control' &&
            board !== 'mosquitto-cli' &&
            e.kind === 'connected' &&
            (e.messages ?? []).some((m) => m.topic.endsWith('/up')),
        ),
        `${file}: expect.fixed has no board that connects and publishes on <topic>/up`,
      );
    }
  });

  it('forum scenarios carry a board-family tag, and hardware-only cells say why', () => {
    for (const { file, scenario: s } of forum()) {
      assert.ok(
        s.tags.some((t) => ['esp32', 'esp8266', 'mkr-samd'].includes(t)),
        `${file}: no family tag (esp32, esp8266, mkr-samd)`,
      );
      for (const byBoard of Object.values(s.expect)) {
        for (const e of Object.values(byBoard))
          if (e.hardwareOnly !== undefined)
            assert.ok(e.hardwareOnly.length >= 10, `${file}: hardwareOnly needs a reason`);
      }
    }
  });

  it('every sketch a scenario names exists (arduino-cli layout)', () => {
    for (const { file, scenario: s } of loaded) {
      const dirs = [
        ...(typeof s.sketch === 'string' ? [s.sketch] : Object.values(s.sketch ?? {})),
        ...Object.values(s.variants).flatMap((v) => (v.sketch ? [v.sketch] : [])),
      ];
      for (const d of dirs)
        assert.ok(
          existsSync(path.join(ROOT, d, `${path.basename(d)}.ino`)),
          `${file}: sketch ${d} has no ${path.basename(d)}.ino`,
        );
    }
  });

  it('every corpus entry has its forum scenario (same id), linking its thread and tagged with its family', () => {
    const corpus = CorpusLinks.parse(parseYaml(readFileSync(CORPUS, 'utf8'))).entries;
    const byId = new Map(forum().map((l) => [l.scenario.id, l.scenario]));
    for (const entry of corpus) {
      const s = byId.get(entry.id);
      assert.ok(s, `no scenarios/forum/${entry.id}.yaml`);
      assert.ok(s.source.includes(entry.link), `${entry.id}: source lacks ${entry.link}`);
      assert.ok(s.tags.includes(entry.family), `${entry.id}: tag "${entry.family}" missing`);
    }
  });
});

describe('seed 002 end to end on the twin', function () {
  this.timeout(300_000);
  it('rig run: ESP8266 twin shows BAD_SERVER_NAME when broken and publishes when fixed', function () {
    if (!existsSync(path.join(ROOT, 'rig', 'twin')) || !existsSync(path.join(ROOT, 'boards', 'twin', 'esp8266'))) {
      console.log('skip: the ESP8266 twin (rig/twin, boards/twin/esp8266) is not here');
      this.skip();
    }
    const out = mkdtempSync(path.join(os.tmpdir(), 'rig-seed002-'));
    try {
      const r = rig(
        [
          'run',
          'seed-002-esp8266-mtls-bad-server-name',
          '--target',
          'twin',
          '--broker',
          'local',
          '--jobs',
          '2',
          '--out',
          out,
        ],
        '',
        280_000,
      );
      const results = Results.parse(JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')));
      const cell = (id: string) => results.cells.find((c) => c.id === id);
      const broken = cell('seed-002-esp8266-mtls-bad-server-name/broken/esp8266');
      assert.equal(broken?.status, 'pass', JSON.stringify(broken));
      assert.equal(broken?.outcome.kind, 'tls/name-mismatch');
      assert.equal(cell('seed-002-esp8266-mtls-bad-server-name/fixed/esp8266')?.outcome.kind, 'connected');
      assert.equal(
        cell('seed-002-esp8266-mtls-bad-server-name/broken/control')?.outcome.kind,
        'connected',
        'the PC accepts the IP SAN',
      );
      assert.equal(r.code, 0, `${r.out}\n${r.err}`);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
