// Runs one cell on a twin: build (cached), start paused, open its pty with serialport, let it go, watch the
// serial lines until the board's outcome is decided, then stop it.
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { buildTwin, profileBuildOptions, startTwin, TwinMissingApiError, type TwinProcess } from '../twin/index.ts';
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
  env.phase?.('compiling');
  try {
    const built = await buildTwin({
      onHostCoreBuild: () => env.phase?.('building host core'),
      ...profileBuildOptions(twin),
      sketchDir,
      secretsHeader: secrets.header,
      coreVersion,
      cacheDir: path.join(env.paths.cache, 'twin'),
    });
    binary = built.binary;
    timings.build = Date.now() - t0;
  } catch (e) {
    const msg = (e as Error).message;
    // The sketch calls what the pinned release lacks (setInsecure() on esp32@1.0.4): it fails there on a board too.
    if (e instanceof TwinMissingApiError)
      return {
        outcome: { kind: 'build/failed', code: `build:missing_${e.api}`, detail: firstLine(msg) },
        serial: [],
        timings,
      };
    // A sketch the twin cannot be faithful to (WINC1500 TLS offload) is a property of the sketch, not an error.
    if (/needs hardware|cannot be emulated|hardware only/i.test(msg)) {
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
  const world = {
    // The broker's reachable address (a container engine may publish on its bridge gateway, not loopback).
    hosts: twinHosts(c, broker.host),
    ports: Object.fromEntries(Object.entries(broker.ports).map(([k, v]) => [k, v])),
    ntp: c.clock.ntp,
    ...(epoch !== undefined ? { epoch } : {}),
    coreVersion,
    debugLevel: twin.debugLevel,
    factsFile: path.join(env.cellDir, 'twin-facts.txt'),
    ...(secrets.eccSlotKey ? { eccSlots: { '0': secrets.eccSlotKey } } : {}),
  };

  const classifier = newClassifier(env);
  let proc: TwinProcess | undefined;
  let capture: SerialCapture | undefined;
  let unregister: (() => void) | undefined;
  const t1 = Date.now();
  try {
    proc = await startTwin({ binary, world, workDir: env.cellDir, sandbox: env.sandbox });
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

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim()) ?? s;
}
