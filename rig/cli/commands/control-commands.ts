// The PC-side commands `rig broker` prints: mosquitto_sub/pub (and an openssl check) that verify the broker's
// certificate against the name or address the board uses, so a name mismatch shows here as it does on the board.
import { isIP } from 'node:net';
import type { BrokerPkiCert } from '../../broker/index.ts';
import type { ResolvedClient } from '../../scenario/resolve.ts';

export interface ControlInput {
  client: ResolvedClient;
  /** Address and real port the broker answers on. */
  host: string;
  port: number;
  tls: boolean;
  ca?: BrokerPkiCert;
  cert?: BrokerPkiCert;
  /** Whether the board's connect name already resolves to `host` on this machine (names only). */
  resolvesHere: boolean;
  /** The scenario field that holds the password, e.g. "variants.broken.password". */
  passwordField: string;
}

export interface ControlCommands {
  /** What to do first (make the name resolve, set the password variable), one instruction a line. */
  notes: string[];
  sub: string;
  pub: string;
  /** openssl s_client checking the certificate against the board's name or address, without any DNS. */
  check?: string;
}

const PASSWORD_ENV = 'RIG_MQTT_PASSWORD';

function q(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function controlCommands(i: ControlInput): ControlCommands {
  const c = i.client;
  const notes: string[] = [];
  const byAddress = isIP(c.connect) !== 0;
  // The board's view: a name the scenario makes unresolvable (client.hosts: null) stays a name here too.
  const boardCannotResolve = !byAddress && c.hosts[c.connect] === null;
  let target = i.host;
  if (!i.tls) {
    // No certificate to check: the address the broker answers on is as good as the board's name.
  } else if (byAddress) {
    if (c.connect !== i.host) {
      notes.push(
        `the board connects to ${c.connect} (routed to this broker only in the board's world); these commands reach it at ${i.host} and so check the certificate against ${i.host}: the openssl line below checks ${c.connect}, as the board does`,
      );
    }
  } else {
    target = c.connect;
    if (boardCannotResolve)
      notes.push(
        `the scenario makes ${c.connect} unresolvable for the board (client.hosts); so these commands fail to resolve it, as the board does`,
      );
    else if (!i.resolvesHere) {
      notes.push(
        `the board reaches the broker as ${c.connect} and checks the certificate against that name; make it resolve here (as root): echo '${i.host} ${c.connect}' >> /etc/hosts   (or use the openssl line below, which needs no DNS)`,
      );
    }
  }
  // Shell words, quoted where needed (the password variable is the one word left for the shell to expand).
  const words = ['-h', target, '-p', String(i.port)].map(q);
  const add = (...xs: string[]): void => {
    words.push(...xs.map(q));
  };
  if (i.tls) {
    // mosquitto_sub speaks TLS only with a trust store: a board given no CA is matched by the OS store.
    if (i.ca) add('--cafile', i.ca.crt);
    else add('--tls-use-os-certs');
    if (i.cert) add('--cert', i.cert.crt, '--key', i.cert.keyPlain ?? i.cert.key ?? '');
    // Only where the scenario itself says so: --insecure is exactly what hides a name mismatch.
    if (c.insecure) add('--insecure');
  }
  if (c.username !== undefined) {
    add('-u', c.username);
    if (c.password !== undefined) {
      words.push('-P', `"$${PASSWORD_ENV}"`);
      notes.push(`the password is the scenario's ${i.passwordField}: export ${PASSWORD_ENV}='<that value>' first`);
    }
  }
  const args = words.join(' ');
  const out: ControlCommands = {
    notes,
    sub: `mosquitto_sub ${args} -t ${q(`${c.topic}/#`)} -v`,
    pub: `mosquitto_pub ${args} -t ${q(`${c.topic}/up`)} -m hello`,
  };
  if (i.tls && !c.insecure) {
    const verify = byAddress ? ['-verify_ip', c.connect] : ['-servername', c.connect, '-verify_hostname', c.connect];
    const check = [
      'openssl',
      's_client',
      '-connect',
      `${i.host}:${i.port}`,
      ...verify,
      ...(i.ca ? ['-CAfile', i.ca.crt] : []),
      ...(i.cert ? ['-cert', i.cert.crt, '-key', i.cert.keyPlain ?? i.cert.key ?? ''] : []),
      '-verify_return_error',
      '-brief',
    ];
    out.check = `${check.map(q).join(' ')} </dev/null`;
  }
  return out;
}
