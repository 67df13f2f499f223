// `rig new --from-forum POST && rig run ID` on real posts the rig was not written for (test/fixtures/forum-posts/,
// each with its thread's address in its first line): every post becomes a scenario, or a refusal that says what is
// missing, and one `rig run` of all of them (--jobs 2, local broker) reproduces what the posters saw on the first
// run, without editing a skeleton, for at least 10 of them. Which posts reproduce is recorded in the fixtures'
// README.md; a post recorded as reproducing that stops reproducing fails here.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { Results, type Cell } from '../../rig/results/schema.ts';
import { ROOT, rigCopy, rigIn } from './helpers.ts';

const POSTS = path.join(ROOT, 'test', 'fixtures', 'forum-posts');
const files = readdirSync(POSTS).filter((f) => f.endsWith('.md') && f !== 'README.md');

/** The README's table: post file → recorded as reproducing ("yes") or not. */
function recorded(): Map<string, boolean> {
  const table = readFileSync(path.join(POSTS, 'README.md'), 'utf8');
  const out = new Map<string, boolean>();
  for (const m of table.matchAll(/^\| \[([\w.-]+\.md)\]\([^)]*\) \|(?:[^|]*\|){2} (yes|no)\b/gm))
    out.set(m[1]!, m[2] === 'yes');
  return out;
}

describe('rig new --from-forum on real posts, then one rig run', function () {
  this.timeout(1_500_000);
  let tmp: string;
  const ids = files.map((f) => f.replace(/\.md$/, ''));
  const made = new Map<string, { code: number | null; out: string; err: string }>();
  let results: Results | undefined;
  let runOut = '';

  before(function () {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-posts-'));
    rigCopy(tmp, { sketches: true });
    for (const f of files)
      made.set(f, rigIn(tmp, ['new', '--from-forum', '--id', f.replace(/\.md$/, ''), path.join(POSTS, f)]));
  });
  after(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it('has at least twelve posts, each with its thread in its first line, none from the corpus', () => {
    assert.ok(files.length >= 12, `only ${files.length} posts`);
    const corpus = readFileSync(path.join(ROOT, 'test', 'fixtures', 'forum', 'corpus-links.yaml'), 'utf8');
    for (const f of files) {
      const first = readFileSync(path.join(POSTS, f), 'utf8').split('\n')[0]!;
      assert.match(first, /^https?:\/\/\S+$/, `${f}: first line must be the thread's address`);
      assert.ok(!corpus.includes(`"${first}"`), `${f}: ${first} is a corpus thread`);
    }
  });

  it('turns every post into a scenario that loads, or refuses saying what is missing', () => {
    for (const [f, r] of made) {
      if (r.code === 0) {
        const file = path.join(tmp, 'scenarios', 'forum', f.replace(/\.md$/, '.yaml'));
        const s = parseScenarioText(readFileSync(file, 'utf8'), file);
        assert.ok(s.expect.broken, `${f}: no broken expectations`);
        assert.match(r.out, /note: /, `${f}: the notes say what was read and assumed`);
      } else {
        assert.equal(r.code, 2, `${f}: ${r.err}`);
        assert.match(
          r.err,
          /found nothing to reproduce|missing|no /,
          `${f}: a refusal names what is missing: ${r.err}`,
        );
      }
    }
  });

  it('reproduces what the posters saw on the first run for at least 10 posts (one rig run, --jobs 2)', function () {
    const written = ids.filter((id) => made.get(`${id}.md`)?.code === 0);
    const out = path.join(tmp, 'run');
    const r = rigIn(
      tmp,
      ['run', ...written, '--target', 'twin', '--broker', 'local', '--jobs', '2', '--out', out],
      1_400_000,
    );
    runOut = r.out;
    results = Results.parse(JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')));
    const byPost = new Map<string, Cell[]>();
    for (const c of results.cells) byPost.set(c.scenario, [...(byPost.get(c.scenario) ?? []), c]);
    const reproduced = written.filter((id) => {
      const broken = (byPost.get(id) ?? []).filter((c) => c.variant === 'broken');
      const boards = broken.filter((c) => c.target !== 'host');
      return (
        boards.length > 0 &&
        boards.every((c) => c.status === 'pass') &&
        broken.every((c) => c.status !== 'fail' && c.status !== 'error')
      );
    });
    const summary = written.map((id) => `${reproduced.includes(id) ? 'yes' : 'no '} ${id}`).join('\n');
    assert.ok(
      reproduced.length >= 10,
      `only ${reproduced.length} of ${written.length} reproduce:\n${summary}\n${r.out}`,
    );
    for (const [f, yes] of recorded())
      if (yes)
        assert.ok(
          reproduced.includes(f.replace(/\.md$/, '')),
          `${f} is recorded as reproducing but did not:\n${summary}`,
        );
    assert.equal(recorded().size, files.length, 'every post has a row in test/fixtures/forum-posts/README.md');
  });

  it('the fixed variants of the posts that reproduce connect', function () {
    if (!results) return this.skip();
    const fixed = results.cells.filter((c) => c.variant === 'fixed' && c.target !== 'host' && c.status !== 'skip');
    assert.ok(fixed.length >= 10, `${fixed.length} fixed cells ran`);
    for (const c of fixed) assert.equal(c.status, 'pass', `${c.id}: ${c.reason ?? ''}`);
  });

  it("the run tells, cell by cell, the poster's line beside the twin's", function () {
    if (!results) return this.skip();
    assert.match(runOut, /Against the post/);
    assert.match(runOut, /✔ reproduced {2}esp-mqtt-84-raspberrypi-crt-wrong-ca\/broken\/esp32/);
    assert.match(
      runOut,
      /poster: 1540467566: OpenSSL Error: error:14094412:SSL routines:ssl3_read_bytes:sslv3 ale\n\s+broker: OpenSSL Error\[0\]: error:0A000412:SSL routines::sslv3 alert bad certificate/,
    );
  });
});
