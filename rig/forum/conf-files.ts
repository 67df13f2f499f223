// What a pasted mosquitto.conf says that the skeleton must agree with: the TLS listener's port, the files it names
// (by file name: a conf naming raspberrypi.crt gets the PKI entry "raspberrypi"), client certificates, logins.
import path from 'node:path';

export interface ConfFacts {
  port: number;
  cafile?: string;
  certfile?: string;
  keyfile?: string;
  requireCertificate: boolean;
  passwordFile: boolean;
  anonymousOff: boolean;
  tlsVersion?: string;
}

/** Logical listener port the board uses: the first listener with TLS options, else the first, else 8883. */
function tlsPort(conf: string): number {
  let current: number | undefined;
  let first: number | undefined;
  let tls: number | undefined;
  for (const line of conf.split('\n')) {
    const l = /^\s*(?:listener|port)\s+(\d+)/.exec(line);
    if (l) {
      current = Number(l[1]);
      first ??= current;
      continue;
    }
    if (/^\s*(certfile|cafile|keyfile)\s/.test(line)) tls ??= current ?? 1883;
  }
  return tls ?? first ?? 8883;
}

export function confFacts(conf: string | undefined): ConfFacts {
  if (!conf) return { port: 8883, requireCertificate: false, passwordFile: false, anonymousOff: false };
  const value = (key: string) => new RegExp(`^\\s*${key}\\s+(\\S+)`, 'm').exec(conf)?.[1];
  const file = (key: string) => {
    const v = value(key);
    return v && !/^\{\{/.test(v) ? path.posix.basename(v) : undefined;
  };
  const cafile = file('cafile');
  const certfile = file('certfile');
  const keyfile = file('keyfile');
  const tlsVersion = value('tls_version');
  return {
    port: tlsPort(conf),
    ...(cafile ? { cafile } : {}),
    ...(certfile ? { certfile } : {}),
    ...(keyfile ? { keyfile } : {}),
    requireCertificate: /^\s*require_certificate\s+true\b/m.test(conf),
    passwordFile: /^\s*password_file\s/m.test(conf),
    anonymousOff: /^\s*allow_anonymous\s+false\b/m.test(conf),
    ...(tlsVersion ? { tlsVersion } : {}),
  };
}

/** A PKI entry name from a file name: "raspberrypi.crt" → "raspberrypi", "Mosquitto CA.pem" → "mosquitto-ca". */
export function logicalName(file: string): string {
  return (
    file
      .replace(/^.*\//, '')
      .replace(/\.(crt|pem|cer|der|key)$/i, '')
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '') || 'server'
  );
}

/**
 * The conf with the paths of its TLS files pointing at PKI entries where the file names do not already say which
 * (the broker maps a path by its file name: "<name>.crt", "<name>.pem", "<name>.key").
 */
export function mapConfFiles(conf: string, roles: { ca: string; server: string }, notes: string[]): string {
  const want: Record<string, string> = { cafile: roles.ca, certfile: roles.server, keyfile: roles.server };
  return conf.replace(
    /^(\s*)(cafile|certfile|keyfile)(\s+)(\S+)(.*)$/gm,
    (whole, a: string, key: string, b: string, p: string, rest: string) => {
      if (/^\{\{/.test(p)) return whole;
      const name = want[key]!;
      const base = path.posix.basename(p);
      const ext = key === 'keyfile' ? ['key'] : ['crt', 'pem'];
      if (ext.some((e) => base === `${name}.${e}`)) return whole;
      const placeholder = `{{pki.${name}.${key === 'keyfile' ? 'key' : 'crt'}}}`;
      notes.push(
        `mosquitto.conf: ${key} ${p} → ${placeholder} (the ${key === 'cafile' ? 'CA' : 'server certificate'} the PKI makes)`,
      );
      return `${a}${key}${b}${placeholder}${rest}`;
    },
  );
}
