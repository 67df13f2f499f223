// `rig diagnose`: the user's own certificates (and conf) become an in-memory scenario, run on every board's
// twin and the control clients; each failing board's outcome is explained by the rules in rules.ts.
import { access, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BoardProfile } from '../boards/profile.ts';
import type { ProjectPaths } from '../project.ts';
import type { Cell, CertSummary } from '../results/schema.ts';
import { Scenario, type ScenarioInput } from '../scenario/schema.ts';
import { runMatrix } from '../runner/run.ts';
import type { Progress } from '../runner/progress.ts';
import { summarizeCert } from '../pki/index.ts';
import { mapUserConf, type GivenFile, type MappedConf } from './conf.ts';
import { copyScript, DiagnoseInputError, stageUserFiles, type StagedUserFiles, type UserFiles } from './inputs.ts';
import { explain, type RuleClient } from './rules.ts';
import { DiagnoseReport, type BoardDiagnosis } from './types.ts';

export interface DiagnoseOptions {
  files: UserFiles;
  connect: string;
  byIp: boolean;
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

export async function diagnose(o: DiagnoseOptions): Promise<DiagnoseReport> {
  if (!o.connect) throw new DiagnoseInputError('--connect HOST is required: the name or IP the board connects to');
  const staged = await stageUserFiles(o.files, o.paths.cache);
  const mapped = o.files.conf ? await mapConf(o.files.conf, o.files, staged) : undefined;
  const scenario = buildScenario(o, staged, mapped);
  const { boards, notes } = await availableBoards(o.boards, o.boardProfiles, o.paths);
  const runDir = o.outDir ?? await mkdtemp(path.join(os.tmpdir(), 'rig-diagnose-'));
  const { results } = await runMatrix({
    scenarios: [{ file: path.join(o.paths.root, 'diagnose.yaml'), scenario }], boardProfiles: o.boardProfiles,
    targets: ['twin'], boards: boards.map((b) => b.id), jobs: Math.min(2, os.availableParallelism()), retries: 1,
    broker: 'local', outDir: runDir, quarantine: [], sandbox: o.sandbox, progress: o.progress, paths: o.paths,
    defaultTimeoutMs: o.timeoutMs ?? 20_000, args: ['diagnose'],
  });
  await removeBrokerKeys(path.join(runDir, 'brokers'));
  const certs = results.cells.find((c) => c.certificates?.length)?.certificates ?? await summaries(staged);
  const listener = mapped?.listeners.find((l) => l.port === scenario.client.port);
  const client: RuleClient = {
    connect: o.connect, byIp: o.byIp, caGiven: !!staged.certs.ca, insecure: false, clientCert: !!staged.certs.client,
    clock: { ntp: true }, ...(listener?.tlsVersion ? { brokerTlsVersion: listener.tlsVersion } : {}),
    ...(listener?.requireCertificate !== undefined ? { requireCertificate: listener.requireCertificate } : {}),
    ...(o.username ? { username: o.username } : {}),
  };
  const out: BoardDiagnosis[] = [];
  for (const id of o.boards) {
    const profile = o.boardProfiles.get(id);
    const cell = results.cells.find((c) => c.board === id);
    if (!profile || !cell) {
      out.push({ board: id, stack: profile?.stack ?? 'unknown', target: 'twin', status: 'skip', outcome: { kind: 'none' }, serial: [],
        note: notes.get(id) ?? `no board profile "${id}"` });
      continue;
    }
    const serial = await relevantSerial(runDir, cell);
    const found = cell.outcome.kind === 'connected' ? undefined
      : explain({ certs, client, board: { id, family: profile.family, stack: profile.stack }, outcome: cell.outcome });
    // A run error explains nothing about TLS, unless a rule knows the setup cannot work on that board at all.
    const explanation = cell.status === 'error' && found?.rule !== 'mkr-client-key' ? undefined : found;
    out.push({
      board: id, stack: profile.stack, target: cell.target, status: cell.outcome.kind === 'connected' ? 'pass' : cell.status,
      outcome: cell.outcome, serial, ...(explanation ? { explanation } : {}),
      ...(cell.status === 'error' ? { note: `the rig could not run this board: ${cell.reason ?? 'unknown error'}` }
        : !explanation && cell.outcome.kind !== 'connected' ? { note: 'no rule explains this outcome; see the serial lines and the broker log' } : {}),
    });
  }
  return DiagnoseReport.parse({
    version: 1, connect: o.connect, byIp: o.byIp, certificates: certs,
    ...(mapped && o.files.conf ? { conf: { file: o.files.conf, notes: mapped.notes } } : {}),
    boards: out, runDir,
  });
}

async function mapConf(confFile: string, f: UserFiles, staged: StagedUserFiles): Promise<MappedConf> {
  let text: string;
  try { text = await readFile(confFile, 'utf8'); } catch (e) {
    throw new DiagnoseInputError(`--conf ${confFile}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const given: GivenFile[] = [];
  const add = async (name: string, kind: 'crt' | 'key', file: string | undefined): Promise<void> => {
    if (file && staged.certs[name]) given.push({ name, kind, fileName: path.basename(file), content: await readFile(file) });
  };
  await add('ca', 'crt', f.ca);
  await add('server', 'crt', f.cert);
  await add('server', 'key', f.key);
  await add('client', 'crt', f.clientCert);
  await add('client', 'key', f.clientKey);
  return mapUserConf(confFile, text, given, { read: (p) => readFile(p).catch(() => undefined) });
}

/** The in-memory scenario: the user's files verbatim, their conf (or a default TLS listener), one variant. */
export function buildScenario(o: Pick<DiagnoseOptions, 'connect' | 'byIp' | 'port' | 'username' | 'password' | 'boards'>,
  staged: StagedUserFiles, mapped: MappedConf | undefined): Scenario {
  const tlsListener = mapped?.listeners.find((l) => l.tls);
  const port = o.port ?? tlsListener?.port ?? 8883;
  const users = o.username !== undefined ? { users: { [o.username]: o.password ?? '' } } : {};
  const broker: ScenarioInput['broker'] = mapped
    ? { conf: mapped.text, ...users }
    : { listeners: [{ port, tls: { cert: 'server', ca: staged.certs.ca ? 'ca' : 'server', ...(staged.certs.client ? { requireCertificate: false } : {}) } }],
      allowAnonymous: true, ...users };
  const input: ScenarioInput = {
    version: 1, id: 'diagnose', title: `diagnose: connect to ${o.connect}`,
    pki: { verbatim: copyScript(staged) } as ScenarioInput['pki'],
    broker,
    boards: o.boards,
    client: {
      connect: o.connect, byIp: o.byIp, port, ca: staged.certs.ca ? 'ca' : null,
      ...(staged.certs.client ? { cert: 'client' } : {}),
      ...(o.username !== undefined ? { username: o.username } : {}), ...(o.password !== undefined ? { password: o.password } : {}),
      topic: 'rig/diagnose',
    },
    variants: { diagnose: {} },
    expect: { diagnose: { '*': { kind: 'connected' } } },
    retries: 0,
  };
  return Scenario.parse(input);
}

/** Boards that can run here: a twin core and a probe sketch present (controls always). */
async function availableBoards(ids: string[], profiles: Map<string, BoardProfile>, paths: ProjectPaths): Promise<{ boards: BoardProfile[]; notes: Map<string, string> }> {
  const boards: BoardProfile[] = [];
  const notes = new Map<string, string>();
  const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);
  for (const id of ids) {
    const b = profiles.get(id);
    if (!b) { notes.set(id, `no board profile "${id}" in boards/`); continue; }
    if (b.kind === 'control') { boards.push(b); continue; }
    if (!b.twin) { notes.set(id, `board ${id} has no twin`); continue; }
    if (!(await exists(path.join(paths.twinCore, b.twin.core)))) { notes.set(id, `the ${b.twin.core} twin core (boards/twin/${b.twin.core}) is not there yet`); continue; }
    const sketch = b.probeSketch ? path.join(paths.root, b.probeSketch) : undefined;
    if (!sketch || !(await exists(path.join(sketch, `${path.basename(sketch)}.ino`)))) { notes.set(id, `probe sketch ${b.probeSketch ?? '(none)'} is not there yet`); continue; }
    boards.push(b);
  }
  return { boards, notes };
}

/** The broker's staged copies of the user's keys are not needed once it stopped; the run folder stays for reading. */
async function removeBrokerKeys(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  await Promise.all(entries.filter((e) => e.isFile() && e.name.endsWith('.key'))
    .map((e) => rm(path.join(e.parentPath ?? e.path, e.name), { force: true })));
}

async function summaries(staged: StagedUserFiles): Promise<CertSummary[]> {
  return Promise.all(Object.entries(staged.certs).map(([name, c]) => summarizeCert(path.join(staged.dir, c.crt), name)));
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
