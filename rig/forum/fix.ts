// The skeleton's `fixed` variant when the thread gives no commands for it: the change `rig bisect` would find
// smallest for the cause the skeleton reproduces (its candidate ids: host=<name>, trust=ca, hash=sha256, validity),
// or, where bisect has no candidate (a CA key, a client certificate, a name that does not resolve), the rig's own
// one-line fix, named as such. What the thread's answers say is quoted when it points at the same change.
import { isIPv4 } from 'node:net';
import type { Cause } from './world-pki.ts';

export interface FixInput {
  cause: Cause;
  connect: string;
  /** Names in the server certificate the board could connect to instead (CN, DNS SANs). */
  serverNames: string[];
  ca: string;
  server: string;
  /** The CA the board is given in the broken setup. */
  boardCa: string;
  client?: string;
  dnsName?: string;
  /** The broker requires a client certificate the board does not send in the broken setup. */
  sendsNoClientCert?: boolean;
  /** The broker's password for the board's user (the fix of a refused login). */
  password?: string;
  answer?: string;
}

export interface Fix {
  variant: Record<string, unknown>;
  description: string;
  /** What the description is based on. */
  from: 'answer' | 'bisect' | 'rig';
}

interface Step {
  patch: Record<string, unknown>;
  says: string;
  bisect?: string;
}

function nameStep(i: FixInput): Step | undefined {
  const target = i.serverNames.find((n) => n !== i.connect && !n.startsWith('*') && !n.includes('{{'));
  if (target && !isIPv4(target))
    return {
      patch: { connect: target },
      says: `connect to ${target}, the name in the broker's certificate`,
      bisect: `host=${target}`,
    };
  return undefined;
}

function steps(i: FixInput): Step[] {
  const out: Step[] = [];
  const trustWrong = i.boardCa !== i.ca;
  if (i.cause === 'dns' && i.dnsName)
    out.push({
      patch: { hosts: { [i.dnsName]: '{{broker.ip}}' } },
      says: `${i.dnsName} resolves (a DNS entry for it, or MDNS.queryHost() and the address)`,
    });
  if (trustWrong || i.cause === 'trust')
    out.push({
      patch: { ca: i.ca },
      says: `give the board the CA that signed the broker's certificate (${i.ca})`,
      bisect: 'trust=ca',
    });
  if (i.cause === 'name') {
    const s = nameStep(i);
    if (s) out.push(s);
  }
  if (i.cause === 'weak-key')
    out.push({
      patch: { pki: { [i.ca]: { key: { type: 'rsa', bits: 2048 } } } },
      says: `a CA key of 2048 bits (${i.ca}); bisect varies only the server's key`,
    });
  if (i.cause === 'weak-signature')
    out.push({ patch: { pki: { [i.server]: { hash: 'sha256' } } }, says: 'sign with SHA-256', bisect: 'hash=sha256' });
  if (i.cause === 'expired')
    out.push({
      patch: { pki: { [i.server]: { validity: { days: 365 } } } },
      says: 'a certificate valid today',
      bisect: 'validity',
    });
  if (i.cause === 'auth' && i.password)
    out.push({ patch: { password: i.password }, says: "the password the broker's password_file holds for the user" });
  if ((i.cause === 'client-cert' || i.sendsNoClientCert) && i.client)
    out.push({
      patch: { cert: i.client },
      says: `the board presents the client certificate the broker requires (${i.client})`,
    });
  return out;
}

/** Which of the steps the thread's answers point at. */
function answerPoints(answer: string | undefined, s: Step): string | undefined {
  if (!answer) return undefined;
  const sentences = answer.split(/(?<=[.!?])\s+|\n+/);
  const re = s.patch.connect
    ? /\b(CN|common name|host ?name)\b.*\b(IP|address|name)\b|\bIP address\b.*\b(CN|common name)\b/i
    : s.patch.ca
      ? /\b(root|CA|certificate authority|signing authority|chain)\b/
      : s.patch.hosts
        ? /\b(mDNS|DNS|resolve|\.local)\b/i
        : s.patch.cert
          ? /\b(client cert|require_certificate)/i
          : s.patch.password
            ? /\b(password|passwd|credentials|user ?name)\b/i
            : undefined;
  return re ? sentences.find((x) => re.test(x))?.trim() : undefined;
}

export function predictFix(i: FixInput): Fix | undefined {
  const all = steps(i);
  if (all.length === 0) return undefined;
  // The step for the cause reproduced first: its quote is the one that matters.
  const first = (s: Step) =>
    (i.cause === 'name' && s.patch.connect) ||
    (i.cause === 'trust' && s.patch.ca) ||
    (i.cause === 'dns' && s.patch.hosts)
      ? 0
      : 1;
  all.sort((a, b) => first(a) - first(b));
  const variant = Object.assign({}, ...all.map((s) => s.patch)) as Record<string, unknown>;
  const quoted = all.map((s) => answerPoints(i.answer, s)).filter((q): q is string => !!q);
  const parts = all.map((s) =>
    s.bisect ? `${s.says} [bisect: ${s.bisect}]` : `${s.says} [the rig's fix: no bisect candidate]`,
  );
  if (quoted.length)
    return {
      variant,
      description: `The thread's answer ("${quoted[0]}"): ${parts.join('; ')}.`,
      from: 'answer',
    };
  const fromBisect = all.every((s) => s.bisect);
  return {
    variant,
    description: `${fromBisect ? "rig bisect's smallest fix" : 'The smallest fix for the cause reproduced'} (predicted, not yet run; \`rig bisect <id>\` confirms): ${parts.join('; ')}.`,
    from: fromBisect ? 'bisect' : 'rig',
  };
}
