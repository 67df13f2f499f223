// results.json, version 1: the run's one machine-readable record; every other report derives from it.
import { z } from 'zod';
import { OutcomeKind } from '../scenario/schema.ts';

export const CellStatus = z.enum(['pass', 'fail', 'error', 'skip', 'flaky']);
export type CellStatus = z.infer<typeof CellStatus>;

export const Outcome = z.object({
  kind: z
    .union([OutcomeKind, z.literal('none'), z.literal('no-outcome')])
    .describe(
      '"timeout" is a timeout the board reported (PubSubClient rc=-4); "no-outcome" is the rig\'s: the target decided nothing within the cell\'s time',
    ),
  code: z.string().optional().describe('Raw code: "bearssl:56", "mbedtls:-9984", "pubsubclient:-2", "connack:5"'),
  detail: z.string().optional(),
  facts: z.array(z.string()).optional().describe('Every raw fact seen, in order'),
  refinedKind: OutcomeKind.optional().describe(
    "What the broker's log says the board's kind was: a board only sees an alert or a closed connection",
  ),
  brokerReason: z.string().optional().describe('Why the broker refused, in its log\'s words ("no shared cipher")'),
  refinedBy: z.string().optional().describe('The broker log line that gave the reason'),
});
export type Outcome = z.infer<typeof Outcome>;

export const CertSummary = z.object({
  name: z.string(),
  subject: z.string(),
  issuer: z.string(),
  san: z.array(z.string()),
  notBefore: z.string(),
  notAfter: z.string(),
  key: z.string(),
  signature: z.string(),
  version: z.number(),
  isCA: z.boolean(),
  serial: z.string().optional(),
  fingerprintSha256: z.string().optional(),
});
export type CertSummary = z.infer<typeof CertSummary>;

/** One step of a scenario that unfolds (rig/steps): what happened at which board time, with the lines around it. */
export const StepResult = z.object({
  index: z.number().int().min(0),
  name: z.string().describe('The step\'s name, else "step N"'),
  action: z.string().describe('waitSerial, broker, rotate, clock, …'),
  what: z.string().describe('The step in words: "broker restart", "waitSerial /RIG: connected/ within 30000 ms"'),
  line: z.number().int().optional().describe('Its line in the scenario file'),
  status: z.enum(['pass', 'fail', 'skip', 'not-run']),
  atMs: z.number().describe('Board time (ms since the target started, plus clock advances) when it began'),
  tookMs: z.number(),
  detail: z.string().optional().describe('What it saw, or why it failed or was skipped'),
  serial: z.array(z.string()).default([]).describe('Serial lines that arrived while it ran (at most 12)'),
  broker: z.array(z.string()).default([]).describe('Broker log lines that arrived while it ran (at most 12)'),
});
export type StepResult = z.infer<typeof StepResult>;

export const Cell = z.object({
  id: z.string().describe('scenario/variant/board[@core][#target]'),
  scenario: z.string(),
  variant: z.string(),
  board: z.string(),
  core: z.string().optional().describe("Core version the cell ran on (a twin's or the board's); absent for PCs"),
  target: z.enum(['twin', 'hardware', 'host']),
  status: CellStatus,
  outcome: Outcome,
  expected: z.record(z.string(), z.unknown()).optional(),
  reason: z.string().optional().describe('Why it failed, errored or was skipped, in one line'),
  failures: z.array(z.string()).default([]),
  quarantine: z.string().optional().describe('Issue link when quarantined'),
  durationMs: z.number(),
  attempts: z.number().int().min(1).default(1),
  serialLog: z.string().optional().describe('Path relative to the run folder'),
  brokerLog: z.string().optional(),
  serialDropped: z
    .number()
    .int()
    .optional()
    .describe('Serial lines the rolling buffer dropped (a flood): expectations could not see them'),
  serialCut: z.number().int().optional().describe('Serial lines cut at 4 KiB'),
  matchedLines: z
    .array(z.number())
    .optional()
    .describe('0-based indices of serial log lines that matched expectations'),
  certificates: z.array(CertSummary).optional(),
  timings: z.record(z.string(), z.number()).optional().describe('build, broker, flash, handshake… in ms'),
  notes: z
    .array(z.string())
    .optional()
    .describe("What the target's preparation reported beyond the outcome: arduino-cli's top-level warnings"),
  modelled: z
    .string()
    .optional()
    .describe('"modelled: WINC1500 19.6.1": the TLS of this cell is a twin\'s model of a module\'s firmware'),
  title: z.string().optional().describe("The scenario's title"),
  links: z.array(z.string()).optional().describe('Forum threads and issues the scenario reproduces (its http sources)'),
  location: z
    .object({ file: z.string(), line: z.number().int(), column: z.number().int(), field: z.string() })
    .optional()
    .describe("Where in the scenario file the failing expectation (else the cell's expectation) is written"),
  rerun: z.string().optional().describe('The command that runs this cell alone'),
  reproduce: z
    .string()
    .optional()
    .describe(
      'A hardware cell that did not pass: the command (from the run folder) that rebuilds and reflashes it by hand',
    ),
  scenarioHash: z.string().optional().describe('sha256 of the scenario file, to tell a changed scenario in history'),
  steps: z.array(StepResult).optional().describe("The scenario's steps as they ran: the cell's timeline"),
});
export type Cell = z.infer<typeof Cell>;

export const RunMeta = z.object({
  id: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  rigVersion: z.string(),
  host: z.string().optional(),
  target: z.array(z.string()),
  broker: z.object({ provider: z.string(), version: z.string().optional(), image: z.string().optional() }).optional(),
  versions: z.record(z.string(), z.string()).default({}),
  shard: z.string().optional(),
  boards: z
    .array(z.string())
    .optional()
    .describe(
      'The --boards selection the run was limited to (a lab host runs its board family); merge groups shards by it',
    ),
  interrupted: z.boolean().optional(),
  args: z.array(z.string()).optional(),
  commit: z.string().optional().describe('git commit of the rig checkout that ran'),
  repoUrl: z.string().optional().describe('https URL of the repository (for links to scenario lines)'),
  reportProblems: z
    .array(z.string())
    .optional()
    .describe('Reports (or parts of the results) that could not be written as they were, and why'),
});
export type RunMeta = z.infer<typeof RunMeta>;

export const Results = z.object({
  version: z.literal(1),
  run: RunMeta,
  cells: z.array(Cell),
});
export type Results = z.infer<typeof Results>;
