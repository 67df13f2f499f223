// `rig bisect SCENARIO --variant broken [--board B]`: the smallest change that makes a failing cell connect.
import path from 'node:path';
import { command as makeCommand } from '../command.ts';
import { EXIT } from '../exit.ts';
import { bool, int, str } from '../args.ts';
import { UsageError } from '../../errors.ts';
import { createProgress } from '../../runner/progress.ts';
import { context, resolveScenarioArgs, variantArg } from './context.ts';
import { loadRunnableScenarios } from '../../runner/validate.ts';
import { bisect, formatBisect } from '../../bisect/index.ts';

export const command = makeCommand(
  {
    name: 'bisect',
    usage: 'rig bisect SCENARIO --variant broken [--board B] [--json]',
    summary:
      'Try single certificate, host, trust, clock and TLS-version changes (then pairs) on the twin and report the smallest that make the board connect.',
    options: {
      variant: { type: 'string', help: 'The failing variant', default: 'broken' },
      board: { type: 'string', help: "Board to bisect (default: the scenario's first non-control board)" },
      'max-pairs': { type: 'string', help: 'Most pairs of changes to try', default: '40' },
      out: { type: 'string', help: 'Folder for the run folders (default: a temp folder)' },
      json: { type: 'boolean', help: 'Print the result as JSON' },
      'no-sandbox': { type: 'boolean', help: 'Run twins without bubblewrap' },
    },
  },
  async (p) => {
    if (p.positionals.length !== 1) throw new UsageError('give exactly one scenario (id or .yaml file)');
    const { paths, boards } = await context();
    const [loaded] = await loadRunnableScenarios(await resolveScenarioArgs(p.positionals, paths), boards);
    if (!loaded) throw new UsageError(`no scenario "${p.positionals[0]}"`);
    const variant = variantArg(loaded.scenario, str(p, 'variant') ?? 'broken');
    const board = str(p, 'board');
    if (board !== undefined && !loaded.scenario.boards.includes(board)) {
      throw new UsageError(
        `--board ${board}: scenario ${loaded.scenario.id} does not run it (boards: ${loaded.scenario.boards.join(', ')})`,
      );
    }
    const json = bool(p, 'json');
    const r = await bisect({
      loaded,
      variant,
      ...(board !== undefined ? { board } : {}),
      boardProfiles: boards,
      paths,
      progress: createProgress(process.stderr, { quiet: json }),
      sandbox: !bool(p, 'no-sandbox'),
      maxPairs: int(p, 'max-pairs', 40),
      ...(str(p, 'out') ? { outDir: path.resolve(str(p, 'out')!) } : {}),
    });
    process.stdout.write(json ? `${JSON.stringify(r, null, 2)}\n` : formatBisect(r));
    return r.baseline.status === 'pass' || r.fixes.length > 0 ? EXIT.ok : EXIT.failed;
  },
);
