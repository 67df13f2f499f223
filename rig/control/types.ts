// Input of a control client: a ClientSpec resolved to concrete host, port and file paths.
import { z } from 'zod';

export const ControlKind = z.enum(['control', 'mosquitto-cli']);
export type ControlKind = z.infer<typeof ControlKind>;

export const ControlClient = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    tls: z.boolean().optional().describe('Default: true when ca, cert or insecure is given'),
    ca: z.string().optional().describe('CA file (PEM); absent = the system trust store'),
    cert: z.string().optional(),
    key: z.string().optional(),
    keyPassphrase: z.string().optional(),
    insecure: z
      .boolean()
      .optional()
      .describe('control: no verification at all; mosquitto-cli: --insecure (no host name check)'),
    username: z.string().optional(),
    password: z.string().optional(),
    clientId: z.string().optional(),
    topic: z.string().optional(),
    tlsVersion: z.enum(['tlsv1.2', 'tlsv1.3']).optional().describe('Maximum TLS version offered'),
    servername: z.string().optional().describe('SNI / name checked, when it differs from host (control only)'),
  })
  .strict();
export type ControlClient = z.infer<typeof ControlClient>;

export interface ControlOptions {
  /** Whole attempt: connect, subscribe, publish, receive. Default 10 s. */
  timeoutMs?: number;
  /** Payload of the round trip (default: a unique string). */
  message?: string;
}

export function usesTls(c: ControlClient): boolean {
  return c.tls ?? (c.ca !== undefined || c.cert !== undefined || c.insecure === true);
}

export function defaultTopic(c: ControlClient): string {
  return c.topic ?? `rig/control/${process.pid}-${Date.now().toString(36)}`;
}
