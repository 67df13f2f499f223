// `rig` command dispatcher. Each command lives in its own module; this file maps names and exit codes.
import { EXIT, exitCodeOf } from './exit.ts';
import { FormatError, InfraError, UsageError } from '../errors.ts';
import { PkiError } from '../pki/errors.ts';
import type { Command } from './command.ts';

// Commands load lazily: `rig check` must not pay for testcontainers, mqtt.js or serialport.
interface Entry {
  name: string;
  summary: string;
  load: () => Promise<Command>;
}
const COMMANDS: Entry[] = [
  {
    name: 'list',
    summary: 'List scenarios and board profiles',
    load: async () => (await import('./commands/list.ts')).listCommand,
  },
  {
    name: 'check',
    summary: 'Validate scenario, board profile or quarantine files',
    load: async () => (await import('./commands/check.ts')).checkCommand,
  },
  {
    name: 'schema',
    summary: 'Print or write the file formats as JSON Schema',
    load: async () => (await import('./commands/schema.ts')).schemaCommand,
  },
  {
    name: 'pki',
    summary: "Make a scenario's certificates and keys",
    load: async () => (await import('./commands/pki.ts')).pkiCommand,
  },
  {
    name: 'broker',
    summary: "Start a scenario's Mosquitto in the foreground",
    load: async () => (await import('./commands/broker.ts')).brokerCommand,
  },
  {
    name: 'run',
    summary: 'Run the matrix on twins or hardware and write reports',
    load: async () => (await import('./commands/run.ts')).runCommand,
  },
  {
    name: 'boards',
    summary: 'List attached boards and match them to profiles and the lab inventory',
    load: async () => (await import('./commands/boards.ts')).command,
  },
  {
    name: 'new',
    summary: 'Start a new forum reproduction scenario',
    load: async () => (await import('./commands/new.ts')).command,
  },
  {
    name: 'diagnose',
    summary: "Run a user's own certificates and conf on every board's twin and explain",
    load: async () => (await import('./commands/diagnose.ts')).command,
  },
  {
    name: 'bisect',
    summary: 'Find the smallest change that makes a failing cell pass',
    load: async () => (await import('./commands/bisect.ts')).command,
  },
  {
    name: 'report',
    summary: 'Publish, merge or re-render run reports',
    load: async () => (await import('./commands/report.ts')).reportCommand,
  },
  {
    name: 'doctor',
    summary: 'Show what is installed, Docker, attached boards',
    load: async () => (await import('./commands/doctor.ts')).doctorCommand,
  },
  {
    name: 'setup',
    summary: 'Install what the rig needs',
    load: async () => (await import('./commands/setup.ts')).setupCommand,
  },
];

function topHelp(): string {
  const rows = COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`);
  return [
    'rig: MQTT-over-TLS test rig for ESP32, ESP8266 and MKR1000 boards and their twins',
    '',
    'Usage: rig <command> [options]   (rig <command> --help for details)',
    '',
    'Commands:',
    ...rows,
    '',
    'Exit codes: 0 all expectations met, 1 an expectation failed, 2 usage or scenario error, 3 infrastructure error',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${topHelp()}\n`);
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === '--version') {
    const { rigVersion } = await import('../project.ts');
    process.stdout.write(`${rigVersion()}\n`);
    return EXIT.ok;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`rig: unknown command "${name}"\n\n${topHelp()}\n`);
    return EXIT.usage;
  }
  try {
    const cmd = await entry.load();
    return await cmd.run(rest);
  } catch (e) {
    process.stderr.write(errorText(name, e));
    return exitCodeOf(e);
  }
}

/** What the user reads for an error: positioned problems as they are, the rest after the command's name. */
function errorText(name: string, e: unknown): string {
  if (e instanceof FormatError) return `${e.message}\n`;
  if (e instanceof UsageError || e instanceof PkiError) return `rig ${name}: ${e.message}\n`;
  if (e instanceof InfraError) return `rig ${name}: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`;
  // Anything else is a bug or an environment failure nobody classified: show where.
  const err = e as Error;
  return `rig ${name}: ${err.stack ?? err.message}\n`;
}
