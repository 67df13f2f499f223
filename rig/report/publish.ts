// Publishing summary.md: appended to the GitHub job summary, and kept in ONE pull-request comment per job
// that every run edits in place, so a PR never collects a pile of report comments (arduino/report-size-deltas
// #90/#91 is the same request). The comment is found by its hidden marker, which carries the job's key (two
// jobs keep two comments), AND by its author (the token's own login, github-actions[bot] for GITHUB_TOKEN):
// anyone can paste the marker into a comment, nobody else can post as the workflow. Failing cells also become
// workflow-command annotations on the scenario line. Talks to GitHub only through the `gh` executable, which
// tests replace with a recording fake.
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { Cell, Results } from '../results/schema.ts';
import { cellLabel, gotText } from './cells.ts';
import { COMMENT_LIMIT } from './summary.ts';

/** The hidden first line of a report comment; the key tells one job's comment from another's. */
export function markerFor(key: string): string {
  return `<!-- rig-report:${key.replace(/[^A-Za-z0-9._/-]+/g, '_')} -->`;
}
export const MARKER = markerFor('default');
/** Who posts with the workflow's GITHUB_TOKEN (it cannot ask `gh api user` who it is). */
export const ACTIONS_BOT = 'github-actions[bot]';
/** GitHub refuses step summaries above 1 MiB per step (workflow-commands docs, "Step isolation and limits"). */
export const STEP_SUMMARY_LIMIT = 1024 * 1024;

export interface PublishOptions {
  /** Markdown to publish (summary.md). */
  summary: string;
  env?: NodeJS.ProcessEnv;
  /** The gh executable; tests pass a fake. */
  gh?: string;
  /** PR number; defaults to the one in GITHUB_REF (refs/pull/N/merge). */
  pr?: number;
  /** owner/name; defaults to GITHUB_REPOSITORY, else gh's own {owner}/{repo} from the git remote. */
  repo?: string;
  /** One comment per key: --key, else RIG_REPORT_KEY, else GITHUB_JOB, else "default". */
  key?: string;
  /** Login whose comment is edited: --author, else RIG_COMMENT_AUTHOR, else the token's own, else github-actions[bot]. */
  author?: string;
}

export type StepSummaryResult = 'appended' | 'note-only' | 'not-set';
export type CommentResult =
  { action: 'created' | 'updated'; id: number; url?: string } | { action: 'skipped'; reason: string };

export interface PublishResult {
  stepSummary: StepSummaryResult;
  comment: CommentResult;
}

export class PublishError extends Error {
  override name = 'PublishError';
}

// The fields of an issue comment we use (GitHub REST "List issue comments").
const IssueComment = z.object({
  id: z.number(),
  body: z.string().nullable().optional(),
  html_url: z.string().optional(),
  user: z.object({ login: z.string() }).nullable().optional(),
});
const CommentPage = z.array(IssueComment);

export function prNumberFrom(env: NodeJS.ProcessEnv, explicit?: number): number | undefined {
  if (explicit !== undefined) return explicit;
  const m = /^refs\/pull\/(\d+)\/(?:merge|head)$/.exec(env.GITHUB_REF ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Appends to $GITHUB_STEP_SUMMARY, or a short pointer when the text would exceed the 1 MiB step limit. */
export function appendStepSummary(summary: string, env: NodeJS.ProcessEnv): StepSummaryResult {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return 'not-set';
  const have = existsSync(file) ? statSync(file).size : 0;
  const text = summary.endsWith('\n') ? summary : summary + '\n';
  if (have + Buffer.byteLength(text) <= STEP_SUMMARY_LIMIT) {
    appendFileSync(file, text);
    return 'appended';
  }
  const note = `\n**Rig report** (${Buffer.byteLength(text).toLocaleString('en-US')} bytes) does not fit the 1 MiB job summary; see the run artifact.\n`;
  if (have + Buffer.byteLength(note) <= STEP_SUMMARY_LIMIT) appendFileSync(file, note);
  return 'note-only';
}

/** Comment body: marker first, then the summary, never above GitHub's comment limit. */
export function commentBody(summary: string, marker = MARKER): string {
  const body = `${marker}\n${summary}`;
  if (body.length <= COMMENT_LIMIT) return body;
  const note = '\n\n_(truncated to the 65,536-character comment limit; the full report is in the run artifact)_\n';
  return body.slice(0, COMMENT_LIMIT - note.length) + note;
}

/** `gh api --paginate` prints one JSON array per page back to back; split them. */
export function parseConcatenatedJson(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0,
    start = -1,
    inStr = false,
    esc = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inStr) {
      if (esc) esc = false;
      else if (ch === '\\') esc = true;
      else if (ch === '"') inStr = false;
      continue;
    }
    if (ch === '"') inStr = true;
    else if (ch === '[' || ch === '{') {
      if (depth++ === 0) start = i;
    } else if (ch === ']' || ch === '}') {
      if (--depth === 0) out.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return out;
}

interface GhRunner {
  (args: string[]): Promise<string>;
}

function ghRunner(gh: string, env: NodeJS.ProcessEnv, token: string): GhRunner {
  const childEnv: NodeJS.ProcessEnv = { ...env, GH_TOKEN: token, GH_PROMPT_DISABLED: '1', NO_COLOR: '1' };
  if (env.GITHUB_SERVER_URL && !/^https:\/\/github\.com\/?$/.test(env.GITHUB_SERVER_URL) && !env.GH_HOST) {
    childEnv.GH_HOST = new URL(env.GITHUB_SERVER_URL).host; // GitHub Enterprise Server
  }
  return (args) =>
    new Promise((resolvePromise, reject) => {
      execFile(gh, args, { env: childEnv, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err)
          reject(new PublishError(`gh ${args.slice(0, 4).join(' ')} failed: ${String(stderr).trim() || err.message}`));
        else resolvePromise(String(stdout));
      });
    });
}

/** The comment to edit: the oldest one that carries this job's marker AND was written by `author`. */
async function findComment(
  run: GhRunner,
  repo: string,
  pr: number,
  marker: string,
  author: string,
): Promise<z.infer<typeof IssueComment> | undefined> {
  const out = await run(['api', '--paginate', `repos/${repo}/issues/${pr}/comments?per_page=100`]);
  for (const page of parseConcatenatedJson(out)) {
    const parsed = CommentPage.safeParse(page);
    if (!parsed.success)
      throw new PublishError(`gh api: unexpected comment list shape: ${parsed.error.issues[0]?.message ?? ''}`);
    const hit = parsed.data.find((c) => (c.body ?? '').startsWith(marker) && c.user?.login === author);
    if (hit) return hit;
  }
  return undefined;
}

/** The login the token posts as: a user token can say; GITHUB_TOKEN cannot (403) and is github-actions[bot]. */
async function whoAmI(run: GhRunner): Promise<string> {
  try {
    const me = z.object({ login: z.string() }).safeParse(JSON.parse(await run(['api', 'user'])));
    return me.success ? me.data.login : ACTIONS_BOT;
  } catch {
    return ACTIONS_BOT;
  }
}

export async function upsertPrComment(opts: {
  body: string;
  gh: string;
  env: NodeJS.ProcessEnv;
  token: string;
  repo: string;
  pr: number;
  marker?: string;
  author?: string;
}): Promise<CommentResult> {
  const run = ghRunner(opts.gh, opts.env, opts.token);
  const author = opts.author ?? (await whoAmI(run));
  const existing = await findComment(run, opts.repo, opts.pr, opts.marker ?? MARKER, author);
  const dir = mkdtempSync(join(tmpdir(), 'rig-publish-'));
  try {
    const input = join(dir, 'body.json');
    writeFileSync(input, JSON.stringify({ body: opts.body }));
    const args = existing
      ? ['api', '--method', 'PATCH', `repos/${opts.repo}/issues/comments/${existing.id}`, '--input', input]
      : ['api', '--method', 'POST', `repos/${opts.repo}/issues/${opts.pr}/comments`, '--input', input];
    const answer = IssueComment.safeParse(JSON.parse(await run(args)));
    if (!answer.success)
      throw new PublishError(`gh api: unexpected comment shape: ${answer.error.issues[0]?.message ?? ''}`);
    return { action: existing ? 'updated' : 'created', id: answer.data.id, url: answer.data.html_url };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------- annotations ----------

/** GitHub's escaping for workflow commands: data escapes %, CR and LF; properties also ":" and ",". */
const escData = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escProp = (s: string): string => escData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/**
 * `::error file=…,line=…,col=…,title=…::…` for each failing or erroring cell with a place in a scenario file,
 * quarantined ones as warnings. GitHub shows at most 10 error annotations per step: past that, one notice
 * says how many more there are.
 */
export function annotationCommands(results: Results, limit = 10): string[] {
  const bad = results.cells.filter(
    (c) => (c.status === 'fail' || c.status === 'error') && c.location && !c.location.file.startsWith('/'),
  );
  const errors = bad.filter((c) => !c.quarantine);
  const out: string[] = [];
  const command = (level: string, c: Cell): string => {
    const l = c.location!;
    const title = `${cellLabel(c)}: ${c.status}`;
    const lines = [c.reason ?? gotText(c), ...c.failures.filter((f) => f !== c.reason).slice(0, 5)];
    if (c.rerun) lines.push(`rerun: ${c.rerun}`);
    return `::${level} file=${escProp(l.file)},line=${l.line},col=${l.column},title=${escProp(title)}::${escData(lines.join('\n'))}`;
  };
  for (const c of errors.slice(0, limit)) out.push(command('error', c));
  for (const c of bad.filter((x) => x.quarantine).slice(0, limit)) out.push(command('warning', c));
  if (errors.length > limit)
    out.push(
      `::notice title=${escProp('rig: more failures')}::${escData(`${errors.length - limit} more failing cells; see the job summary and report.html`)}`,
    );
  return out;
}

/** The key of this job's comment. */
export function commentKey(env: NodeJS.ProcessEnv, explicit?: string): string {
  return explicit ?? env.RIG_REPORT_KEY ?? env.GITHUB_JOB ?? 'default';
}

/** Step summary when $GITHUB_STEP_SUMMARY is set; sticky PR comment when a PR number and a token are known. */
export async function publishReport(opts: PublishOptions): Promise<PublishResult> {
  const env = opts.env ?? process.env;
  const stepSummary = appendStepSummary(opts.summary, env);
  const pr = prNumberFrom(env, opts.pr);
  const token = env.GH_TOKEN || env.GITHUB_TOKEN;
  let comment: CommentResult;
  if (pr === undefined)
    comment = { action: 'skipped', reason: 'no pull request (GITHUB_REF is not refs/pull/N/merge and no --pr)' };
  else if (!token) comment = { action: 'skipped', reason: 'no GH_TOKEN or GITHUB_TOKEN' };
  else {
    const repo = opts.repo ?? env.GITHUB_REPOSITORY ?? '{owner}/{repo}';
    const marker = markerFor(commentKey(env, opts.key));
    const author = opts.author ?? env.RIG_COMMENT_AUTHOR;
    comment = await upsertPrComment({
      body: commentBody(opts.summary, marker),
      gh: opts.gh ?? 'gh',
      env,
      token,
      repo,
      pr,
      marker,
      ...(author ? { author } : {}),
    });
  }
  return { stepSummary, comment };
}
