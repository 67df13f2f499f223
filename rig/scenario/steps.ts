// The `steps:` of a scenario: what happens after the board's first outcome, in order, on twins and boards alike.
// One step is one mapping with exactly one action key (waitSerial, writeSerial, reset, wait, broker, rotate,
// revoke, reconfigure, disconnect, publish, expectMessage, expectReconnect, expectBrokerLog, clock) and optional
// name/withinMs. Times are board
// time: on a twin the rig's control channel can move it; on a board it is the wall clock.
import { z } from 'zod';
import { Regex } from './regex.ts';

const Ms = z
  .number()
  .int()
  .min(0)
  .max(7 * 24 * 3600 * 1000, 'at most a week of board time');
/** Where a board's millis() (a 32-bit unsigned long) wraps to 0: 2^32 ms, 49.7 days after boot. */
export const MILLIS_WRAP = 2 ** 32;

const PkiName = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'a certificate name from pki');
// An OpenSSL cipher list: it becomes one mosquitto.conf line, so nothing but the list's own characters.
const CipherList = z
  .string()
  .min(1)
  .max(1000)
  .regex(/^[A-Za-z0-9_:+!@=.-]+$/, 'an OpenSSL cipher list, e.g. ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA');

/** The action keys; a step has exactly one. */
export const STEP_ACTIONS = [
  'waitSerial',
  'writeSerial',
  'reset',
  'wait',
  'broker',
  'rotate',
  'revoke',
  'reconfigure',
  'disconnect',
  'publish',
  'expectMessage',
  'expectReconnect',
  'expectBrokerLog',
  'clock',
] as const;
export type StepAction = (typeof STEP_ACTIONS)[number];

export const Step = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" or "-"')
      .optional()
      .describe('How reports and expect.failingStep name this step (default: "step N")'),
    waitSerial: Regex.optional().describe('Wait for a serial line matching this regex (from this step on)'),
    writeSerial: z.string().optional().describe("Write this line (and a newline) to the board's serial"),
    reset: z.literal(true).optional().describe('Reset the board (a twin restarts; a board gets DTR/RTS)'),
    wait: Ms.optional().describe('Let this much board time pass'),
    broker: z
      .enum(['restart', 'pause', 'stop'])
      .optional()
      .describe(
        'restart: a clean broker restart; pause: frozen for `forMs` (the board sees a dead peer); ' +
          'stop: down for `forMs` (connections refused), then started again',
      ),
    forMs: Ms.optional().describe('How long a broker pause or stop lasts (board time)'),
    rotate: z
      .object({
        cert: PkiName.describe("The listener's new server certificate (a pki name; its chain is sent)"),
        ca: PkiName.optional().describe("The broker's new cafile (a pki name)"),
      })
      .strict()
      .optional()
      .describe('Renew the server certificate: the broker restarts with another certificate from pki'),
    revoke: PkiName.optional().describe(
      "Revoke this client certificate (a pki name): the TLS listeners' CA signs a CRL listing it, the broker " +
        'restarts with crlfile on the same ports and refuses it (requireCertificate listeners)',
    ),
    reconfigure: z
      .object({
        tlsVersion: z
          .enum(['tlsv1.1', 'tlsv1.2', 'tlsv1.3'])
          .optional()
          .describe('The oldest TLS version the listeners accept (mosquitto tls_version)'),
        ciphers: CipherList.optional().describe('TLS 1.2 and older cipher suites (mosquitto ciphers)'),
        ciphersTls13: CipherList.optional().describe('TLS 1.3 cipher suites (mosquitto ciphers_tls1.3)'),
        password: z
          .object({
            user: z.string().regex(/^[^:\s]+$/, 'a user name of the password file (no ":" or white space)'),
            password: z
              .string()
              .min(1)
              .regex(/^[^\r\n]*$/, 'one line'),
          })
          .strict()
          .optional()
          .describe("A user's new password in the broker's password file (a broker with users)"),
        acl: z
          .array(
            z
              .string()
              .max(1000)
              .regex(/^[^\r\n]*$/, 'one ACL file line, e.g. "topic read rig/#"'),
          )
          .optional()
          .describe("The broker's new ACL file (acl_file), line by line: it replaces the old one"),
      })
      .strict()
      .optional()
      .describe(
        "Change the TLS listeners' policy, a user's password or the ACL file: the broker restarts on the same ports",
      ),
    disconnect: z
      .union([z.literal(true), z.string().regex(/^[^\s#+/]{1,128}$/, 'an MQTT client id')])
      .optional()
      .describe(
        "Drop one client's connection: the rig connects with its client id (true: the board's), mosquitto closes " +
          'the old connection ("already connected, closing old connection") and the rig leaves at once',
      ),
    publish: z
      .object({
        topic: z.string().min(1),
        payload: z.string().default(''),
        qos: z.union([z.literal(0), z.literal(1)]).optional(),
      })
      .strict()
      .optional()
      .describe('Publish from the rig (the observer); {{topic}} is the client topic'),
    expectMessage: z
      .object({ topic: z.string().min(1), payload: Regex.optional() })
      .strict()
      .optional()
      .describe('A message on this topic (filter) from now on, within withinMs'),
    expectReconnect: z.literal(true).optional().describe("The board's client connects to the broker again"),
    expectBrokerLog: Regex.optional().describe('A broker log line matching this regex from now on'),
    clock: z
      .object({
        calendar: z
          .string()
          .refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 date, e.g. 2031-01-01T00:00:00Z')
          .optional()
          .describe("Set the board's calendar (time()) to this date"),
        advanceMs: Ms.optional().describe('Move millis() forward by this much without waiting'),
        millis: z
          .number()
          .int()
          .min(0)
          .max(MILLIS_WRAP - 1, 'millis() is a 32-bit unsigned long on the boards: at most 4294967295')
          .optional()
          .describe(
            'Move millis() forward until it reads this value (2^32 = 4294967296 is where it wraps; ' +
              '4294947296 is 20 s before). A scenario with such a step builds 32-bit twins (build dataModel)',
          ),
      })
      .strict()
      .optional()
      .describe("The board's clocks (twins; a board only if its sketch offers a serial command)"),
    withinMs: Ms.optional().describe('How long a wait or expect may take (board time; default 30000)'),
  })
  .strict()
  .superRefine((s, ctx) => {
    const actions = STEP_ACTIONS.filter((a) => s[a] !== undefined);
    if (actions.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message:
          actions.length === 0
            ? `a step needs one action: ${STEP_ACTIONS.join(', ')}`
            : `one action per step (this one has ${actions.join(' and ')}): split it into steps`,
      });
    if (s.forMs !== undefined && s.broker !== 'pause' && s.broker !== 'stop')
      ctx.addIssue({ code: 'custom', path: ['forMs'], message: 'forMs goes with broker: pause or broker: stop' });
    if ((s.broker === 'pause' || s.broker === 'stop') && s.forMs === undefined)
      ctx.addIssue({ code: 'custom', path: ['broker'], message: `broker: ${s.broker} needs forMs (how long)` });
    if (s.reconfigure && Object.keys(s.reconfigure).length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['reconfigure'],
        message: 'reconfigure needs tlsVersion, ciphers, ciphersTls13, password or acl',
      });
    const moves = s.clock
      ? (['calendar', 'advanceMs', 'millis'] as const).filter((k) => s.clock![k] !== undefined)
      : [];
    if (s.clock && moves.length !== 1)
      ctx.addIssue({
        code: 'custom',
        path: ['clock'],
        message:
          moves.length === 0
            ? 'clock needs calendar, advanceMs or millis'
            : `one clock move per step (this one has ${moves.join(' and ')})`,
      });
  });
export type Step = z.infer<typeof Step>;

export const Steps = z
  .array(Step)
  .min(1)
  .describe('What happens after the first outcome, in order; the cell fails at the first step that does not hold');

/** Whether steps set millis() to a value (a wrap scenario): such a scenario's twins are 32-bit like the boards. */
export function stepsSetMillis(steps: readonly Step[] | undefined): boolean {
  return (steps ?? []).some((s) => s.clock?.millis !== undefined);
}

/** The action of a (valid) step. */
export function stepAction(s: Step): StepAction {
  return STEP_ACTIONS.find((a) => s[a] !== undefined) ?? 'wait';
}

/** The name reports use for step i (0-based). */
export function stepName(s: Step, i: number): string {
  return s.name ?? `step ${i + 1}`;
}
