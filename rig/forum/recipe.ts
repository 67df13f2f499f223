// Preparing a post's own files for a run: its openssl recipe (the subjects the poster typed at the prompts, the
// poster's broker address as the run's), its mosquitto.conf (one directive per line, no trailing comments, a
// password_file where logins are required). Pure.
import { X509Certificate } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { SubjectHints } from './openssl-fix.ts';
import type { SketchSecrets } from './sketch-secrets.ts';

/** A certificate's subject as an `openssl req -subj` argument ("/C=TV/.../CN=home"). */
function subjArg(subject: string): string {
  return subject
    .split('\n')
    .map((f) => `/${f.replace(/[\\/"$`]/g, '\\$&')}`)
    .join('');
}

/**
 * What the poster typed at the prompts, as far as the post tells: the CA certificate pasted into the sketch
 * has the CA's subject; for the server, posters type the name their board connects to as CN (the other
 * fields as for the CA). A sketch that connects to an IP (or a placeholder) gets the run's broker address.
 */
export function subjectHints(secrets: SketchSecrets | undefined, connect: string, notes: string[]): SubjectHints {
  const hints: SubjectHints = {};
  const ca = secrets?.pems.find((p) => p.secret === 'SECRET_CA_CERT');
  let base = '';
  if (ca) {
    try {
      const crt = new X509Certificate(ca.pem);
      if (crt.ca || crt.subject === crt.issuer) {
        hints.ca = subjArg(crt.subject);
        base = subjArg(
          crt.subject
            .split('\n')
            .filter((f) => !f.startsWith('CN='))
            .join('\n'),
        );
        notes.push(`the CA's subject ${hints.ca} is the one of the CA certificate pasted into the sketch`);
      }
    } catch {
      // A placeholder ("YOUR_CA_CERT_HERE") or a mangled paste: nothing to learn from it.
    }
  }
  hints.server = `${base}/CN=${connect}`;
  return hints;
}

/** Every IPv4 literal of a post's openssl script is the broker as the poster knew it: the run's broker here. */
export function brokerIpsToVar(script: string, notes: string[]): string {
  const ips = new Set<string>();
  const out = script.replace(/(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])/g, (ip: string) => {
    if (!isIPv4(ip) || ip === '0.0.0.0') return ip;
    ips.add(ip);
    return '{{broker.ip}}';
  });
  if (ips.size)
    notes.push(`${[...ips].join(', ')} (the poster's broker address) → {{broker.ip}} in the openssl commands`);
  return out;
}

/** mosquitto reads one directive per line from its first column, with no comment after a value. */
export function cleanConf(conf: string, notes: string[]): string {
  let stripped = 0;
  const lines = conf.split('\n').map((l) => {
    const t = l.trim();
    if (t.startsWith('#')) return t;
    const m = /^(\S.*?)\s+#.*$/.exec(t);
    if (m) {
      stripped++;
      return m[1]!;
    }
    return t;
  });
  if (stripped)
    notes.push(`${stripped} trailing comment(s) cut from mosquitto.conf lines (mosquitto would read them as values)`);
  return `${lines.join('\n').replace(/\n*$/, '')}\n`;
}

/** The CN the recipe gives the server's request (the `-subj` of the request its server certificate signs). */
export function serverCnOf(script: string, serverFile: string): string | undefined {
  const cmds = script.replace(/\\\n/g, ' ').split('\n');
  const sign = cmds.find(
    (c) =>
      /\bopenssl\s+(x509|ca)\b/.test(c) && new RegExp(`-out\\s+\\S*${serverFile.replace(/[.]/g, '\\.')}\\b`).test(c),
  );
  const csr = sign ? /-in\s+(\S+)/.exec(sign)?.[1] : undefined;
  const req = cmds.find(
    (c) => /\bopenssl\s+req\b/.test(c) && (csr ? c.includes(`-out ${csr}`) : c.includes(`-out ${serverFile}`)),
  );
  return req ? /-subj\s+["']?[^"'\s]*\/CN=([^/"'\s]+)/.exec(req)?.[1] : undefined;
}
