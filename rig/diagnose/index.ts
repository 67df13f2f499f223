// `rig diagnose`: the user's own certificates (and conf) become an in-memory scenario, run on every board's
// twin and the control clients; each failing board's outcome is explained by the rules in rules.ts.
// The decrypted keys, and every copy the run makes of them (the PKI cache), stay in one 0700 temp folder
// that is removed when diagnose ends, also on Ctrl-C.
import { rmSync } from 'node:fs';
import { access, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { BoardProfile } from '../boards/profile.ts';
import type { ProjectPaths } from '../project.ts';
import type { Cell, CertSummary, Results } from '../results/schema.ts';
import { Scenario, type ScenarioInput } from '../scenario/schema.ts';
import { runMatrix } from '../runner/run.ts';
import { Cleanup } from '../runner/cleanup.ts';
import { onExit } from '../process/index.ts';
import type { Progress } from '../runner/progress.ts';
import { summarizeCert } from '../pki/index.ts';
import {
  loginRequired,
  lowerSecurityLevel,
  LOWERED_SECLEVEL,
  mapUserConf,
  type ConfListener,
  type GivenFile,
  type MappedConf,
} from './conf.ts';
import { copyScript, DiagnoseInputError, stageUserFiles, type StagedUserFiles, type UserFiles } from './inputs.ts';
import { brokerRefused, explain, secLevelRefusal, type RuleClient } from './rules.ts';
import { brokerStartLog, chainFacts } from './probe.ts';
import { DiagnoseReport, type BoardDiagnosis, type Explanation } from './types.ts';

export interface DiagnoseOptions {
  files: UserFiles;
  /** What the sketch passes: a name or a dotted quad (with byIp: the IPAddress). */
  connect: string;
  byIp: boolean;
  /** With byIp: the name the sketch resolved to `connect` (--connect NAME=IP), for the report. */
  name?: string;
  /** Logical port of the TLS listener (default: the conf's TLS listener, else 8883). */
  port?: number;
  boards: string[];
  username?: string;
  password?: string;
  boardProfiles: Map<string, BoardProfile>;
  paths: ProjectPaths;
  progress: Progress;
  outDir?: string;
  sandbox: boolean;
  timeoutMs?: number;
}

export const DEFAULT_BOARDS = ['esp32', 'esp8266', 'mkr1000', 'control'];

/** Ctrl-C before the boards ran: nothing to report. */
export class DiagnoseInterrupted extends Error {
  override readonly name = 'DiagnoseInterrupted';
}

/** Checks what can be checked before any file is read: the address and the board names. */
export function checkDiagnoseArgs(o: Pick<DiagnoseOptions, 'connect' | 'byIp' | 'boards' | 'boardProfiles'>): void {
  if (!o.connect) throw new DiagnoseInputError('--connect HOST is required: the name or IP the board connects to');
  if (o.byIp && !isIPv4(o.connect)) {
    throw new DiagnoseInputError(
      `--by-ip: the sketch passes an IPAddress, but "${o.connect}" is not one; give the address the board gets for it, e.g. --connect ${o.connect}=192.168.0.52 (or --connect 192.168.0.52)`,
    );
  }
  const unknown = o.boards.filter((b) => !o.boardProfiles.has(b));
  if (unknown.length) {
    throw new DiagnoseInputError(
      `--boards: no board ${unknown.map((b) => `"${b}"`).join(', ')}; known boards: ${[...o.boardProfiles.keys()].sort().join(', ')}`,
    );
  }
}

let legacyRemoved: Promise<void> | undefined;

/** Rig versions before the temp folder staged decrypted keys under the project cache: removed once per process. */
function removeLegacyKeys(cache: string): Promise<void> {
  legacyRemoved ??= rm(path.join(cache, 'diagnose'), { recursive: true, force: true });
  return legacyRemoved;
}

export async function diagnose(o: DiagnoseOptions): Promise<DiagnoseReport> {
  checkDiagnoseArgs(o);
  await removeLegacyKeys(o.paths.cache);
  const staged = await stageUserFiles(o.files);
  // Ctrl-C: runMatrix stops its brokers and twins; this removes the keys (a second Ctrl-C exits at once,
  // so the 'exit' hook removes them synchronously then).
  const guard = new Cleanup();
  guard.add('diagnose: decrypted keys', () => staged.dispose());
  const untrap = guard.trapSignals(() => o.progress.log('\ninterrupted: removing the staged copies of your keys'));
  const offExit = onExit(() => rmSync(staged.dir, { recursive: true, force: true }));
  try {
    return await diagnoseStaged(o, staged, guard);
  } finally {
    await guard.stopAll();
    untrap();
    offExit();
  }
}

async function diagnoseStaged(o: DiagnoseOptions, staged: StagedUserFiles, guard: Cleanup): Promise<DiagnoseReport> {
  const paths = { ...o.paths, cache: await privateCache(staged.dir, o.paths.cache) };
  const mapped = o.files.conf ? await mapConf(o.files.conf, o.files, staged) : undefined;
  let scenario = buildScenario(o, staged, mapped);
  const { boards, notes } = await availableBoards(o.boards, o.boardProfiles, o.paths);
  const certs = await summaries(staged);
  const chain = await chainFacts(staged, o.files);
  if (guard.interrupted) throw new DiagnoseInterrupted('interrupted before the boards ran');
  const runDir = o.outDir ?? (await mkdtemp(path.join(os.tmpdir(), 'rig-diagnose-')));
  const runOnce = async (s: Scenario): Promise<Results> => {
    const { results } = await runMatrix({
      scenarios: [{ file: path.join(o.paths.root, 'diagnose.yaml'), scenario: s }],
      boardProfiles: o.boardProfiles,
      targets: ['twin'],
      boards: boards.map((b) => b.id),
      jobs: Math.min(2, os.availableParallelism()),
      retries: 1,
      broker: 'local',
      outDir: runDir,
      quarantine: [],
      sandbox: o.sandbox,
      progress: o.progress,
      paths,
      defaultTimeoutMs: o.timeoutMs ?? 20_000,
      args: ['diagnose'],
    });
    await removeBrokerKeys(path.join(runDir, 'brokers'));
    return results;
  };
  let results = await runOnce(scenario);

  // Every cell lost to a broker that would not start: ask mosquitto why (the run keeps only its first lines).
  let broker: DiagnoseReport['broker'];
  const ran = results.cells.filter((c) => c.status !== 'skip');
  if (
    !results.run.interrupted &&
    ran.length &&
    ran.every((c) => c.status === 'error' && /^setup failed: mosquitto/.test(c.reason ?? ''))
  ) {
    // A probe that cannot even try (mosquitto missing) leaves the cells' errors: the rig's failure, exit 3.
    const log = await brokerStartLog(scenario, paths).catch(() => undefined);
    if (log && !/Address already in use|Cannot assign requested address/i.test(log.join('\n'))) {
      broker = { starts: false, explanation: brokerRefused(log, certs) };
      if (secLevelRefusal(log)) {
        // Only to watch what each board would do with such a certificate; clearly not the user's broker.
        o.progress.log(
          `your broker does not start (${secLevelRefusal(log)}); running the boards against one with ${LOWERED_SECLEVEL} to show what they would do`,
        );
        scenario = buildScenario(o, staged, mapped, { lowered: true });
        results = await runOnce(scenario);
        broker.observedWith = `ciphers DEFAULT:${LOWERED_SECLEVEL} on the listener (OpenSSL security level 0), only to observe the boards`;
      }
    }
  }

  const listener = mapped?.listeners.find((l) => l.port === scenario.client.port);
  const facts = { certs, client: ruleClient(o, staged, listener), chain, lowered: broker?.observedWith !== undefined };
  const out = await diagnoseBoards(o, results, runDir, notes, facts);
  return DiagnoseReport.parse({
    version: 1,
    connect: o.connect,
    byIp: o.byIp,
    ...(o.name ? { name: o.name } : {}),
    certificates: certs,
    ...(broker ? { broker } : {}),
    ...(mapped && o.files.conf ? { conf: { file: o.files.conf, notes: mapped.notes } } : {}),
    boards: out,
    runDir,
    ...(results.run.interrupted ? { interrupted: true } : {}),
  });
}

/** What the rules know about the user's client: their settings and their broker's listener. */
function ruleClient(o: DiagnoseOptions, staged: StagedUserFiles, listener: ConfListener | undefined): RuleClient {
  return {
    connect: o.connect,
    byIp: o.byIp,
    caGiven: !!staged.certs.ca,
    insecure: false,
    clientCert: !!staged.certs.client,
    clock: { ntp: true },
    ...(listener?.tlsVersion ? { brokerTlsVersion: listener.tlsVersion } : {}),
    ...(listener?.requireCertificate !== undefined ? { requireCertificate: listener.requireCertificate } : {}),
    ...(o.username ? { username: o.username } : {}),
    ...(listener ? { loginRequired: loginRequired(listener) } : {}),
    ...(listener?.passwordFile ? { passwordFile: listener.passwordFile } : {}),
  };
}

type BoardFacts = Parameters<typeof boardDiagnosis>[4];

/** One diagnosis per board asked for; a board that could not run says why. */
async function diagnoseBoards(
  o: DiagnoseOptions,
  results: Results,
  runDir: string,
  notes: Map<string, string>,
  facts: BoardFacts,
): Promise<BoardDiagnosis[]> {
  const out: BoardDiagnosis[] = [];
  for (const id of o.boards) {
    const profile = o.boardProfiles.get(id);
    const cell = results.cells.find((c) => c.board === id);
    if (!profile || !cell) {
      out.push({
        board: id,
        stack: profile?.stack ?? 'unknown',
        target: 'twin',
        status: 'skip',
        outcome: { kind: 'none' },
        serial: [],
        note: notes.get(id) ?? `no board profile "${id}"`,
      });
      continue;
    }
    out.push(await boardDiagnosis(id, profile, cell, runDir, facts));
  }
  return out;
}

async function boardDiagnosis(
  id: string,
  profile: BoardProfile,
  cell: Cell,
  runDir: string,
  x: { certs: CertSummary[]; client: RuleClient; chain: Awaited<ReturnType<typeof chainFacts>>; lowered: boolean },
): Promise<BoardDiagnosis> {
  const serial = await relevantSerial(runDir, cell);
  const connected = cell.outcome.kind === 'connected';
  const found = connected
    ? undefined
    : explain({
        certs: x.certs,
        client: x.client,
        board: { id, family: profile.family, stack: profile.stack },
        outcome: cell.outcome,
        chain: x.chain,
      });
  // A run error explains nothing about TLS, unless a rule knows the setup cannot work on that board at all.
  const explanation: Explanation | undefined =
    cell.status === 'error' && found?.rule !== 'mkr-client-key' ? undefined : found;
  const notes: string[] = [];
  if (x.lowered)
    notes.push(
      `observed on a broker started with OpenSSL security level 0 (ciphers DEFAULT:${LOWERED_SECLEVEL}) so the board could be tried: your broker as configured does not start`,
    );
  if (cell.status === 'error' && !explanation)
    notes.push(`the rig could not run this board: ${cell.reason ?? 'unknown error'}`);
  else if (!explanation && !connected)
    notes.push('no rule explains this outcome; see the serial lines and the broker log');
  return {
    board: id,
    stack: profile.stack,
    target: cell.target,
    status: connected ? 'pass' : cell.status,
    outcome: cell.outcome,
    serial,
    ...(explanation ? { explanation } : {}),
    ...(notes.length ? { note: notes.join('; ') } : {}),
  };
}

/**
 * The run's cache: its own PKI folder (the copies of the user's keys stay in the temp folder) and the shared
 * twin build cache (builds are content-hashed and keep no secrets: rig/twin/build.ts).
 */
async function privateCache(stageDir: string, sharedCache: string): Promise<string> {
  const cache = path.join(stageDir, 'cache');
  await mkdir(path.join(cache, 'pki'), { recursive: true, mode: 0o700 });
  await mkdir(path.join(sharedCache, 'twin'), { recursive: true });
  await symlink(path.join(sharedCache, 'twin'), path.join(cache, 'twin'));
  return cache;
}

async function mapConf(confFile: string, f: UserFiles, staged: StagedUserFiles): Promise<MappedConf> {
  let text: string;
  try {
    text = await readFile(confFile, 'utf8');
  } catch (e) {
    throw new DiagnoseInputError(
      `--conf ${confFile}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  const given: GivenFile[] = [];
  const add = async (name: string, kind: 'crt' | 'key', file: string | undefined): Promise<void> => {
    if (file && staged.certs[name])
      given.push({ name, kind, fileName: path.basename(file), content: await readFile(file) });
  };
  await add('ca', 'crt', f.ca);
  await add('server', 'crt', f.cert);
  await add('server', 'key', f.key);
  await add('client', 'crt', f.clientCert);
  await add('client', 'key', f.clientKey);
  return mapUserConf(confFile, text, given, { read: (p) => readFile(p).catch(() => undefined) });
}

/** The in-memory scenario: the user's files verbatim, their conf (or a default TLS listener), one variant. */
function buildScenario(
  o: Pick<DiagnoseOptions, 'connect' | 'byIp' | 'port' | 'username' | 'password' | 'boards'>,
  staged: StagedUserFiles,
  mapped: MappedConf | undefined,
  opts: { lowered?: boolean } = {},
): Scenario {
  const tlsListener = mapped?.listeners.find((l) => l.tls);
  const port = o.port ?? tlsListener?.port ?? 8883;
  const users = o.username !== undefined ? { users: { [o.username]: o.password ?? '' } } : {};
  const broker: ScenarioInput['broker'] = mapped
    ? { conf: opts.lowered ? lowerSecurityLevel(mapped.text) : mapped.text, ...users }
    : {
        listeners: [
          {
            port,
            tls: {
              cert: 'server',
              ca: staged.certs.ca ? 'ca' : 'server',
              ...(staged.certs.client ? { requireCertificate: false } : {}),
              ...(opts.lowered ? { ciphers: `DEFAULT:${LOWERED_SECLEVEL}` } : {}),
            },
          },
        ],
        allowAnonymous: true,
        ...users,
      };
  const input: ScenarioInput = {
    version: 1,
    id: 'diagnose',
    title: `diagnose: connect to ${o.connect}`,
    pki: { verbatim: copyScript(staged) } as ScenarioInput['pki'],
    broker,
    boards: o.boards,
    client: {
      connect: o.connect,
      byIp: o.byIp,
      port,
      ca: staged.certs.ca ? 'ca' : null,
      ...(staged.certs.client ? { cert: 'client' } : {}),
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      topic: 'rig/diagnose',
    },
    variants: { diagnose: {} },
    expect: { diagnose: { '*': { kind: 'connected' } } },
    retries: 0,
  };
  return Scenario.parse(input);
}

/** Boards that can run here: a twin core and a probe sketch present (controls always). */
async function availableBoards(
  ids: string[],
  profiles: Map<string, BoardProfile>,
  paths: ProjectPaths,
): Promise<{ boards: BoardProfile[]; notes: Map<string, string> }> {
  const boards: BoardProfile[] = [];
  const notes = new Map<string, string>();
  const exists = (p: string): Promise<boolean> =>
    access(p).then(
      () => true,
      () => false,
    );
  for (const id of ids) {
    const b = profiles.get(id);
    if (!b) {
      notes.set(id, `no board profile "${id}" in boards/`);
      continue;
    }
    if (b.kind === 'control') {
      boards.push(b);
      continue;
    }
    if (!b.twin) {
      notes.set(id, `board ${id} has no twin`);
      continue;
    }
    if (!(await exists(path.join(paths.twinCore, b.twin.core)))) {
      notes.set(id, `the ${b.twin.core} twin core (boards/twin/${b.twin.core}) is not there yet`);
      continue;
    }
    const sketch = b.probeSketch ? path.join(paths.root, b.probeSketch) : undefined;
    if (!sketch || !(await exists(path.join(sketch, `${path.basename(sketch)}.ino`)))) {
      notes.set(id, `probe sketch ${b.probeSketch ?? '(none)'} is not there yet`);
      continue;
    }
    boards.push(b);
  }
  return { boards, notes };
}

/** The broker's staged copies of the user's keys are not needed once it stopped; the run folder stays for reading. */
async function removeBrokerKeys(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  await Promise.all(
    entries
      .filter((e) => e.isFile() && e.name.endsWith('.key'))
      .map((e) => rm(path.join(e.parentPath ?? e.path, e.name), { force: true })),
  );
}

/** One summary per certificate: a chain's and a bundle's certificates each count. */
async function summaries(staged: StagedUserFiles): Promise<CertSummary[]> {
  return Promise.all(
    Object.entries(staged.parts).map(([name, file]) => summarizeCert(path.join(staged.dir, file), name)),
  );
}

/** What the board prints that matters: its TLS library's lines and the sketch's outcome lines. */
async function relevantSerial(runDir: string, cell: Cell): Promise<string[]> {
  if (!cell.serialLog) return [];
  const text = await readFile(path.join(runDir, cell.serialLog), 'utf8').catch(() => '');
  const lines = text.split('\n').filter((l) => l.trim());
  if (cell.target === 'host') return lines;
  const interesting = /\[E\]|error|fail|rc=|state|SSL|BSSL|ssl_client|connected|X509|alert/i;
  const own = lines.filter((l) => interesting.test(l) && !l.startsWith('RIG:'));
  const picked = own.length ? own : lines.filter((l) => interesting.test(l));
  return picked.slice(-6);
}
