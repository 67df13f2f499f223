// Runs one cell on a twin: build (cached), start paused, open its pty with serialport, let it go, watch the
// serial lines until the board's outcome is decided, then stop it.
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { buildTwin, profileBuildOptions, startTwin, TwinUnsupportedError, type TwinProcess } from '../twin/index.ts';
import { flashFiles } from '../target/flash-files.ts';
import { SerialCapture } from '../serial/capture.ts';
import { twinHosts } from '../scenario/resolve.ts';
import { AttemptAborted, type Attempt, type CellEnv } from './attempt.ts';
import { splitClientIdFacts } from './attribution.ts';
import { cellSecrets } from './cell-secrets.ts';
import { feed, newClassifier, watch } from './watch.ts';

export async function runTwinCell(env: CellEnv): Promise<Attempt> {
  const { plan, rv, broker } = env;
  const twin = plan.board.twin;
  const timings: Record<string, number> = {};
  if (!twin)
    return { outcome: { kind: 'none' }, serial: [], infraError: `board ${plan.board.id} has no twin`, timings };
  const sketchDir = await sketchFolder(env);
  if (!sketchDir)
    return { outcome: { kind: 'none' }, serial: [], infraError: `no sketch for ${plan.board.id}`, timings };

  // Twins keep the scenario's logical port; the world maps it to the broker's real one.
  const secrets = await cellSecrets(env, { ssid: 'rig-twin', wifiPassword: 'rig-twin-wifi', port: rv.client.port });
  env.clients.add(secrets.clientId);
  const coreVersion = plan.core ?? twin.coreVersions[0]!;
  const t0 = Date.now();
  let binary: string;
  let debugLevel: number;
  env.phase?.('compiling');
  try {
    const build = rv.buildFor(plan.board.id);
    const built = await buildTwin({
      onHostCoreBuild: () => env.phase?.('building host core'),
      ...profileBuildOptions(twin, plan.board.hardware),
      boardId: plan.board.id,
      sketchDir,
      secretsHeader: secrets.header,
      coreVersion,
      cacheDir: path.join(env.paths.cache, 'twin'),
      fqbnOptions: build.fqbnOptions,
      extraDefines: build.defines,
      libraries: rv.libraries,
      librariesDirs: librariesDirs(env),
    });
    binary = built.binary;
    debugLevel = built.debugLevel;
    timings.build = Date.now() - t0;
  } catch (e) {
    const msg = (e as Error).message;
    // What the twin cannot build (a header or API it lacks, WINC1500 TLS offload) is a property of the sketch on
    // this twin, not the rig's error: the cell is skipped with the reason.
    if (e instanceof TwinUnsupportedError) {
      return { outcome: { kind: 'build/unsupported', detail: firstLine(msg) }, serial: [], timings };
    }
    return {
      outcome: { kind: 'none' },
      serial: [],
      infraError: `twin build failed: ${msg.split('\n').slice(0, 4).join(' | ')}`,
      timings,
    };
  }

  await mkdir(env.cellDir, { recursive: true });
  const c = rv.client;
  const epoch = c.clock.date ? Math.floor(Date.parse(c.clock.date) / 1000) : undefined;
  const flash = await flashFiles(sketchDir, rv.files, env.pki, { 'broker.ip': env.brokerIp });
  flash.secrets.forEach((x) => env.secret(x));
  const boot = twin.boot;
  const world = {
    // The broker's reachable address (a container engine may publish on its bridge gateway, not loopback).
    hosts: twinHosts(c, broker.host),
    ports: Object.fromEntries(Object.entries(broker.ports).map(([k, v]) => [k, v])),
    ntp: c.clock.ntp,
    ...(epoch !== undefined ? { epoch } : {}),
    coreVersion,
    debugLevel,
    bootMs: boot.setupMs,
    wifiConnectMs: c.wifi.connectMs ?? boot.wifiConnectMs,
    localIP: c.wifi.ip ?? lanAddress(c.connect, boot.localIP),
    factsFile: path.join(env.cellDir, 'twin-facts.txt'),
    ...(secrets.eccSlotKey ? { eccSlots: { '0': secrets.eccSlotKey } } : {}),
  };

  const classifier = newClassifier(env);
  let proc: TwinProcess | undefined;
  let capture: SerialCapture | undefined;
  let unregister: (() => void) | undefined;
  const t1 = Date.now();
  try {
    proc = await startTwin({ binary, world, workDir: env.cellDir, sandbox: env.sandbox, flash: flash.files });
    const p = proc;
    unregister = env.cleanup.add(`twin ${plan.id}`, () => p.kill());
    // The id the sketch really connects with (it may hard-code its own): the twin's MQTT libraries report it.
    env.clients.watch(() => splitClientIdFacts(p.facts()).ids);
    capture = await SerialCapture.open({ path: proc.ptyPath, baudRate: 115200 });
    feed(capture, classifier);
    proc.go();
    env.phase?.('running');
    timings.start = Date.now() - t1;
    return await watch(
      env,
      capture,
      classifier,
      proc.exited,
      { lateFacts: () => splitClientIdFacts(p.facts()).rest, lastWords: () => p.stderr() },
      timings,
    );
  } catch (e) {
    if (e instanceof AttemptAborted) throw e;
    return {
      outcome: classifier.result(),
      serial: capture?.lines() ?? [],
      infraError: `twin: ${firstLine((e as Error).message)}`,
      timings,
    };
  } finally {
    await capture?.close().catch(() => undefined);
    await proc?.kill().catch(() => undefined);
    unregister?.();
  }
}

/** The sketch folder: relative to the project root, or to the scenario file's folder. */
export async function sketchFolder(env: CellEnv): Promise<string | undefined> {
  const rel = env.rv.sketchFor(env.plan.board.id, env.plan.board.probeSketch);
  if (!rel) return undefined;
  for (const base of [env.paths.root, path.dirname(env.plan.loaded.file)]) {
    const dir = path.resolve(base, rel);
    try {
      await access(path.join(dir, `${path.basename(dir)}.ino`));
      return dir;
    } catch {
      /* try the next base */
    }
  }
  return path.resolve(env.paths.root, rel);
}

/** The scenario's libraries folder (relative to its file), then `rig run --libraries`. */
function librariesDirs(env: CellEnv): string[] {
  const own = env.rv.librariesDir ? [path.resolve(path.dirname(env.plan.loaded.file), env.rv.librariesDir)] : [];
  return [...own, ...(env.librariesDirs ?? [])];
}

/**
 * The board's DHCP address: on the broker's LAN when the sketch connects to a private address there (a board on
 * 192.168.0.x talks to 192.168.0.52), else the profile's.
 */
export function lanAddress(connect: string, fallback: string): string {
  const quad = connect.split('.').map(Number);
  const dotted = /^\d{1,3}(\.\d{1,3}){3}$/.test(connect) && quad.every((n) => n <= 255);
  const [a, b] = quad as [number, number];
  const lan = dotted && (a === 10 || (a === 192 && b === 168) || (a === 172 && b >= 16 && b <= 31));
  if (!lan) return fallback;
  const host = Number(fallback.split('.')[3]);
  return `${quad[0]}.${quad[1]}.${quad[2]}.${host === quad[3] ? (host % 250) + 2 : host}`;
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim()) ?? s;
}
