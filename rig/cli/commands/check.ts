import { command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { UsageError } from '../../errors.ts';
import { loadScenario } from '../../scenario/load.ts';
import { FormatError, formatProblem, parseWithSchema, readText, type Problem } from '../../format/index.ts';
import { loadBoards } from '../../boards/load.ts';
import { BoardProfile } from '../../boards/profile.ts';
import { QuarantineFile } from '../../runner/quarantine.ts';
import { projectPaths } from '../../project.ts';
import { unknownBoards } from '../../scenario/files.ts';

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
    let profiles: Promise<Map<string, BoardProfile> | FormatError> | undefined;
    const boardProfiles = (): Promise<Map<string, BoardProfile> | FormatError> => {
      profiles ??= loadBoards(projectPaths().boards).catch((e: unknown) => {
        if (e instanceof FormatError) return e;
        throw e;
      });
      return profiles;
    };
    for (const file of p.positionals) {
      try {
        const text = await readText(file);
        if (/^stack:/m.test(text)) parseWithSchema(BoardProfile, text, file);
        else if (/^entries:/m.test(text)) parseWithSchema(QuarantineFile, text, file);
        else {
          const loaded = await loadScenario(file);
          const boards = await boardProfiles();
          // A broken profile in boards/ is reported once, with its own position, not against every scenario.
          if (boards instanceof FormatError) throw boards;
          const unknown = await unknownBoards(loaded, boards);
          if (unknown.length) throw new FormatError(unknown);
        }
        process.stdout.write(`ok  ${file}\n`);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        problems.push(...e.problems.filter((pr) => !problems.some((q) => formatProblem(q) === formatProblem(pr))));
      }
    }
    for (const pr of problems) process.stderr.write(`${formatProblem(pr)}\n`);
    return problems.length ? EXIT.usage : EXIT.ok;
  },
);
