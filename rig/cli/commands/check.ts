import { readFile } from 'node:fs/promises';
import { command } from '../command.ts';
import { EXIT } from '../exit.ts';
import { UsageError } from '../args.ts';
import { loadScenario, parseWithSchema, ScenarioError, formatProblem, type Problem } from '../../scenario/load.ts';
import { BoardProfile } from '../../boards/profile.ts';
import { QuarantineFile } from '../../runner/quarantine.ts';

export const checkCommand = command({
  name: 'check',
  usage: 'rig check FILE...',
  summary: 'Validate scenario, board profile or quarantine files; print every problem as file:line:column: field: message.',
  options: {},
}, async (p) => {
  if (p.positionals.length === 0) throw new UsageError('give at least one file to check');
  const problems: Problem[] = [];
  for (const file of p.positionals) {
    try {
      const text = await readFile(file, 'utf8').catch((e: Error) => {
        throw new ScenarioError([{ file, line: 1, column: 1, field: '', message: `cannot read: ${e.message}` }]);
      });
      if (/^stack:/m.test(text)) parseWithSchema(BoardProfile, text, file);
      else if (/^entries:/m.test(text)) parseWithSchema(QuarantineFile, text, file);
      else await loadScenario(file);
      process.stdout.write(`ok  ${file}\n`);
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      problems.push(...e.problems);
    }
  }
  for (const pr of problems) process.stderr.write(`${formatProblem(pr)}\n`);
  return problems.length ? EXIT.usage : EXIT.ok;
});
