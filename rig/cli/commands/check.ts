import { readFile } from 'node:fs/promises';
import { command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { UsageError } from '../args.ts';
import { loadScenario, parseWithSchema, ScenarioError, formatProblem, type Problem } from '../../scenario/load.ts';
import { loadBoards } from '../../boards/load.ts';
import { BoardProfile } from '../../boards/profile.ts';
import { QuarantineFile } from '../../runner/quarantine.ts';
import { projectPaths } from '../../project.ts';
import { profileProblems } from './context.ts';

export const checkCommand = command(
  {
    name: 'check',
    usage: 'rig check FILE...',
    summary:
      'Validate scenario, board profile or quarantine files; print every problem as file:line:column: field: message.',
    options: {},
  },
  async (p) => {
    if (p.positionals.length === 0) throw new UsageError('give at least one file to check');
    const problems: Problem[] = [];
    // A scenario's boards must have profiles; the profiles are loaded once, and only when a scenario needs them.
    let profiles: Promise<Map<string, BoardProfile> | ScenarioError> | undefined;
    const boardProfiles = (): Promise<Map<string, BoardProfile> | ScenarioError> => {
      profiles ??= loadBoards(projectPaths().boards).catch((e: unknown) => {
        if (e instanceof ScenarioError) return e;
        throw e;
      });
      return profiles;
    };
    for (const file of p.positionals) {
      try {
        const text = await readFile(file, 'utf8').catch((e: Error) => {
          throw new ScenarioError([{ file, line: 1, column: 1, field: '', message: `cannot read: ${e.message}` }]);
        });
        if (/^stack:/m.test(text)) parseWithSchema(BoardProfile, text, file);
        else if (/^entries:/m.test(text)) parseWithSchema(QuarantineFile, text, file);
        else {
          const loaded = await loadScenario(file);
          const boards = await boardProfiles();
          // A broken profile in boards/ is reported once, with its own position, not against every scenario.
          if (boards instanceof ScenarioError) throw boards;
          const unknown = await profileProblems(loaded, boards);
          if (unknown.length) throw new ScenarioError(unknown);
        }
        process.stdout.write(`ok  ${file}\n`);
      } catch (e) {
        if (!(e instanceof ScenarioError)) throw e;
        problems.push(...e.problems.filter((pr) => !problems.some((q) => formatProblem(q) === formatProblem(pr))));
      }
    }
    for (const pr of problems) process.stderr.write(`${formatProblem(pr)}\n`);
    return problems.length ? EXIT.usage : EXIT.ok;
  },
);
