// Formats of `rig diagnose` and `rig bisect` output (--json): one zod schema each, types inferred from them.
import { z } from 'zod';
import { CertSummary, Outcome } from '../results/schema.ts';

/** One explained failure: what went wrong, the evidence, the TLS stack's rule, and concrete fixes. */
export const Explanation = z.object({
  rule: z.string().describe('Rule id, e.g. "name-mismatch"'),
  title: z.string(),
  why: z.string().describe('Plain words: the certificate field, the rule of the stack, and how they meet'),
  evidence: z.array(z.string()),
  stackRule: z.string().describe('The TLS stack behaviour relied on, with its source'),
  fixes: z.array(z.string()).describe('Concrete changes, most direct first'),
});
export type Explanation = z.infer<typeof Explanation>;

export const BoardDiagnosis = z.object({
  board: z.string(),
  stack: z.string(),
  target: z.enum(['twin', 'hardware', 'host']),
  status: z.string().describe('Cell status from the run (pass = connected)'),
  outcome: Outcome,
  serial: z.array(z.string()).describe('The serial lines that matter (what the board would print)'),
  explanation: Explanation.optional(),
  note: z.string().optional().describe('Why there is no explanation, or a caveat'),
});
export type BoardDiagnosis = z.infer<typeof BoardDiagnosis>;

export const DiagnoseReport = z.object({
  version: z.literal(1),
  connect: z.string().describe('What the sketch passes: a name, a dotted-quad string, or (byIp) the IPAddress'),
  byIp: z.boolean(),
  name: z
    .string()
    .optional()
    .describe('With byIp: the host name the sketch resolved to that address (--connect NAME=IP)'),
  certificates: z
    .array(CertSummary)
    .describe(
      'Every certificate of the given files: "server-chain-N" are sent after the leaf, "ca-N" are more CAs of a bundle',
    ),
  broker: z
    .object({
      starts: z.boolean().describe('Whether mosquitto starts with the given files and conf'),
      explanation: Explanation.optional(),
      observedWith: z
        .string()
        .optional()
        .describe('When it does not: the change that let the boards be observed anyway (never a fix)'),
    })
    .optional(),
  interrupted: z.boolean().optional(),
  conf: z.object({ file: z.string(), notes: z.array(z.string()) }).optional(),
  boards: z.array(BoardDiagnosis),
  runDir: z.string(),
});
export type DiagnoseReport = z.infer<typeof DiagnoseReport>;
