// Broker faults as plain functions on a running broker handle, for step runners and library users alike: a
// restart, a pause (a dead peer: connections stay open and nothing answers), an outage (connections refused),
// a rotated server certificate, a revoked client certificate, another TLS policy, password or ACL file. Each
// returns what it did, in words a timeline shows.
import { InfraError } from '../errors.ts';
import type { BrokerSpec } from '../scenario/schema.ts';
import type { BrokerControl, BrokerHandle } from './types.ts';

/** Waits `ms`; the step runner passes board time, tests pass their own clock. */
export type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function controlOf(h: BrokerHandle): BrokerControl {
  if (!h.control) throw new InfraError(`the ${h.provider} broker handle offers no control (faults need one)`);
  return h.control;
}

/** Stops the broker and starts it again at once on the same ports (the board's connection drops). */
export async function restartBroker(h: BrokerHandle): Promise<string> {
  const c = controlOf(h);
  await c.down();
  await c.up();
  return 'broker restarted';
}

/** The broker down for `ms` (connections refused), then started again. */
export async function stopBrokerFor(h: BrokerHandle, ms: number, sleep: Sleep = realSleep): Promise<string> {
  const c = controlOf(h);
  await c.down();
  try {
    await sleep(ms);
  } finally {
    await c.up();
  }
  return `broker down for ${ms} ms, started again`;
}

/** The broker frozen for `ms`: TCP connections stay open but nothing answers (a dead peer), then thawed. */
export async function pauseBrokerFor(h: BrokerHandle, ms: number, sleep: Sleep = realSleep): Promise<string> {
  const c = controlOf(h);
  await c.pause();
  try {
    await sleep(ms);
  } finally {
    await c.resume();
  }
  return `broker frozen for ${ms} ms, thawed`;
}

export interface Rotation {
  /** The PKI name of the new server certificate. */
  cert: string;
  /** The PKI name of the new cafile, when the CA changes too. */
  ca?: string;
}

/** The spec with every TLS listener serving `r.cert` (and `r.ca` as cafile). Pure. */
export function rotatedSpec(spec: BrokerSpec, r: Rotation): BrokerSpec {
  if (spec.conf !== undefined && !spec.listeners?.length)
    throw new InfraError('a verbatim broker conf names its own files: rotate needs declarative listeners');
  const listeners = (spec.listeners ?? []).map((l) =>
    l.tls ? { ...l, tls: { ...l.tls, cert: r.cert, ...(r.ca ? { ca: r.ca } : {}) } } : l,
  );
  return { ...spec, listeners };
}

/** Renews the server certificate as an operator does: new files, broker restarted on the same ports. */
export async function rotateServerCert(h: BrokerHandle, r: Rotation): Promise<string> {
  const c = controlOf(h);
  const next = rotatedSpec(c.spec(), r);
  await c.down();
  await c.up(next);
  return `server certificate now "${r.cert}"${r.ca ? `, cafile "${r.ca}"` : ''}; broker restarted`;
}

/** The spec with `cert` in the `revoked` list of every TLS listener (a CRL signed by its cafile's CA). Pure. */
export function revokedSpec(spec: BrokerSpec, cert: string): BrokerSpec {
  if (spec.conf !== undefined && !spec.listeners?.length)
    throw new InfraError('a verbatim broker conf names its own files: revoke needs declarative listeners');
  if (!spec.listeners?.some((l) => l.tls)) throw new InfraError('revoke needs a TLS listener');
  const listeners = spec.listeners.map((l) =>
    l.tls ? { ...l, tls: { ...l.tls, revoked: [...new Set([...(l.tls.revoked ?? []), cert])] } } : l,
  );
  return { ...spec, listeners };
}

/**
 * Revokes a client certificate as an operator does: the CA signs a new CRL (openssl ca -gencrl), the broker
 * restarts on the same ports with it as crlfile. Only listeners that require a certificate check it.
 */
export async function revokeClientCert(h: BrokerHandle, cert: string): Promise<string> {
  const c = controlOf(h);
  const next = revokedSpec(c.spec(), cert);
  await c.down();
  await c.up(next);
  const unchecked = (next.listeners ?? []).filter((l) => l.tls && l.tls.requireCertificate !== true).length;
  return (
    `client certificate "${cert}" revoked (CRL signed by "${next.listeners?.find((l) => l.tls)?.tls?.ca ?? 'ca'}"); ` +
    `broker restarted${unchecked ? ` (${unchecked} TLS listener(s) without requireCertificate do not check it)` : ''}`
  );
}

/** A new TLS policy for every TLS listener; what is not given stays as it was. */
export interface TlsPolicy {
  /** The oldest TLS version accepted (mosquitto tls_version). */
  tlsVersion?: 'tlsv1.1' | 'tlsv1.2' | 'tlsv1.3';
  ciphers?: string;
  ciphersTls13?: string;
}

/** What a `reconfigure` changes: the TLS policy and/or one user's password in the broker's password file. */
export interface Reconfiguration extends TlsPolicy {
  password?: { user: string; password: string };
  /** The new ACL file, line by line (it replaces the old one). */
  acl?: string[];
}

/** The spec with the policy on every TLS listener and the user's new password. Pure. */
export function reconfiguredSpec(spec: BrokerSpec, p: Reconfiguration): BrokerSpec {
  if (spec.conf !== undefined && !spec.listeners?.length)
    throw new InfraError('a verbatim broker conf is its own policy: reconfigure needs declarative listeners');
  const tls = p.tlsVersion !== undefined || p.ciphers !== undefined || p.ciphersTls13 !== undefined;
  if (tls && !spec.listeners?.some((l) => l.tls)) throw new InfraError('reconfigure needs a TLS listener');
  // A password change is for a broker that already has a password file: adding the first user would also turn
  // off anonymous access, another change than the one asked for.
  if (p.password && !Object.keys(spec.users ?? {}).length)
    throw new InfraError('reconfigure password needs a broker with users (a password file)');
  const listeners = (spec.listeners ?? []).map((l) =>
    l.tls
      ? {
          ...l,
          tls: {
            ...l.tls,
            ...(p.tlsVersion ? { version: p.tlsVersion } : {}),
            ...(p.ciphers ? { ciphers: p.ciphers } : {}),
            ...(p.ciphersTls13 ? { ciphersTls13: p.ciphersTls13 } : {}),
          },
        }
      : l,
  );
  const users = p.password ? { ...spec.users, [p.password.user]: p.password.password } : spec.users;
  return { ...spec, listeners, ...(users ? { users } : {}), ...(p.acl ? { acl: p.acl } : {}) };
}

/**
 * Changes the broker's policy as an operator does: conf, password or ACL file edited, restarted on the same ports.
 * A restart, not a SIGHUP reload: the board's connection drops and it subscribes again under the new ACL.
 */
export async function reconfigureBroker(h: BrokerHandle, p: Reconfiguration): Promise<string> {
  const c = controlOf(h);
  const next = reconfiguredSpec(c.spec(), p);
  await c.down();
  await c.up(next);
  return `${describeReconfiguration(p)}; broker restarted`;
}

/** The change in words, for timelines: never the password itself. */
export function describeReconfiguration(p: Reconfiguration): string {
  return [
    p.tlsVersion ? `tls_version ${p.tlsVersion}` : '',
    p.ciphers ? `ciphers ${p.ciphers}` : '',
    p.ciphersTls13 ? `ciphers_tls1.3 ${p.ciphersTls13}` : '',
    p.password ? `new password for user "${p.password.user}"` : '',
    p.acl ? `new ACL file (${p.acl.length} line(s): ${p.acl.join(' | ').slice(0, 200)})` : '',
  ]
    .filter(Boolean)
    .join(', ');
}
