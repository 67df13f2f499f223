// Provider `container`: mosquitto in a container through testcontainers 11 (12.1+ needs Node 22).
// The conf and files are the same as for `local`, rendered for paths under /mosquitto/.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { mkdirSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { StartedTestContainer } from 'testcontainers';
import type { BrokerSpec } from '../scenario/schema.ts';
import { confNeeds, crlsWanted, keyWanted, renderConf } from './conf.ts';
import { logicalPorts } from '../scenario/ports.ts';
import { stageBrokerFiles } from './files.ts';
import { LogCapture } from './log-capture.ts';
import { versionFromLine } from './log.ts';
import { register } from './registry.ts';
import { onExit } from '../process/index.ts';
import { BrokerStartError, type BrokerControl, type BrokerHandle, type BrokerPki } from './types.ts';

export const DEFAULT_IMAGE = 'eclipse-mosquitto:2';
const TARGET = '/mosquitto';
const CONF_TARGET = '/mosquitto/config/mosquitto.conf';
const READY = /mosquitto version [\d.]+ running/;

export interface ContainerOptions {
  workDir: string;
  image?: string;
  vars?: Record<string, string>;
  readyTimeoutMs?: number;
}

// The reaper (Ryuk) image cannot be pulled without a registry; the rig stops its containers itself.
function disableRyuk(): void {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
}

/**
 * testcontainers answers the bridge gateway (e.g. 172.17.0.1) whenever /.dockerenv exists, since a rig in a
 * container usually reaches a sibling engine that way. When that gateway is one of this machine's own
 * addresses, the engine runs here and publishes on every local address, loopback included: use 127.0.0.1,
 * as the local provider does.
 */
export function reachableHost(host: string, own: string[] = ownAddresses()): string {
  return host === 'localhost' || own.includes(host) ? '127.0.0.1' : host;
}

function ownAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address));
}

/** Whether a container runtime answers and has `image` locally (no registry is assumed reachable). */
export async function containerRuntimeStatus(image: string): Promise<{ ok: true } | { ok: false; reason: string }> {
  disableRyuk();
  const tc = await import('testcontainers');
  let client;
  try {
    client = await tc.getContainerRuntimeClient();
  } catch (e) {
    return { ok: false, reason: `no container runtime: ${e instanceof Error ? e.message : String(e)}` };
  }
  try {
    if (!(await client.image.exists(tc.ImageName.fromString(image))))
      return { ok: false, reason: `image ${image} is not present locally` };
  } catch (e) {
    return { ok: false, reason: `cannot inspect image ${image}: ${e instanceof Error ? e.message : String(e)}` };
  }
  return { ok: true };
}

async function labelledLogs(token: string): Promise<string[]> {
  const ps = await execa('docker', ['ps', '-a', '-q', '--filter', `label=org.the-rig.broker=${token}`], {
    reject: false,
  });
  const id = ps.stdout
    .split('\n')
    .map((l) => l.trim())
    .find(Boolean);
  if (!id) return [];
  const logs = await execa('docker', ['logs', id], { reject: false, all: true });
  return String(logs.all ?? '')
    .split('\n')
    .filter((l) => l.trim());
}

async function removeLabelled(token: string): Promise<void> {
  // testcontainers' container.list() sees running containers only; a failed start has exited.
  const ps = await execa('docker', ['ps', '-a', '-q', '--filter', `label=org.the-rig.broker=${token}`], {
    reject: false,
  });
  const ids = ps.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (ids.length > 0) await execa('docker', ['rm', '-f', '-v', ...ids], { reject: false });
}

export async function startContainerBroker(
  spec: BrokerSpec,
  pki: BrokerPki,
  opts: ContainerOptions,
): Promise<BrokerHandle> {
  disableRyuk();
  const workDir = resolve(opts.workDir);
  const image = opts.image ?? spec.image ?? DEFAULT_IMAGE;
  const logFile = join(workDir, 'broker.log');
  const t0 = Date.now();
  const log = new LogCapture(logFile, t0);
  let current = await launch(spec, pki, { ...opts, image, workDir }, log);
  const readyMs = Date.now() - t0;
  const readyLine = await log.waitForLog(READY, 2_000).catch(() => '');
  const ports = current.ports;
  let removed: Promise<void> | undefined;
  // When testcontainers gives up on the stop (an engine busy past its timeout), the container is removed by id, as
  // the exit hook would: a rejected stop used to leave it running once the hook was gone.
  const removeCurrent = (): Promise<void> =>
    (removed ??= current.started.stop({ timeout: 2_000, remove: true, removeVolumes: true }).then(
      () => undefined,
      async () => void (await execa('docker', ['rm', '-f', '-v', current.started.getId()], { reject: false })),
    ));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      try {
        await removeCurrent();
      } finally {
        unregister();
        offExit();
        await log.close();
      }
    })();
    return stopping;
  };
  const unregister = register({ stop });
  // The rig exiting (or a signal ending it) removes the container synchronously.
  const offExit = onExit(() =>
    execFileSync('docker', ['rm', '-f', current.started.getId()], { stdio: 'ignore', timeout: 10_000 }),
  );
  const control: BrokerControl = {
    spec: () => current.spec,
    down: () => removeCurrent(),
    // A fresh container on the host ports the boards already use (a restarted one could be given new ones).
    up: async (next) => {
      current = await launch(next ?? current.spec, pki, { ...opts, image, workDir, hostPorts: ports }, log);
      removed = undefined;
    },
    pause: async () => void (await execa('docker', ['pause', current.started.getId()])),
    resume: async () => void (await execa('docker', ['unpause', current.started.getId()])),
    id: () => current.started.getId(),
  };
  return {
    provider: 'container',
    // Same address as the local provider: clients that check the broker's name (mosquitto_pub has no
    // --servername) must see the same name whichever provider ran.
    host: reachableHost(current.started.getHost()),
    ports,
    version: versionFromLine(readyLine) ?? 'unknown',
    logLines: () => log.logLines(),
    events: () => log.events(),
    waitForLog: (re, ms) => log.waitForLog(re, ms),
    onLine: (cb) => log.onLine(cb),
    logFile,
    confFile: current.confFile,
    stop,
    alive: async () => {
      const r = await execa('docker', ['inspect', '-f', '{{.State.Running}}', current.started.getId()], {
        reject: false,
      });
      return r.exitCode === 0 && r.stdout.trim() === 'true';
    },
    confNotes: current.confNotes,
    readyMs,
    image,
    get containerId() {
      return current.started.getId();
    },
    control,
  };
}

interface Launched {
  spec: BrokerSpec;
  started: StartedTestContainer;
  ports: Record<number, number>;
  confFile: string;
  confNotes: string[];
}

/** One container for `spec`, its output into `log`; on the given host ports when restarted. */
async function launch(
  spec: BrokerSpec,
  pki: BrokerPki,
  opts: ContainerOptions & { image: string; workDir: string; hostPorts?: Record<number, number> },
  log: LogCapture,
): Promise<Launched> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const hostDir = join(opts.workDir, 'broker');
  mkdirSync(hostDir, { recursive: true });
  const need = confNeeds(spec);
  const files = await stageBrokerFiles({
    pki,
    users: spec.users,
    acl: spec.acl,
    hostDir,
    targetDir: TARGET,
    wantPasswd: need.passwd,
    wantAcl: need.acl,
    wantKey: keyWanted(spec),
    crls: crlsWanted(spec),
  });
  // Inside the container each listener keeps its logical port; Docker maps it to a free host port.
  const logical = logicalPorts(spec);
  const identity: Record<number, number> = Object.fromEntries(logical.map((p) => [p, p]));
  const rendered = renderConf(spec, files, identity, opts.vars);
  const confFile = join(hostDir, 'mosquitto.conf');
  writeFileSync(confFile, rendered.text, { mode: 0o600 });
  // A label finds the container again when start() fails: testcontainers leaves a failed one behind.
  const token = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const consume = (s: Readable) => {
    s.on('data', (c: Buffer | string) => log.push(typeof c === 'string' ? c : c.toString('utf8')));
    s.on('err', (c: Buffer | string) => log.push(typeof c === 'string' ? c : c.toString('utf8')));
  };
  const exposed = logical.map((p) => (opts.hostPorts?.[p] ? { container: p, host: opts.hostPorts[p] } : p));
  // 0644 on everything, keys included: the eclipse image's entrypoint chowns /mosquitto, a Debian-made
  // image has no such entrypoint and mosquitto (dropped to its own user) must still read them.
  const container = new GenericContainer(opts.image)
    .withCopyFilesToContainer(
      files.files.map((rel) => ({ source: join(hostDir, rel), target: `${TARGET}/${rel}`, mode: 0o644 })),
    )
    .withCopyContentToContainer([{ content: rendered.text, target: CONF_TARGET, mode: 0o644 }])
    .withExposedPorts(...exposed)
    .withWaitStrategy(Wait.forLogMessage(READY))
    .withStartupTimeout(opts.readyTimeoutMs ?? 30_000)
    .withLogConsumer(consume)
    .withLabels({ 'org.the-rig.broker': token });
  try {
    const started = await container.start();
    const ports: Record<number, number> = Object.fromEntries(logical.map((p) => [p, started.getMappedPort(p)]));
    return { spec, started, ports, confFile, confNotes: [...files.notes, ...rendered.notes] };
  } catch (e) {
    // testcontainers may give up (e.g. waiting for ports of a container that already exited) before its log
    // consumer saw anything: read the failed container's own log before removing it.
    if (log.tail(1).length === 0) for (const line of await labelledLogs(token)) log.push(`${line}\n`);
    await removeLabelled(token);
    if (!opts.hostPorts) {
      log.end();
      await log.close();
    }
    throw new BrokerStartError(
      `container ${opts.image} did not start: ${e instanceof Error ? e.message : String(e)}`,
      log.tail(12),
      null,
      confFile,
    );
  }
}
