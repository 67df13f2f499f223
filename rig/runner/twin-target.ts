// Runs one cell on a twin: build (cached), start paused, open its pty with serialport, let it go, watch the
// serial lines until the board's outcome is decided, then stop it.
import { readFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { buildTwin, startTwin, type TwinProcess } from '../twin/index.ts';
import { SerialCapture } from '../serial/capture.ts';
import { OutcomeClassifier } from '../outcome/classify.ts';
import { secretsHeader } from '../target/secrets.ts';
import { twinHosts } from '../scenario/resolve.ts';
import type { Attempt, CellEnv } from './attempt.ts';
import { settle } from './settle.ts';

export async function runTwinCell(env: CellEnv): Promise<Attempt> {
  const { plan, rv, pki, broker } = env;
  const twin = plan.board.twin;
  if (!twin) return { outcome: { kind: 'none' }, serial: [], infraError: `board ${plan.board.id} has no twin`, timings: {} };
  const timings: Record<string, number> = {};
  const sketch = rv.sketchFor(plan.board.id, plan.board.probeSketch);
  if (!sketch) return { outcome: { kind: 'none' }, serial: [], infraError: 'no sketch for this board', timings };
  const sketchDir = path.resolve(path.dirname(plan.loaded.file), '..', sketch);
  const sketchPath = await dirExists(sketchDir) ? sketchDir : path.resolve(env.paths.root, sketch);

  const c = rv.client;
  const caPem = c.ca ? await readFile(pki.certs[c.ca]!.crt, 'utf8') : undefined;
  const clientCert = c.cert ? pki.certs[c.cert] : undefined;
  const eccSlotKey = plan.board.family === 'mkr1000' && clientCert?.key ? clientCert.key : undefined;
  const header = secretsHeader({
    scenario: rv.scenario.id, variant: rv.variant, board: plan.board.id,
    ssid: 'rig-twin', wifiPassword: 'rig-twin-wifi', broker: c.connect, brokerIsIp: c.byIp, port: c.port,
    clientId: c.clientId ?? `rig-${plan.board.id}-${rv.variant}`.slice(0, 23),
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    topic: c.topic, insecure: c.insecure,
    ...(caPem ? { caPem } : {}),
    ...(clientCert ? { clientCertPem: await readFile(clientCert.crt, 'utf8') } : {}),
    ...(clientCert?.key && !eccSlotKey ? { clientKeyPem: await readFile(clientCert.keyPlain ?? clientCert.key, 'utf8') } : {}),
    ...(eccSlotKey ? { eccSlot: 0 } : {}),
    extra: c.config,
  });

  const coreVersion = plan.core ?? twin.coreVersions[0]!;
  const t0 = Date.now();
  let binary: string;
  try {
    const built = await buildTwin({
      sketchDir: sketchPath, core: twin.core, secretsHeader: header, coreVersion, debugLevel: twin.debugLevel,
      cacheDir: path.join(env.paths.cache, 'twin'),
    });
    binary = built.binary;
    timings.build = built.ms;
  } catch (e) {
    const msg = (e as Error).message;
    // A sketch the twin cannot be faithful to (WINC1500 TLS offload) is a property of the sketch, not a crash.
    if (/needs hardware|cannot be emulated|hardware only/i.test(msg)) {
      return { outcome: { kind: 'build/unsupported', detail: firstLine(msg) }, serial: [], timings };
    }
    return { outcome: { kind: 'none' }, serial: [], infraError: `twin build failed: ${firstLine(msg)}`, timings };
  }
  timings.buildWall = Date.now() - t0;

  await mkdir(env.cellDir, { recursive: true });
  const factsFile = path.join(env.cellDir, 'twin-facts.txt');
  const ports: Record<string, number> = {};
  for (const [logical, real] of Object.entries(broker.ports)) ports[logical] = real;
  const epoch = c.clock.date ? Math.floor(Date.parse(c.clock.date) / 1000) : undefined;
  const world = {
    hosts: twinHosts(c, env.brokerIp), ports, ntp: c.clock.ntp, ...(epoch !== undefined ? { epoch } : {}),
    coreVersion, debugLevel: twin.debugLevel, factsFile,
    ...(eccSlotKey ? { eccSlots: { '0': clientCert!.keyPlain ?? eccSlotKey } } : {}),
  };

  const classifier = new OutcomeClassifier(plan.board.outcome);
  let proc: TwinProcess | undefined;
  let capture: SerialCapture | undefined;
  let unregister: (() => void) | undefined;
  const t1 = Date.now();
  try {
    proc = await startTwin({ binary, world, workDir: env.cellDir, sandbox: env.sandbox });
    const p = proc;
    unregister = env.cleanup.add(`twin ${plan.id}`, () => p.kill());
    capture = await SerialCapture.open({ path: proc.ptyPath, baudRate: 115200 });
    let index = 0;
    capture.onLine((line) => { classifier.feed(line, index++); });
    proc.go();
    timings.start = Date.now() - t1;
    const exit = await settle({
      decided: () => classifier.done,
      exited: proc.exited,
      timeoutMs: env.timeoutMs,
      signal: env.signal,
      expectation: plan.expectation,
      serial: () => capture!.lines(),
      messages: () => env.observer.messages,
    });
    timings.run = Date.now() - t1;
    for (const f of proc.facts()) classifier.addFact(f);
    const serial = capture.lines();
    if (exit.kind === 'exited' && !classifier.done) {
      const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
      const crashed = exit.signal !== null || (exit.code ?? 0) !== 0;
      return { outcome: { ...classifier.result(), kind: crashed ? 'crash' : 'none', detail: `twin ${how}` }, serial, timings,
        ...(crashed ? {} : { infraError: `twin exited (${how}) before an outcome` }) };
    }
    if (exit.kind === 'timeout' && !classifier.done) {
      return { outcome: { ...classifier.result(), kind: 'timeout', detail: `no outcome within ${env.timeoutMs} ms` }, serial, timings };
    }
    return { outcome: classifier.result(), serial, timings };
  } catch (e) {
    return { outcome: classifier.result(), serial: capture?.lines() ?? [], infraError: `twin: ${firstLine((e as Error).message)}`, timings };
  } finally {
    await capture?.close().catch(() => undefined);
    await proc?.kill().catch(() => undefined);
    unregister?.();
  }
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim()) ?? s;
}

async function dirExists(p: string): Promise<boolean> {
  try { await readFile(path.join(p, `${path.basename(p)}.ino`)); return true; } catch { return false; }
}
