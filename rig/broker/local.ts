// Provider `local`: the host's mosquitto (Debian's /usr/sbin/mosquitto) as a child process on free ports.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { BrokerSpec } from '../scenario/schema.ts';
import { confNeeds, crlsWanted, keyWanted, renderConf } from './conf.ts';
import { logicalPorts } from '../scenario/ports.ts';
import { chownTree, mosquittoIds, stageBrokerFiles, traversableBy } from './files.ts';
import { LogCapture } from './log-capture.ts';
import { versionFromLine } from './log.ts';
import { register } from './registry.ts';
import {
  findProgram,
  ownedTempDir,
  PROGRAM_SEARCH,
  ProcessStartError,
  startManaged,
  type ManagedProcess,
  type OwnedDir,
  type ProcessExit,
} from '../process/index.ts';
import { NOBODY, sandboxCommand, sandboxSupport } from '../sandbox/index.ts';
import { BrokerStartError, type BrokerControl, type BrokerHandle, type BrokerPki } from './types.ts';

const SETPRIV = '/usr/bin/setpriv';
const READY = /mosquitto version (\S+) running/;

export interface LocalOptions {
  workDir: string;
  vars?: Record<string, string>;
  readyTimeoutMs?: number;
  bin?: string;
}

/** A free TCP port, found by binding port 0 (a small race remains; start retries once on EADDRINUSE). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

export async function startLocalBroker(spec: BrokerSpec, pki: BrokerPki, opts: LocalOptions): Promise<BrokerHandle> {
  try {
    return await startOnce(spec, pki, opts);
  } catch (e) {
    if (e instanceof BrokerStartError && e.logTail.some((l) => /Address already in use/.test(l)))
      return startOnce(spec, pki, opts);
    throw e;
  }
}

async function startOnce(spec: BrokerSpec, pki: BrokerPki, opts: LocalOptions): Promise<BrokerHandle> {
  const workDir = resolve(opts.workDir);
  mkdirSync(workDir, { recursive: true });
  const bin = opts.bin ?? (await findProgram('mosquitto'));
  if (!bin || !existsSync(bin))
    throw new BrokerStartError(
      `mosquitto not found ${bin ? `at ${bin}` : `in ${PROGRAM_SEARCH}`} (apt-get install mosquitto)`,
      [],
      null,
      '',
    );
  const boxed = spec.conf !== undefined && sandboxSupport().ok;
  const root = process.getuid?.() === 0;
  // As root the broker runs as `mosquitto` (uid 65534 in the sandbox when there is no such user).
  const ids = root ? ((await mosquittoIds()) ?? (boxed ? NOBODY : undefined)) : undefined;
  const staged = await stage(spec, pki, opts, workDir, ids);
  const { note } = boxed ? sandboxedBroker(bin, staged, ids) : brokerCommand(bin, staged.confFile, ids);
  const confNotes = [...staged.notes, ...(note ? [note] : [])];
  const logFile = join(workDir, 'broker.log');
  const t0 = Date.now();
  const log = new LogCapture(logFile, t0);
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10_000;
  const spawn = async (st: Staged): Promise<ManagedProcess> => {
    const c = boxed ? sandboxedBroker(bin, st, ids) : brokerCommand(bin, st.confFile, ids);
    return startManaged({
      command: c.command,
      args: c.args,
      cwd: st.hostDir,
      ready: { line: READY, timeoutMs: readyTimeoutMs },
      // mosquitto 2.0.11 sometimes does not act on one SIGTERM (measured: ~1 stop in 4 right after start
      // ran into the SIGKILL at 2 s); repeating SIGTERM every 200 ms ends it cleanly.
      stop: { repeatTermMs: 200, killAfterMs: 2_000 },
      onOutput: (text) => log.push(text),
    }).catch(async (e: unknown) => {
      throw startError(e, log.tail(12), readyTimeoutMs, st.reportConf);
    });
  };
  let proc = await spawn(staged).catch(async (e: unknown) => {
    log.end();
    await log.close();
    await staged.removeTemp();
    throw e;
  });
  const readyMs = Date.now() - t0;
  let current = { spec, staged };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await proc.stop();
      unregister();
      await log.close();
      await current.staged.removeTemp();
    })());
  const unregister = register({ stop });
  const control: BrokerControl = {
    spec: () => current.spec,
    down: async () => void (await proc.stop()),
    up: async (next) => {
      if (next && next !== current.spec) {
        // A rotated certificate: the files restaged, the conf rendered on the ports the boards already use.
        const restaged = await stage(next, pki, opts, workDir, ids, current.staged.ports);
        await current.staged.removeTemp();
        current = { spec: next, staged: restaged };
      }
      proc = await spawn(current.staged);
    },
    // Its process group (started detached): a sandboxed broker's bwrap and mosquitto freeze together.
    pause: async () => void process.kill(-proc.pid, 'SIGSTOP'),
    resume: async () => void process.kill(-proc.pid, 'SIGCONT'),
    id: () => String(proc.pid),
  };
  return {
    provider: 'local',
    host: '127.0.0.1',
    ports: staged.ports,
    version: versionFromLine(proc.readyLine) ?? 'unknown',
    logLines: () => log.logLines(),
    events: () => log.events(),
    waitForLog: (re, ms) => log.waitForLog(re, ms),
    onLine: (cb) => log.onLine(cb),
    logFile,
    confFile: staged.reportConf,
    stop,
    alive: async () => proc.running(),
    confNotes,
    readyMs,
    pid: proc.pid,
    control,
  };
}

interface Staged {
  /** Where the broker reads its files (the work dir, or a temp dir the mosquitto user can reach). */
  hostDir: string;
  confFile: string;
  /** The conf copy for reports, always in the work dir. */
  reportConf: string;
  ports: Record<number, number>;
  notes: string[];
  removeTemp(): Promise<void>;
}

/** Stages the broker's files and its conf on free ports. */
async function stage(
  spec: BrokerSpec,
  pki: BrokerPki,
  opts: LocalOptions,
  workDir: string,
  ids: { uid: number; gid: number } | undefined,
  keepPorts?: Record<number, number>,
): Promise<Staged> {
  const notes: string[] = [];
  // As root the broker runs as `mosquitto` (see brokerCommand), so its folder must be reachable by that user.
  const ownDir = join(workDir, 'broker');
  let hostDir = ownDir;
  let tempDir: string | undefined;
  let owned: OwnedDir | undefined;
  if (ids && !traversableBy(hostDir, ids.uid, ids.gid)) {
    // An owned temp folder (rig/process): swept by the next rig if this one is killed before it removes it.
    owned = ownedTempDir('rig-broker-');
    hostDir = tempDir = owned.dir;
    notes.push(`work dir is not reachable by the mosquitto user: broker files staged in ${hostDir} (removed at stop)`);
  }
  mkdirSync(hostDir, { recursive: true });
  const need = confNeeds(spec);
  const files = await stageBrokerFiles({
    pki,
    users: spec.users,
    acl: spec.acl,
    hostDir,
    targetDir: hostDir,
    wantPasswd: need.passwd,
    wantAcl: need.acl,
    wantKey: keyWanted(spec),
    crls: crlsWanted(spec),
  });
  const ports: Record<number, number> = {};
  for (const p of logicalPorts(spec)) ports[p] = keepPorts?.[p] ?? (await freePort());
  const rendered = renderConf(spec, files, ports, opts.vars);
  const confFile = join(hostDir, 'mosquitto.conf');
  writeFileSync(confFile, rendered.text, { mode: 0o600 });
  if (ids) chownTree(hostDir, ids.uid, ids.gid);
  // The work dir always keeps a copy of the conf for reports, wherever the broker reads it from.
  const reportConf = join(ownDir, 'mosquitto.conf');
  if (tempDir) {
    mkdirSync(ownDir, { recursive: true });
    writeFileSync(reportConf, rendered.text, { mode: 0o600 });
  }
  const removeTemp = async (): Promise<void> => owned?.removeAsync();
  return { hostDir, confFile, reportConf, ports, notes: [...notes, ...files.notes, ...rendered.notes], removeTemp };
}

/** A post's broker: plenty of room for Mosquitto, none for a flood of processes or files. */
const BROKER_LIMITS = { processes: 256, memoryMb: 2048, cpuSeconds: 3600, fileMb: 256, openFiles: 1024 };

/**
 * A broker whose conf comes from a post (a stranger's file): Mosquitto in the rig's sandbox, as the mosquitto
 * user (or uid 65534), seeing /usr, a few /etc files and its own folder only; on the machine's network, since
 * boards and the observer reach its listeners. bwrap --die-with-parent ends it with the rig.
 */
function sandboxedBroker(
  bin: string,
  staged: Staged,
  ids: { uid: number; gid: number } | undefined,
): { command: string; args: string[]; note?: string } {
  const { command, args } = sandboxCommand({
    argv: [bin, '-c', staged.confFile],
    writable: [staged.hostDir],
    cwd: staged.hostDir,
    network: 'host',
    limits: BROKER_LIMITS,
    ...(ids ? { user: ids } : {}),
  });
  return { command, args, note: 'the conf comes from a post: Mosquitto runs in the sandbox (rig/sandbox)' };
}

/**
 * Die with the rig even if it is SIGKILLed: PR_SET_PDEATHSIG via setpriv. The kernel clears that flag when a
 * process changes uid, which mosquitto does when started as root, so as root setpriv itself switches to
 * `mosquitto` first and mosquitto, no longer root, keeps the flag.
 */
function brokerCommand(
  bin: string,
  confFile: string,
  ids: { uid: number; gid: number } | undefined,
): { command: string; args: string[]; note?: string } {
  if (!existsSync(SETPRIV))
    return {
      command: bin,
      args: ['-c', confFile],
      note: "setpriv (util-linux) missing: the broker is only killed by the rig's exit handlers, not if the rig is SIGKILLed",
    };
  const asUser = ids ? [`--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--init-groups'] : [];
  return { command: SETPRIV, args: [...asUser, '--pdeathsig=SIGTERM', '--', bin, '-c', confFile] };
}

function startError(e: unknown, logTail: string[], readyTimeoutMs: number, reportConf: string): Error {
  if (!(e instanceof ProcessStartError)) return e as Error;
  const code = exitCode(e.exit);
  const why =
    e.reason !== 'timeout'
      ? `mosquitto exited (code ${code}) before it was running`
      : `mosquitto did not report "running" within ${readyTimeoutMs} ms`;
  return new BrokerStartError(why, logTail, code, reportConf);
}

/** How a report shows a broker's exit: its code, -1 when a signal ended it or it never started. */
function exitCode(x: ProcessExit | undefined): number | null {
  if (!x) return null;
  if (x.error) return -1;
  return x.code ?? (x.signal ? -1 : null);
}
