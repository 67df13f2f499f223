import { command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { UsageError } from '../../errors.ts';
import { FormatError, formatProblem, parseWithSchema, readText, type Problem } from '../../format/index.ts';
import { loadBoards } from '../../boards/load.ts';
import { BoardProfile } from '../../boards/profile.ts';
import { QuarantineFile } from '../../runner/quarantine.ts';
import { loadRunnableScenarios } from '../../runner/validate.ts';
import { projectPaths } from '../../project.ts';

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
    const keep = (e: unknown): void => {
      if (!(e instanceof FormatError)) throw e;
      problems.push(...e.problems.filter((pr) => !problems.some((q) => formatProblem(q) === formatProblem(pr))));
    };
    const scenarios: string[] = [];
    for (const file of p.positionals) {
      try {
        const text = await readText(file);
        if (/^stack:/m.test(text)) parseWithSchema(BoardProfile, text, file);
        else if (/^entries:/m.test(text)) parseWithSchema(QuarantineFile, text, file);
        else scenarios.push(file);
      } catch (e) {
        keep(e);
      }
    }
    if (scenarios.length) {
      // The loader `rig run` uses, on all the scenario files at once (duplicate ids across them included).
      try {
        await loadRunnableScenarios(scenarios, await loadBoards(projectPaths().boards));
      } catch (e) {
        keep(e);
      }
    }
    const bad = new Set(problems.map((pr) => pr.file));
    for (const file of p.positionals) if (!bad.has(file)) process.stdout.write(`ok  ${file}\n`);
    for (const pr of problems) process.stderr.write(`${formatProblem(pr)}\n`);
    return problems.length ? EXIT.usage : EXIT.ok;
  },
);
