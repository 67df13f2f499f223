import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ACTIONS_BOT,
  MARKER,
  annotationCommands,
  markerFor,
  STEP_SUMMARY_LIMIT,
  commentBody,
  parseConcatenatedJson,
  publishReport,
} from '../../rig/report/publish.ts';
import { COMMENT_LIMIT } from '../../rig/report/summary.ts';
import { cell, results, tmpDir } from './helpers.ts';

const FAKE_GH = fileURLToPath(new URL('../fixtures/fake-gh.mjs', import.meta.url));

interface FakeState {
  comments: { id: number; body: string; issue: number; user?: { login: string } }[];
  calls: { argv: string[]; hasToken: boolean }[];
}

describe('report/publish', () => {
  before(() => chmodSync(FAKE_GH, 0o755));

  function setup(extra: NodeJS.ProcessEnv = {}): { env: NodeJS.ProcessEnv; state: () => FakeState; stepFile: string } {
    const dir = tmpDir('rig-publish-test-');
    const stateFile = join(dir, 'gh-state.json');
    const stepFile = join(dir, 'step-summary.md');
    writeFileSync(stepFile, '');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      FAKE_GH_STATE: stateFile,
      GITHUB_STEP_SUMMARY: stepFile,
      GITHUB_REF: 'refs/pull/42/merge',
      GITHUB_REPOSITORY: 'acme/rig',
      GITHUB_TOKEN: 'ghs_fake',
      ...extra,
    };
    return { env, stepFile, state: () => JSON.parse(readFileSync(stateFile, 'utf8')) as FakeState };
  }

  it('creates one sticky comment, then edits it; appends the job summary', async () => {
    const { env, state, stepFile } = setup();
    const first = await publishReport({ summary: '## report one\n', env, gh: FAKE_GH });
    assert.equal(first.stepSummary, 'appended');
    assert.equal(first.comment.action, 'created');
    // Someone else comments in between; the rig must still find its own comment.
    const s = state();
    s.comments.push({ id: 5, body: 'LGTM', issue: 42 }, { id: 6, body: 'another', issue: 42 });
    writeFileSync(env.FAKE_GH_STATE ?? '', JSON.stringify(s));

    const second = await publishReport({ summary: '## report two\n', env, gh: FAKE_GH });
    assert.equal(second.comment.action, 'updated');
    assert.equal('id' in second.comment && second.comment.id, 'id' in first.comment && first.comment.id);

    const end = state();
    const mine = end.comments.filter((c) => c.body.includes(MARKER));
    assert.equal(mine.length, 1, 'never a second comment');
    assert.equal(mine[0].body, `${MARKER}\n## report two\n`);
    const calls = end.calls.map((c) => c.argv.slice(0, 4).join(' '));
    assert.deepEqual(calls, [
      'api user',
      'api --paginate repos/acme/rig/issues/42/comments?per_page=100',
      'api --method POST repos/acme/rig/issues/42/comments',
      'api user',
      'api --paginate repos/acme/rig/issues/42/comments?per_page=100',
      `api --method PATCH repos/acme/rig/issues/comments/${mine[0].id}`,
    ]);
    assert.ok(
      end.calls.every((c) => c.hasToken),
      'GITHUB_TOKEN handed to gh as GH_TOKEN',
    );
    assert.equal(readFileSync(stepFile, 'utf8'), '## report one\n## report two\n');
  });

  it('takes --pr over GITHUB_REF and skips the comment without PR or token', async () => {
    const a = setup({ GITHUB_REF: 'refs/heads/main' });
    const r1 = await publishReport({ summary: 'x', env: a.env, gh: FAKE_GH });
    assert.deepEqual(r1.comment, {
      action: 'skipped',
      reason: 'no pull request (GITHUB_REF is not refs/pull/N/merge and no --pr)',
    });
    const r2 = await publishReport({ summary: 'x', env: a.env, gh: FAKE_GH, pr: 7 });
    assert.equal(r2.comment.action, 'created');
    assert.match(a.state().calls[2].argv[3], /^repos\/acme\/rig\/issues\/7\/comments$/);
    const b = setup({ GITHUB_TOKEN: undefined, GH_TOKEN: undefined });
    assert.deepEqual((await publishReport({ summary: 'x', env: b.env, gh: FAKE_GH })).comment, {
      action: 'skipped',
      reason: 'no GH_TOKEN or GITHUB_TOKEN',
    });
  });

  it('surfaces a gh failure with its stderr', async () => {
    const { env } = setup({ FAKE_GH_STATE: undefined });
    await assert.rejects(
      publishReport({ summary: 'x', env, gh: FAKE_GH }),
      /^PublishError: gh api --paginate repos\/acme\/rig\/issues\/42\/comments\?per_page=100 failed: fake gh: FAKE_GH_STATE not set$/,
    );
  });

  it('keeps the job summary under 1 MiB and the comment under 65,536 characters', async () => {
    const { env, stepFile } = setup({ GITHUB_REF: '' });
    writeFileSync(stepFile, 'x'.repeat(STEP_SUMMARY_LIMIT - 100));
    const r = await publishReport({ summary: 'y'.repeat(500), env, gh: FAKE_GH });
    assert.equal(r.stepSummary, 'note-only');
    const text = readFileSync(stepFile, 'utf8');
    assert.ok(Buffer.byteLength(text) <= STEP_SUMMARY_LIMIT);
    assert.ok(!text.includes('yyyy'));
    const body = commentBody('z'.repeat(70_000));
    assert.ok(body.startsWith(MARKER) && body.length <= COMMENT_LIMIT);
    assert.match(body, /truncated to the 65,536-character comment limit/);
  });

  it('splits gh --paginate output (arrays back to back)', () => {
    assert.deepEqual(parseConcatenatedJson('[{"id":1,"body":"a]["}][{"id":2}]\n'), [
      [{ id: 1, body: 'a][' }],
      [{ id: 2 }],
    ]);
  });

  it('edits only its own comment: a pasted marker from someone else is not taken over', async () => {
    const { env, state } = setup();
    const s0 = {
      comments: [{ id: 7, body: `${MARKER}\n## fake green report`, issue: 42, user: { login: 'mallory' } }],
      nextId: 1001,
      calls: [],
    };
    writeFileSync(env.FAKE_GH_STATE ?? '', JSON.stringify(s0));
    const r = await publishReport({ summary: '## real\n', env, gh: FAKE_GH });
    assert.equal(r.comment.action, 'created');
    const end = state();
    assert.equal(end.comments.find((c) => c.id === 7)?.body, `${MARKER}\n## fake green report`, 'untouched');
    assert.equal(end.comments.filter((c) => c.user?.login === ACTIONS_BOT).length, 1);
  });

  it('keeps one comment per job key, and uses the login a user token reports', async () => {
    const { env, state } = setup({ FAKE_GH_LOGIN: 'alice' });
    await publishReport({ summary: '## twins\n', env, gh: FAKE_GH, key: 'pr-twins' });
    await publishReport({ summary: '## hardware\n', env: { ...env, GITHUB_JOB: 'lab' }, gh: FAKE_GH });
    const again = await publishReport({ summary: '## twins 2\n', env, gh: FAKE_GH, key: 'pr-twins' });
    assert.equal(again.comment.action, 'updated');
    const bodies = state()
      .comments.map((c) => c.body)
      .sort();
    assert.deepEqual(bodies, [`${markerFor('lab')}\n## hardware\n`, `${markerFor('pr-twins')}\n## twins 2\n`]);
    assert.ok(state().comments.every((c) => c.user?.login === 'alice'));
  });

  it('writes annotations on the scenario line, the board in the title, escaped as GitHub requires', () => {
    const r = results([
      cell({
        scenario: 'seed-002',
        variant: 'broken',
        board: 'esp8266',
        status: 'fail',
        reason: 'expected kind tls/name-mismatch, got connected',
        failures: ['expected kind tls/name-mismatch, got connected', 'serial never showed /50%, done/'],
        location: { file: 'scenarios/seeds/seed-002.yaml', line: 148, column: 7, field: 'expect.broken.esp8266.kind' },
        rerun: "npx rig run seed-002 --filter '^seed-002/broken/esp8266$'",
      }),
      cell({
        scenario: 'q',
        variant: 'v',
        board: 'esp32',
        status: 'fail',
        quarantine: 'https://x/1',
        location: { file: 'scenarios/q.yaml', line: 3, column: 5, field: 'expect.v.esp32' },
      }),
      cell({ scenario: 'p', variant: 'v', board: 'esp32' }),
    ]);
    const cmds = annotationCommands(r);
    assert.equal(cmds.length, 2);
    assert.equal(
      cmds[0],
      '::error file=scenarios/seeds/seed-002.yaml,line=148,col=7,title=seed-002/broken on esp8266 (twin)%3A fail::' +
        "expected kind tls/name-mismatch, got connected%0Aserial never showed /50%25, done/%0Arerun: npx rig run seed-002 --filter '^seed-002/broken/esp8266$'",
    );
    assert.match(cmds[1]!, /^::warning file=scenarios\/q\.yaml,line=3,col=5,title=q\/v on esp32 \(twin\)%3A fail::/);
    const many = results(
      Array.from({ length: 12 }, (_, i) =>
        cell({
          scenario: `s${i}`,
          variant: 'v',
          board: 'b',
          status: 'fail',
          location: { file: 'f.yaml', line: i + 1, column: 1, field: 'x' },
        }),
      ),
    );
    const m = annotationCommands(many);
    assert.equal(m.filter((x) => x.startsWith('::error')).length, 10);
    assert.match(m[m.length - 1]!, /^::notice title=rig%3A more failures::2 more failing cells/);
  });
});
