// The workflows call the rig with options it has, shard the PR matrix completely, and the fork-PR comment
// workflow reads the artifact and workflow the PR workflow really produces.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { projectPaths } from '../../rig/project.ts';
import { runCommand } from '../../rig/cli/commands/run.ts';
import { reportCommand } from '../../rig/cli/commands/report.ts';
import { setupCommand } from '../../rig/cli/commands/setup.ts';
import { command as boardsCommand } from '../../rig/cli/commands/boards.ts';
import type { Command } from '../../rig/cli/command.ts';

interface Step {
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  jobs: Record<string, { steps: Step[]; 'runs-on'?: unknown; strategy?: { matrix: Record<string, unknown[]> } }>;
}

const dir = path.join(projectPaths().root, '.github/workflows');
const load = (f: string): Workflow => parse(readFileSync(path.join(dir, f), 'utf8')) as Workflow;
const COMMANDS: Record<string, Command> = {
  run: runCommand,
  report: reportCommand,
  setup: setupCommand,
  boards: boardsCommand,
};

/** Every `npx rig <cmd> --flag` in a workflow's shell lines. */
function rigCalls(w: Workflow): { cmd: string; flags: string[] }[] {
  const lines = Object.values(w.jobs).flatMap((j) => j.steps.flatMap((s) => (s.run ?? '').split('\n')));
  return lines
    .map((l) => /npx rig (\w+)(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ cmd: m[1]!, flags: [...m[2]!.matchAll(/(?:^|\s)--([a-z-]+)/g)].map((x) => x[1]!) }));
}

describe('.github/workflows', () => {
  const files = ['pr-twins.yml', 'pr-report-comment.yml', 'nightly-hardware.yml'];

  it('call the rig only with options its commands have', () => {
    for (const f of files) {
      const calls = rigCalls(load(f));
      assert.ok(calls.length > 0, f);
      for (const c of calls) {
        const spec = COMMANDS[c.cmd]?.spec;
        assert.ok(spec, `${f}: rig ${c.cmd} is not a command this test knows`);
        for (const flag of c.flags) assert.ok(flag in spec.options, `${f}: rig ${c.cmd} has no --${flag}`);
      }
    }
  });

  it('shard the PR matrix K/N for every K, and merge what they upload', () => {
    const w = load('pr-twins.yml');
    const shards = w.jobs.twins!.strategy!.matrix.shard as number[];
    const run = w.jobs.twins!.steps.find((s) => /npx rig run/.test(s.run ?? ''))!.run!;
    const n = Number(/--shard \$\{\{ matrix\.shard \}\}\/(\d+)/.exec(run)?.[1]);
    assert.deepEqual(
      shards,
      Array.from({ length: n }, (_, i) => i + 1),
    );
    const merge = w.jobs.report!.steps.find((s) => /rig report merge/.test(s.run ?? ''))!.run!;
    assert.match(merge, /shards\/rig-shard-\*/);
  });

  it('the fork-PR comment reads the workflow and artifact the PR workflow makes, with the same key', () => {
    const pr = load('pr-twins.yml');
    const fork = load('pr-report-comment.yml');
    assert.deepEqual((fork.on.workflow_run as { workflows: string[] }).workflows, [pr.name]);
    const uploaded = pr.jobs
      .report!.steps.filter((s) => s.uses?.startsWith('actions/upload-artifact'))
      .map((s) => s.with?.name);
    const downloaded = fork.jobs.comment!.steps.find((s) => s.uses?.startsWith('actions/download-artifact'))!.with!
      .name;
    assert.ok(uploaded.includes(downloaded), `${String(downloaded)} is uploaded by ${pr.name}`);
    const key = (w: Workflow): string[] =>
      rigCalls(w)
        .filter((c) => c.cmd === 'report')
        .map(() => 'pr-twins');
    assert.ok(key(fork).length > 0);
    for (const s of [...pr.jobs.report!.steps, ...fork.jobs.comment!.steps].filter((x) =>
      /rig report publish/.test(x.run ?? ''),
    ))
      assert.match(s.run!, /--key pr-twins/);
    assert.ok(
      !fork.jobs.comment!.steps.some((s) => s.uses?.startsWith('actions/checkout') && s.with?.ref),
      'never checks out the PR',
    );
  });

  it('the nightly compares with the last night and keeps the history', () => {
    const w = load('nightly-hardware.yml');
    const run = Object.values(w.jobs)
      .flatMap((j) => j.steps.map((s) => s.run ?? ''))
      .join('\n');
    assert.match(run, /--baseline "?\$last\/results\.json/);
    assert.match(run, /npx rig report history history\/runs --out reports\/nightly\/history/);
  });

  it('the nightly runs each board family on lab hosts labelled with it, every shard of a family, and merges them', async () => {
    const w = load('nightly-hardware.yml');
    const hw = w.jobs.hardware!;
    assert.deepEqual(hw['runs-on'], ['self-hosted', 'rig-lab', '${{ matrix.family }}']);
    const include = hw.strategy!.matrix.include as { family: string; shard: string; name: string }[];
    const { loadBoards } = await import('../../rig/boards/load.ts');
    const withHardware = [...(await loadBoards(projectPaths().boards)).values()]
      .filter((b) => b.hardware)
      .map((b) => b.id);
    assert.deepEqual([...new Set(include.map((i) => i.family))].sort(), withHardware.sort(), 'every board family');
    for (const family of withHardware) {
      const shards = include.filter((i) => i.family === family).map((i) => i.shard);
      if (shards.length === 1 && shards[0] === '') continue;
      const n = Number(shards[0]!.split('/')[1]);
      assert.deepEqual(
        shards,
        Array.from({ length: n }, (_, k) => `${k + 1}/${n}`),
        `${family}: every shard`,
      );
    }
    const run = hw.steps.find((s) => /npx rig run/.test(s.run ?? ''))!.run!;
    assert.match(run, /--boards \$\{\{ matrix\.family \}\}/);
    assert.match(run, /--out reports\/lab-\$\{\{ matrix\.name \}\}/);
    const upload = hw.steps.find((s) => s.uses?.startsWith('actions/upload-artifact'))!;
    assert.equal(upload.with?.name, 'rig-lab-${{ matrix.name }}');
    const merge = w.jobs.report!.steps.find((s) => /rig report merge/.test(s.run ?? ''))!.run!;
    assert.match(merge, /npx rig report merge hosts\/rig-lab-\*\/ --out reports\/nightly/);
  });
});
