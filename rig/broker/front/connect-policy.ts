// What a cloud broker checks in a client's CONNECT before any broker logic (personalities.ts holds each provider's
// values): the packet's size, the client id, the username's form, the password's kind. Pure: the front reads the
// CONNECT (mqtt-connect.ts), asks here, and refuses with the CONNACK code and the reason in the broker log.
import type { MqttConnect } from './mqtt-connect.ts';

export interface ConnectPolicy {
  /** Largest CONNECT (whole packet) the provider reads; a larger one is dropped without a CONNACK. */
  maxConnectBytes: number;
  maxClientIdLength: number;
  /** Characters a client id may have (default: any). */
  clientIdChars?: RegExp;
  /** 'azure': "<SNI>/<client id>/?api-version=..."; 'required': any, but present. */
  username?: 'azure' | 'required';
  /** The password must be there: 'any' password, or one starting with this scheme word (a SAS token). */
  passwordScheme?: 'any' | string;
  /** CONNACK return codes (MQTT 3.1.1) for each refusal. */
  refusal: { clientId: number; username: number; password: number };
}

export interface ConnectRefusal {
  rc: number;
  why: string;
}

/** Why this CONNECT is refused (and with which return code), or undefined when it passes. */
export function connectRefusal(p: ConnectPolicy, c: MqttConnect, sni: string | undefined): ConnectRefusal | undefined {
  const id = c.clientId;
  if (id.length > p.maxClientIdLength)
    return { rc: p.refusal.clientId, why: `client id of ${id.length} characters (at most ${p.maxClientIdLength})` };
  if (p.clientIdChars && !p.clientIdChars.test(id))
    return { rc: p.refusal.clientId, why: `client id ${shown(id)} is not a device ID this provider can have` };
  if (p.username === 'required' && !c.username) return { rc: p.refusal.username, why: 'no username' };
  if (p.username === 'azure') {
    const want = `${sni ?? '<no SNI>'}/${id}/`;
    if (!c.username?.startsWith(want))
      return {
        rc: p.refusal.username,
        why: `username ${c.username === undefined ? 'missing' : shown(c.username)}, not "${shown(want)}?api-version=..."`,
      };
  }
  if (p.passwordScheme && c.passwordLength === undefined) return { rc: p.refusal.password, why: 'no password' };
  if (p.passwordScheme && p.passwordScheme !== 'any' && c.passwordScheme !== p.passwordScheme)
    return {
      rc: p.refusal.password,
      why: `password of ${c.passwordLength} bytes is no ${p.passwordScheme} token (content not logged)`,
    };
  return undefined;
}

/**
 * A stranger's text as the log may show it: printable ASCII only, at most 96 characters (a CONNECT field can hold
 * 65535 bytes of anything, and the log is read by people and by the rig's line rules).
 */
export function shown(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?').replace(/"/g, "'");
  return clean.length > 96 ? `${clean.slice(0, 96)}...(${clean.length} characters)` : clean;
}
