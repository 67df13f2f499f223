import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MARKER,
  STEP_SUMMARY_LIMIT,
  commentBody,
  parseConcatenatedJson,
  publishReport,
} from '../../rig/report/publish.ts';
import { COMMENT_LIMIT } from '../../rig/report/summary.ts';
import { tmpDir } from './helpers.ts';

const FAKE_GH = fileURLToPath(new URL('../fixtures/fake-gh.mjs', import.meta.url));

interface FakeState {
  comments: { id: number; body: string; issue: number }[];
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
      'api --paginate repos/acme/rig/issues/42/comments?per_page=100',
      'api --method POST repos/acme/rig/issues/42/comments',
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
    assert.match(a.state().calls[1].argv[3], /^repos\/acme\/rig\/issues\/7\/comments$/);
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
});
