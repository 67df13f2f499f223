// Provider `local`: Debian's /usr/sbin/mosquitto as a child process on free ports.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrokerSpec } from '../scenario/schema.ts';
import { confNeeds, keyWanted, logicalPorts, renderConf } from './conf.ts';
import { chownTree, mosquittoIds, stageBrokerFiles, traversableBy } from './files.ts';
import { LogCapture } from './log-capture.ts';
import { versionFromLine } from './log.ts';
import { register } from './registry.ts';
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
  const child = spawn(cmd, args, { cwd: hostDir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.setEncoding('utf8').on('data', (c: string) => log.push(c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => log.push(c));
  const exited = new Promise<number | null>((res) => {
    // 'close' (not 'exit'): fires after the pipes are drained, so the log tail is complete.
    child.on('close', (code, signal) => res(code ?? (signal ? -1 : null)));
    child.on('error', () => res(-1));
  });
  const unregister = register({
    stop: () => stop(),
    killSync: () => {
      child.kill('SIGKILL');
    },
  });

  let readyLine: string;
  try {
    readyLine = await Promise.race([
      log.waitForLog(READY, opts.readyTimeoutMs ?? 10_000),
      exited.then((code) => {
        throw new Error(`exit ${code}`);
      }),
    ]);
  } catch (e) {
    child.kill('SIGKILL');
    const code = await exited;
    log.end();
    unregister();
    await log.close();
    removeTemp();
    const why =
      e instanceof Error && e.message.startsWith('exit')
        ? `mosquitto exited (code ${code}) before it was running`
        : `mosquitto did not report "running" within ${opts.readyTimeoutMs ?? 10_000} ms`;
    throw new BrokerStartError(why, log.tail(12), code, reportConf);
  }
  const readyMs = Date.now() - t0;

  let stopping: Promise<void> | undefined;
  async function stop(): Promise<void> {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        // mosquitto 2.0.11 sometimes does not act on one SIGTERM (measured: ~1 stop in 4 right after start
        // ran into the SIGKILL at 2 s); repeating SIGTERM every 200 ms ends it cleanly.
        child.kill('SIGTERM');
        const again = setInterval(() => child.kill('SIGTERM'), 200);
        const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
        await exited;
        clearInterval(again);
        clearTimeout(timer);
      }
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
    version: versionFromLine(readyLine) ?? 'unknown',
    logLines: () => log.logLines(),
    events: () => log.events(),
    waitForLog: (re, ms) => log.waitForLog(re, ms),
    onLine: (cb) => log.onLine(cb),
    logFile,
    confFile: reportConf,
    stop,
    alive: async () => child.exitCode === null && child.signalCode === null,
    confNotes,
    readyMs,
    pid: child.pid,
  };
}
