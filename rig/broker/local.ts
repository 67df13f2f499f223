// Provider `local`: Debian's /usr/sbin/mosquitto as a child process on free ports.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrokerSpec } from '../scenario/schema.ts';
import { confNeeds, keyWanted, renderConf } from './conf.ts';
import { logicalPorts } from '../scenario/ports.ts';
import { chownTree, mosquittoIds, stageBrokerFiles, traversableBy } from './files.ts';
import { LogCapture } from './log-capture.ts';
import { versionFromLine } from './log.ts';
import { register } from './registry.ts';
import { ProcessStartError, startManaged, type ManagedProcess, type ProcessExit } from '../process/index.ts';
import { BrokerStartError, type BrokerHandle, type BrokerPki } from './types.ts';

export const MOSQUITTO_BIN = '/usr/sbin/mosquitto';
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
  const bin = opts.bin ?? MOSQUITTO_BIN;
  if (!existsSync(bin))
    throw new BrokerStartError(`mosquitto not found at ${bin} (apt-get install mosquitto)`, [], null, '');
  const isRoot = process.getuid?.() === 0;
  const ids = isRoot ? await mosquittoIds() : undefined;
  const notes: string[] = [];

  // As root the broker runs as `mosquitto` (see spawn below), so its folder must be reachable by that user.
  const ownDir = join(workDir, 'broker');
  let hostDir = ownDir;
  let tempDir: string | undefined;
  if (ids && !traversableBy(hostDir, ids.uid, ids.gid)) {
    hostDir = tempDir = mkdtempSync(join(tmpdir(), 'rig-broker-'));
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
  });
  const ports: Record<number, number> = {};
  for (const p of logicalPorts(spec)) ports[p] = await freePort();
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
  const removeTemp = () => {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };
  const confNotes = [...notes, ...files.notes, ...rendered.notes];

  // Die with the rig even if it is SIGKILLed: PR_SET_PDEATHSIG via setpriv. The kernel clears that flag
  // when a process changes uid, which mosquitto does when started as root, so as root setpriv itself
  // switches to `mosquitto` first and mosquitto, no longer root, keeps the flag.
  const mosq = [bin, '-c', confFile];
  let cmd = bin;
  let args = mosq.slice(1);
  if (existsSync(SETPRIV)) {
    cmd = SETPRIV;
    args = [
      ...(ids ? [`--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--init-groups'] : []),
      '--pdeathsig=SIGTERM',
      '--',
      ...mosq,
    ];
  } else {
    confNotes.push(
      "setpriv (util-linux) missing: the broker is only killed by the rig's exit handlers, not if the rig is SIGKILLed",
    );
  }

  const logFile = join(workDir, 'broker.log');
  const t0 = Date.now();
  const log = new LogCapture(logFile, t0);
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10_000;
  let proc: ManagedProcess;
  try {
    proc = await startManaged({
      command: cmd,
      args,
      cwd: hostDir,
      ready: { line: READY, timeoutMs: readyTimeoutMs },
      // mosquitto 2.0.11 sometimes does not act on one SIGTERM (measured: ~1 stop in 4 right after start
      // ran into the SIGKILL at 2 s); repeating SIGTERM every 200 ms ends it cleanly.
      stop: { repeatTermMs: 200, killAfterMs: 2_000 },
      onOutput: (text) => log.push(text),
    });
  } catch (e) {
    log.end();
    await log.close();
    removeTemp();
    const exit = e instanceof ProcessStartError ? e.exit : undefined;
    const code = exitCode(exit);
    const why =
      e instanceof ProcessStartError && e.reason !== 'timeout'
        ? `mosquitto exited (code ${code}) before it was running`
        : `mosquitto did not report "running" within ${readyTimeoutMs} ms`;
    throw new BrokerStartError(why, log.tail(12), code, reportConf);
  }
  const readyMs = Date.now() - t0;
  const p = proc;
  const unregister = register({ stop: () => stop() });

  let stopping: Promise<void> | undefined;
  function stop(): Promise<void> {
    stopping ??= (async () => {
      await p.stop();
      unregister();
      await log.close();
      removeTemp();
    })();
    return stopping;
  }

  return {
    provider: 'local',
    host: '127.0.0.1',
    ports,
    version: versionFromLine(p.readyLine) ?? 'unknown',
    logLines: () => log.logLines(),
    events: () => log.events(),
    waitForLog: (re, ms) => log.waitForLog(re, ms),
    onLine: (cb) => log.onLine(cb),
    logFile,
    confFile: reportConf,
    stop,
    alive: async () => p.running(),
    confNotes,
    readyMs,
    pid: p.pid,
  };
}

/** How a report shows a broker's exit: its code, -1 when a signal ended it or it never started. */
function exitCode(x: ProcessExit | undefined): number | null {
  if (!x) return null;
  if (x.error) return -1;
  return x.code ?? (x.signal ? -1 : null);
}
