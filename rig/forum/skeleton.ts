// Builds a reproduction scenario (YAML text) and its sketch from a pasted post's parts: what the post shows
// (evidence.ts), the board's world that fails the same way (world.ts, world-pki.ts), the poster's lines as
// expectations (expectations.ts) and a fixed variant from the thread's answer or bisect's smallest fix (fix.ts).
// Everything the rig assumed or completed is said in the notes. Validated with the scenario schema by the caller.
import { stringify } from 'yaml';
import type { OutcomeKind } from '../scenario/schema.ts';
import { codeHints, type CodeHints } from './code-hints.ts';
import { mapConfFiles } from './conf-files.ts';
import { gatherEvidence, type Evidence, type PcClaim } from './evidence.ts';
import { boardExpectations, pcExpectations, pcPredict } from './expectations.ts';
import type { ForumParts } from './extract.ts';
import { predictFix, type Fix } from './fix.ts';
import { fixOpensslScript } from './openssl-fix.ts';
import { literalRegex } from './regex.ts';
import { brokerIpsToVar, cleanConf, serverCnOf, subjectHints } from './recipe.ts';
import { addRigLines } from './rig-lines.ts';
import { replaceSketchSecrets, type SketchSecrets } from './sketch-secrets.ts';
import {
  chooseBoard,
  chooseCause,
  chooseHost,
  KIND_OF,
  namesFromConf,
  postedHost,
  type BoardChoice,
  type Host,
  type Names,
} from './world.ts';
import { declarativePlan, verbatimPlan, type Cause, type PkiPlan } from './world-pki.ts';
import { logicalName } from './conf-files.ts';

export { literalRegex };

export interface SkeletonInput {
  id: string;
  parts: ForumParts;
  /** Board profile id; default: recognised from the sketch, the log format or the post. */
  board?: string;
  /** Where the sketch will live, relative to the project root (sketches/<id>). */
  sketchDir: string;
}

export interface Skeleton {
  yaml: string;
  sketch?: { file: string; text: string; replaced: string[] };
  notes: string[];
}

/** Thrown when a post holds nothing to reproduce; the message says what is missing. */
export class NothingToReproduce extends Error {
  override readonly name = 'NothingToReproduce';
}

const USER = { name: 'forumuser', pass: 'forum-pass' };

/** PC claims about another broker than the board's (a public one, a `-h` the board does not use) are notes only. */
function keptClaims(e: Evidence, host: Host, text: string, notes: string[]): PcClaim[] {
  if (host.public && e.pcClaims.length) {
    notes.push(
      "the poster's PC client test was against another broker than the public one the board uses: not an expectation",
    );
    return [];
  }
  const pcHost = /\bmosquitto_(?:sub|pub)\b[^\n]*\s-h\s+(\S+)/.exec(text)?.[1];
  return e.pcClaims.filter((c) => {
    if (c.client === 'mosquitto-cli' && pcHost && pcHost !== host.posted) {
      notes.push(`the poster's mosquitto_sub/pub ran against ${pcHost}, not the board's broker: not an expectation`);
      return false;
    }
    return true;
  });
}

interface Planned {
  plan: PkiPlan;
  serverNames: string[];
}

function planPki(
  parts: ForumParts,
  o: {
    cause: Cause;
    connect: string;
    names: Names;
    needClient: boolean;
    pcWorks: boolean;
    embeds?: string;
    secrets?: SketchSecrets;
  },
  notes: string[],
): Planned {
  const fetched = parts.fetched ?? [];
  if (parts.openssl) {
    const hints = subjectHints(o.secrets, o.connect, notes);
    const fixed = fixOpensslScript(brokerIpsToVar(parts.openssl, notes), hints);
    notes.push(...fixed.notes);
    const plan = verbatimPlan(fixed.script, {
      ...(o.names.facts.certfile ? { certfile: o.names.facts.certfile } : {}),
      needClient: o.needClient,
      fetched,
    });
    const script = (plan.pki.verbatim as { script: string }).script;
    const serverFile = (plan.pki.verbatim as { files: Record<string, string> }).files[plan.server] ?? 'server.crt';
    const cn = serverCnOf(script, serverFile);
    return { plan, serverNames: cn ? [cn] : [] };
  }
  notes.push("no openssl commands in the post: declarative certificates stand in, named after the conf's files");
  const stand = fetched.find((f) => o.embeds && f.file === o.embeds);
  const embedded = stand ? { name: logicalName(stand.file), cn: stand.host } : undefined;
  if (stand)
    notes.push(
      `the firmware embeds ${stand.file}, fetched from ${stand.host} (\`openssl s_client\`): a stand-in CA of that name, which did not sign the broker's certificate`,
    );
  const plan = declarativePlan({
    cause: o.cause,
    connect: o.connect,
    caName: o.names.ca,
    serverName: o.names.server === o.names.ca ? `${o.names.server}-server` : o.names.server,
    pcWorks: o.pcWorks,
    needClient: o.needClient,
    ...(embedded ? { embedded } : {}),
  });
  const server = plan.pki[plan.server] as { subject: { CN?: string }; san?: string[] };
  const names = [
    server.subject.CN ?? '',
    ...(server.san ?? []).filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)),
  ];
  return { plan, serverNames: [...new Set(names.filter(Boolean))] };
}

function brokerSpec(
  parts: ForumParts,
  o: { names: Names; plan: PkiPlan; cause: Cause; logsIn: boolean },
  notes: string[],
): Record<string, unknown> {
  const weak = o.cause === 'weak-key' || o.cause === 'weak-signature';
  const auth = o.cause === 'auth';
  if (!parts.conf) {
    notes.push(`no mosquitto.conf in the post: one TLS listener on ${o.names.facts.port} stands in`);
    if (auth)
      notes.push(
        `the listener takes logins from a password file: user "${USER.name}"; the board sends another password`,
      );
    if (weak)
      notes.push(
        '"ciphers DEFAULT:@SECLEVEL=0" on the listener: OpenSSL 3 refuses to load such a certificate otherwise',
      );
    return {
      listeners: [
        {
          port: o.names.facts.port,
          tls: {
            cert: o.plan.server,
            ca: o.plan.ca,
            ...(o.cause === 'client-cert' ? { requireCertificate: true } : {}),
            ...(weak ? { ciphers: 'DEFAULT:@SECLEVEL=0' } : {}),
          },
          allowAnonymous: !auth,
          ...(auth ? { passwordFile: true } : {}),
        },
      ],
      ...(auth ? { users: { [USER.name]: USER.pass } } : {}),
    };
  }
  let text = mapConfFiles(cleanConf(parts.conf, notes), { ca: o.plan.ca, server: o.plan.server }, notes);
  if (!o.names.facts.passwordFile && ((o.names.facts.anonymousOff && o.logsIn) || auth)) {
    if (!/^\s*allow_anonymous\s+false\b/m.test(text)) text = `${text.replace(/\n*$/, '')}\nallow_anonymous false\n`;
    text = text.replace(/^(allow_anonymous\s+false.*)$/m, '$1\npassword_file {{passwd}}');
    notes.push(
      'allow_anonymous false and the board logs in, but no password_file in the post: "password_file {{passwd}}" added',
    );
  }
  if (!/^\s*allow_anonymous\s/m.test(text) && !/^\s*password_file\s/m.test(text)) {
    text = `${text.replace(/\n*$/, '')}\nallow_anonymous true\n`;
    notes.push(
      'mosquitto.conf: "allow_anonymous true" added: Mosquitto 2.0 refuses anonymous clients unless told so; the 1.x brokers of most posts allowed them by default',
    );
  }
  if (weak) {
    text = text.replace(/^(certfile\s.*)$/m, '$1\nciphers DEFAULT:@SECLEVEL=0');
    notes.push('"ciphers DEFAULT:@SECLEVEL=0" added: OpenSSL 3 refuses to load a weak certificate otherwise');
  }
  const spec: Record<string, unknown> = { conf: text };
  if (/^password_file\s/m.test(text)) {
    spec.users = { [USER.name]: USER.pass };
    notes.push(
      `a password_file: user "${USER.name}" / "${USER.pass}" added; the board and the PC clients log in with them`,
    );
  }
  return spec;
}

function titleOf(board: string, kind: OutcomeKind | undefined, code: string | undefined, cause: Cause): string {
  const what: Record<Cause, string> = {
    name: 'the certificate is for another name than the board connects to',
    trust: "the CA the board trusts did not sign the broker's certificate",
    'weak-key': 'a key in the chain is too short for the board',
    'weak-signature': 'the certificate is signed with a hash the board refuses',
    dns: "the broker's name does not resolve on the board",
    'client-cert': 'the broker requires a client certificate the board does not send',
    auth: "the broker refuses the board's login",
    expired: "the certificate is not valid at the board's time",
    none: 'it connects',
  };
  return `${board}: ${kind ?? 'TLS failure'}${code ? ` (${code})` : ''}, closest cause: ${what[cause]}`;
}

function fixedVariant(
  parts: ForumParts,
  fix: Fix | undefined,
  o: { secrets?: SketchSecrets; connect: string },
  notes: string[],
) {
  if (parts.opensslFix) {
    const hints = subjectHints(o.secrets, o.connect, []);
    const f = fixOpensslScript(brokerIpsToVar(parts.opensslFix, notes), hints);
    notes.push(...f.notes.map((n) => `fixed: ${n}`));
    const plan = verbatimPlan(f.script, { needClient: false, fetched: [] });
    notes.push("the answer's commands that make the certificates again → variants.fixed.pki");
    return { description: "The thread's answer: its commands make the certificates again.", pki: plan.pki };
  }
  if (!fix) return undefined;
  notes.push(`fixed variant: ${fix.description}`);
  return { description: fix.description, ...fix.variant };
}

/** What the post is: its sketch (secrets replaced), the evidence, the board, host, cause and the names it uses. */
interface Reading {
  secrets?: SketchSecrets;
  text: string;
  e: Evidence;
  choice: BoardChoice;
  host: Host;
  claims: PcClaim[];
  names: Names;
  cause: Cause;
  hints: CodeHints;
  /** The PC's name check may pass through an IP SAN the board ignores (not on arduino-esp32 3.x, which checks it). */
  ipSan: boolean;
  /** The poster's sketch with the rig's lines, when it runs (a sketch the rig cannot instrument does not). */
  sketchText?: string;
}

/** The post's own test commands that need the network: the scenario's broker and controls stand for them. */
function networkNotes(text: string, notes: string[]): void {
  const seen = new Set<string>();
  for (const m of text.matchAll(
    /^\s*(?:sudo\s+)?((?:openssl\s+s_client|mosquitto_(?:sub|pub)|curl|wget|ping)\b[^\n]*)$/gm,
  )) {
    const cmd = m[1]!.trim().slice(0, 80);
    const tool = cmd.split(/\s+/).slice(0, 2).join(' ');
    if (seen.has(tool)) continue;
    seen.add(tool);
    notes.push(
      /^(curl|wget)/.test(cmd)
        ? `\`${cmd}\` (network): not run; nothing a post links to is fetched`
        : `\`${cmd}\` (network): not run; the scenario's own broker${/mosquitto_/.test(cmd) ? ' and its mosquitto-cli control' : ''} stand for it`,
    );
  }
}

function read(input: SkeletonInput, notes: string[]): Reading {
  const { parts } = input;
  const secrets = parts.sketch ? replaceSketchSecrets(parts.sketch) : undefined;
  const sketchText = secrets ? instrument(secrets, input.board, notes) : undefined;
  const text = [parts.prose ?? '', parts.code ?? '', parts.sketch ?? ''].join('\n');
  const e = gatherEvidence({
    saw: parts.saw,
    ...(parts.prose ? { prose: parts.prose } : {}),
    ...(parts.code ? { code: parts.code } : {}),
    ...(parts.sketch ? { sketch: parts.sketch } : {}),
  });
  if (!e.lines.length && !parts.openssl && !parts.conf && !parts.sketch && !parts.code)
    throw new NothingToReproduce(
      'found nothing to reproduce: no line a board, broker or PC client printed, no openssl commands, mosquitto.conf or sketch. Paste at least the error line the board printed (e.g. "[E][ssl_client.cpp:37] ... (-9984) ..."), or mark parts with "### saw", "### openssl", "### mosquitto.conf", "### sketch"',
    );
  notes.push(...e.notes);
  const choice = chooseBoard(
    e,
    {
      ...(secrets?.board ? { userBoard: secrets.board } : {}),
      ...(input.board ? { override: input.board } : {}),
      userSketch: sketchText !== undefined,
    },
    notes,
  );
  const host = chooseHost(postedHost(text, secrets?.broker), notes);
  const claims = keptClaims(e, host, text, notes);
  const names = namesFromConf(parts.conf);
  const cause = chooseCause(e, host, notes, !!parts.openssl);
  networkNotes([parts.prose ?? '', parts.openssl ?? '', ...parts.saw].join('\n'), notes);
  const core3 = e.lines.some((l) => l.hints.includes('esp32-core-3'));
  if (core3 && cause === 'name')
    notes.push(
      'arduino-esp32 3.x checks IP SANs (mbedTLS 3.5+): the certificate gets none, so a PC checking the IP fails too',
    );
  return {
    ...(secrets ? { secrets } : {}),
    text,
    e,
    choice,
    host,
    claims,
    names,
    cause,
    hints: codeHints(text),
    ipSan: !core3,
    ...(sketchText !== undefined ? { sketchText } : {}),
  };
}

interface Built {
  plan: PkiPlan;
  serverNames: string[];
  broker: Record<string, unknown>;
  client: Record<string, unknown>;
  boardCa: string;
  /** The broker requires a client certificate the board does not send. */
  noClientCert: boolean;
}

/** PKI, broker and the board's client settings, tied together by name. */
function build(id: string, parts: ForumParts, r: Reading, notes: string[]): Built {
  const { secrets, e, host, names, cause, hints } = r;
  const presentsClient =
    !!secrets?.pems.some((p) => p.secret === 'SECRET_CLIENT_CERT') ||
    hints.clientCert ||
    /\bclient\.(?:crt|key)\b/i.test(parts.prose ?? '');
  const needClient = names.facts.requireCertificate || cause === 'client-cert';
  const pcWorks = r.claims.some((c) => c.works) && r.ipSan;
  const { plan, serverNames } = planPki(
    parts,
    {
      cause,
      connect: host.connect,
      names,
      needClient,
      pcWorks,
      ...(hints.embeds ? { embeds: hints.embeds } : {}),
      ...(secrets ? { secrets } : {}),
    },
    notes,
  );
  notes.push(...plan.notes);
  const logsIn = hints.login || names.facts.passwordFile || /\bSECRET_MQTT_USER\b/.test(secrets?.text ?? '');
  const broker = brokerSpec(parts, { names, plan, cause, logsIn }, notes);
  const boardCa = plan.boardCa ?? plan.ca;
  const clientCert = needClient && presentsClient && cause !== 'client-cert' ? plan.client : undefined;
  if (needClient && !clientCert && cause !== 'client-cert')
    notes.push('require_certificate true, but the post shows no client certificate on the board: it sends none');
  const client: Record<string, unknown> = {
    connect: host.connect,
    port: parts.conf ? names.facts.port : (hints.port ?? names.facts.port),
    topic: `forum/${id}`,
    ca: boardCa,
    ...(clientCert ? { cert: clientCert } : {}),
    // The closest cause of a refused login: the board's password is not the broker's.
    ...(broker.users !== undefined
      ? { username: USER.name, password: cause === 'auth' ? 'not-the-password' : USER.pass }
      : {}),
    ...(cause === 'dns' && e.dnsFailed ? { hosts: { [e.dnsFailed]: null } } : {}),
  };
  return { plan, serverNames, broker, client, boardCa, noClientCert: needClient && !clientCert };
}

/**
 * The user's sketch with the rig's lines added, or undefined when the rig cannot tell from it how a connection
 * ended (no PubSubClient connect() to put its lines in): then the rig's sketch for its library stands in.
 */
function instrument(secrets: SketchSecrets, board: string | undefined, notes: string[]): string | undefined {
  const rig = addRigLines(secrets.text, secrets.board ?? board);
  if (rig.added)
    notes.push(
      '"RIG: connected" (with one publish on <topic>/up) and "RIG: connect fail" lines added to the sketch, marked // [rig]',
    );
  if (rig.added || /\bRIG: connected\b/.test(secrets.text)) {
    if (rig.note) notes.push(rig.note);
    return rig.text;
  }
  notes.push(
    `${rig.note ?? 'the sketch cannot be instrumented'}; until then the rig's sketch stands for it (the poster's, secrets replaced, is written beside for that edit)`,
  );
  return undefined;
}

/** Broken and fixed variants with their expectations. */
function variantsOf(parts: ForumParts, r: Reading, b: Built, notes: string[]) {
  const { e, choice, host, cause } = r;
  // A kind the post does not state is expected only from certificates the rig made to fail that way.
  const kind = e.kind || !parts.openssl ? KIND_OF[cause] : undefined;
  const brokenBoard = boardExpectations(
    {
      board: choice.board,
      stack: choice.stack,
      cause,
      ...(kind ? { kind } : {}),
      userSketch: r.sketchText !== undefined,
      ...(choice.hardwareOnly ? { hardwareOnly: choice.hardwareOnly } : {}),
    },
    e,
    notes,
  );
  const ip = host.connect === '{{broker.ip}}';
  const pcWorks = r.claims.some((c) => c.works) && r.ipSan;
  const predicted = parts.openssl
    ? undefined
    : pcPredict({ cause, ip, ipSan: ip && pcWorks && cause === 'name', wrongCa: b.boardCa !== b.plan.ca });
  const brokenPc = pcExpectations(r.claims, predicted, notes);
  const fix = predictFix({
    cause,
    connect: host.connect,
    serverNames: b.serverNames,
    ca: b.plan.ca,
    server: b.plan.server,
    boardCa: b.boardCa,
    ...(b.plan.client ? { client: b.plan.client } : {}),
    ...(e.dnsFailed ? { dnsName: e.dnsFailed } : {}),
    ...(cause === 'auth' ? { password: USER.pass } : {}),
    sendsNoClientCert: b.noClientCert,
    ...(parts.answer ? { answer: parts.answer } : {}),
  });
  const fixed = fixedVariant(
    parts,
    fix,
    { ...(r.secrets ? { secrets: r.secrets } : {}), connect: host.connect },
    notes,
  );
  const up = {
    kind: 'connected',
    messages: [{ topic: `${String(b.client.topic)}/up`, payload: 'hello' }],
    ...(choice.hardwareOnly ? { hardwareOnly: choice.hardwareOnly } : {}),
  };
  const fixedPc = Object.fromEntries(
    Object.entries(brokenPc)
      .filter(([, x]) => x.kind === 'connected')
      .map(([k]) => [k, { kind: 'connected' }]),
  );
  return {
    kind,
    pcBoards: Object.keys(brokenPc),
    code: Object.values(brokenBoard)[0]?.code as string | undefined,
    variants: { broken: { description: 'As posted.' }, ...(fixed ? { fixed } : {}) },
    expect: {
      broken: { ...brokenBoard, ...brokenPc },
      ...(fixed ? { fixed: { [choice.board]: up, ...fixedPc } } : {}),
    },
  };
}

export function buildSkeleton(input: SkeletonInput): Skeleton {
  const { id, parts } = input;
  const notes: string[] = [];
  const r = read(input, notes);
  const b = build(id, parts, r, notes);
  const sketchText = r.sketchText;
  const v = variantsOf(parts, r, b, notes);
  const { choice } = r;
  const scenario = {
    version: 1,
    id,
    title: titleOf(choice.board, v.kind, v.code, r.cause),
    description: `Made by \`rig new --from-forum\` from ${parts.link ?? 'a pasted post'}; the "# rig new:" lines above say what it read, assumed and completed. The first \`rig run\` compares each cell with the lines the poster saw (expect.*.posted).`,
    tags: ['forum', 'rig-new', choice.family, ...(v.kind ? [v.kind.replace(/^\w+\//, '')] : [])],
    source: [parts.link ?? 'TODO: link to the thread'],
    pki: b.plan.pki,
    broker: b.broker,
    ...(choice.sketch || r.sketchText !== undefined
      ? { sketch: { [choice.board]: choice.sketch ?? input.sketchDir } }
      : {}),
    boards: [...new Set([choice.board, 'control', ...v.pcBoards])],
    client: b.client,
    variants: v.variants,
    expect: v.expect,
  };
  // The notes head the file: what the rig read, assumed and completed stays with the scenario for its reviewer.
  const head = notes.map((n) => `# rig new: ${n.replace(/\n/g, ' ')}`).join('\n');
  const yaml = `# yaml-language-server: $schema=../../schemas/scenario.schema.json\n${head}${head ? '\n' : ''}${stringify(scenario, { lineWidth: 0 })}`;
  const base = input.sketchDir.replace(/^.*\//, '');
  return {
    yaml,
    ...(r.secrets
      ? {
          sketch: {
            file: `${input.sketchDir}/${base}.ino`,
            text: sketchText ?? r.secrets.text,
            replaced: r.secrets.replaced,
          },
        }
      : {}),
    notes,
  };
}
