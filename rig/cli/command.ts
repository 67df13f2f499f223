// A CLI command: its option spec (which also renders --help) and its action returning an exit code.
import { helpText, parse, type CommandSpec, type Parsed } from './args.ts';
import { EXIT } from './exit.ts';

export interface Command {
  spec: CommandSpec;
  run(argv: string[]): Promise<number>;
}

/** Builds a command whose --help is handled uniformly. */
export function command(spec: CommandSpec, action: (p: Parsed) => Promise<number>): Command {
  return {
    spec,
    async run(argv) {
      const p = parse(spec, argv);
      if (p.values.help === true) {
        process.stdout.write(`${helpText(spec)}\n`);
        return EXIT.ok;
      }
      return action(p);
    },
  };
}
