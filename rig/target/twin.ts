// The twin driver: the sketch built natively against the host core (cached by content hash), started paused
// on a pty that serialport opens before setup() runs, in a world where the scenario's names resolve to the
// broker and its ports map to the broker's real ones.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { TargetError } from '../errors.ts';
import { twinCacheDir } from '../project.ts';
import { twinHosts } from '../scenario/resolve.ts';
import { mergeTlsBuild, tlsWorld } from '../scenario/tls-build.ts';
import { profileBuildOptions } from '../twin/board-build.ts';
import {
  bootTwin,
  buildTwin,
  TwinBuildError,
  TwinMissingApiError,
  type BootedTwin,
  type TwinWorld,
} from '../twin/index.ts';
import { cellSecrets } from './cell-secrets.ts';
import type { BurstEnds, ClockMove, PreparedTarget, RunningTarget, TargetCell, TargetDriver } from './driver.ts';
import { flashFiles } from './flash-files.ts';
import { cellModule, MODULE_ROOTS_FILE, usesModuleTls } from './module.ts';
import { sketchFolder } from './sketch.ts';
import { isBurstFact, twinBursts } from './twin-bursts.ts';
import { writeFileNoFollow } from '../sandbox/index.ts';

/** Twins run on this host: the broker is on loopback. */
const TWIN_BROKER_IP = '127.0.0.1';

export function twinDriver(): TargetDriver {
  return { name: 'twin', brokerIp: TWIN_BROKER_IP, reportsClientIds: true, prepare: prepareTwin };
}

async function prepareTwin(cell: TargetCell): Promise<PreparedTarget> {
  const twin = cell.board.twin;
  if (!twin) throw new TargetError('not-configured', `board ${cell.board.id} has no twin`);
  const sketchDir = await sketchFolder(cell);
  // Twins keep the scenario's logical port; the world maps it to the broker's real one.
  const secrets = await cellSecrets(cell, {
    ssid: 'rig-twin',
    wifiPassword: 'rig-twin-wifi',
    port: cell.rv.client.port,
  });
  const coreVersion = cell.core ?? twin.coreVersions[0]!;
  const t0 = Date.now();
  cell.phase?.('compiling');
  const build = cell.rv.buildFor(cell.board.id);
  const built = await buildTwin({
    ...profileBuildOptions(twin, cell.board.hardware),
    onHostCoreBuild: () => cell.phase?.('building host core'),
    boardId: cell.board.id,
    sketchDir,
    secretsHeader: secrets.header,
    coreVersion,
    cacheDir: twinCacheDir(cell.paths),
    fqbnOptions: build.fqbnOptions,
    extraDefines: build.defines,
    ...(build.dataModel ? { dataModel: build.dataModel } : {}),
    libraries: cell.rv.libraries,
    librariesDirs: librariesDirs(cell),
  }).catch((e: unknown) => {
    throw buildError(e);
  });
  const timings = { build: Date.now() - t0 };
  await mkdir(cell.cellDir, { recursive: true });
  const flash = await flashFiles(sketchDir, cell.rv.files, cell.pki, { 'broker.ip': TWIN_BROKER_IP });
  flash.secrets.forEach((x) => cell.secret(x));
  const module = await cellModule(cell.paths.twinCore, twin.module, cell.rv.module, cell.pki);
  if (module?.rootsPem) flash.files[MODULE_ROOTS_FILE] = module.rootsPem;
  const world = {
    ...twinWorld(cell, coreVersion, built.debugLevel, secrets.eccSlotKey),
    ...(module ? { module: module.world } : {}),
  };
  const tls = tlsWorld(mergeTlsBuild([twin.tls, build.tls]));
  if (Object.keys(tls).length > 0) world.tls = tls;
  return {
    timings,
    clientIds: [secrets.clientId],
    ...(module && (await usesModuleTls(sketchDir)) ? { modelled: module.label, notes: module.notes } : {}),
    start: () => startTwinCell(cell, built.binary, { world, flash: flash.files }, timings),
  };
}

/** A clock step as a line of the twin's control channel (boards/twin/core/host/control.cpp). */
export function controlLine(move: ClockMove): string {
  if ('advanceMs' in move) return `advance ${move.advanceMs}`;
  if ('millis' in move) return `millis ${move.millis}`;
  return `calendar ${move.calendar}`;
}

/** The scenario's libraries folder (relative to its file), then `rig run --libraries`. */
function librariesDirs(cell: TargetCell): string[] {
  const own = cell.rv.librariesDir ? [path.resolve(path.dirname(cell.scenarioFile), cell.rv.librariesDir)] : [];
  return [...own, ...(cell.librariesDirs ?? [])];
}

/**
 * What the twin cannot build (a header or API it lacks, a library that is not portable, WINC1500 TLS offload) is a
 * property of the sketch on this twin, not the rig's error.
 */
function buildError(e: unknown): TargetError {
  const msg = (e as Error).message;
  if (e instanceof TwinBuildError && e.kind === 'unsupported') return new TargetError('unsupported', msg, { cause: e });
  // The sketch calls what the pinned release lacks (setInsecure() on esp32@1.0.4): it fails there on a board too.
  if (e instanceof TwinMissingApiError) return new TargetError('missing-api', msg, { toolMessage: e.api, cause: e });
  // The sketch's own compile or link error: as on a board (rig/hardware/build.ts CompileError), a retry cannot help,
  // and every diagnostic the compiler gave (at most firstErrors' count) stays in the report.
  if (e instanceof TwinBuildError && (e.kind === 'compile' || e.kind === 'link'))
    return new TargetError('compile-failed', `twin build failed: ${msg.split('\n').join(' | ')}`, { cause: e });
  return new TargetError('build', `twin build failed: ${msg.split('\n').slice(0, 4).join(' | ')}`, { cause: e });
}

function twinWorld(
  cell: TargetCell,
  coreVersion: string,
  debugLevel: number,
  eccSlotKey: string | undefined,
): TwinWorld {
  const c = cell.rv.client;
  const epoch = c.clock.date ? Math.floor(Date.parse(c.clock.date) / 1000) : undefined;
  const boot = cell.board.twin!.boot;
  return {
    // The broker's reachable address (a container engine may publish on its bridge gateway, not loopback).
    hosts: twinHosts(c, cell.broker.host),
    ports: { ...cell.broker.ports },
    ntp: c.clock.ntp,
    ...(epoch !== undefined ? { epoch } : {}),
    coreVersion,
    // The build's level: a DebugLevel menu option can change the profile's.
    debugLevel,
    bootMs: boot.setupMs,
    wifiConnectMs: c.wifi.connectMs ?? boot.wifiConnectMs,
    ...(c.clock.realTime || cell.realTime ? { realTime: true } : {}),
    // The runner's settle loop answers the twin's burst ends (rig/target/twin-bursts.ts).
    ...(!c.clock.realTime && !cell.realTime && cell.answersBursts ? { answersBursts: true } : {}),
    localIP: c.wifi.ip ?? lanAddress(c.connect, boot.localIP),
    ...(eccSlotKey ? { eccSlots: { '0': eccSlotKey } } : {}),
  };
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

async function startTwinCell(
  cell: TargetCell,
  binary: string,
  run: { world: TwinWorld; flash: Record<string, Buffer> },
  timings: Record<string, number>,
): Promise<RunningTarget> {
  const { world } = run;
  const network = brokerOnly(world, cell.broker)
    ? { host: cell.broker.host, ports: Object.values(world.ports ?? {}) }
    : undefined;
  const booted = await bootTwin({
    binary,
    world,
    flash: run.flash,
    workDir: cell.cellDir,
    sandbox: cell.sandbox,
    ...(network ? { network } : {}),
  }).catch((e: unknown) => {
    throw new TargetError('start', `twin: ${firstLine((e as Error).message)}`, { cause: e });
  });
  timings.start = booted.timings.start;
  cell.phase?.('running');
  const p = booted.process;
  return {
    label: `twin ${cell.id}`,
    lines: booted.serial,
    ended: p.exited,
    // The id the sketch really connects with (it may hard-code its own): the twin's MQTT libraries report it.
    facts: () => splitClientIdFacts(p.facts()).rest.filter((f) => !f.startsWith('control-') && !isBurstFact(f)),
    clientIds: () => splitClientIdFacts(p.facts()).ids,
    lastWords: () => p.stderr(),
    ...(world.answersBursts ? { bursts: burstsOf(booted) } : {}),
    levers: {
      writeSerial: (text) => booted.serial.write(`${text}\n`),
      clock: (move) => p.control(controlLine(move)),
    },
    stop: async () => {
      await booted.stop();
      // The twin wrote its facts in its own folder; the cell's copy is written by the rig, never through a link.
      await writeFileNoFollow(
        path.join(cell.cellDir, 'twin-facts.txt'),
        p
          .facts()
          .map((f) => `${f}\n`)
          .join(''),
      );
    },
  };
}

/** The twin's burst ends, read from its facts against the serial lines the rig has read. */
function burstsOf(booted: BootedTwin): BurstEnds {
  const p = booted.process;
  return twinBursts({
    facts: () => p.facts(),
    received: () => booted.serial.lines().length + booted.serial.dropped(),
    post: (line) => p.post(line),
    watch: (cb) => {
      const offs = [p.onFacts(cb), booted.serial.onLine(cb)];
      return () => offs.forEach((off) => off());
    },
  });
}

/**
 * Whether everything the sketch can reach is the broker on this machine: then a sandboxed twin gets a network
 * namespace of its own with only the broker's ports relayed into it. A scenario that sends the board to another
 * address (a refused port, an unreachable host) keeps the machine's network, so the board sees what it would.
 */
function brokerOnly(world: TwinWorld, broker: { host: string }): boolean {
  return broker.host === '127.0.0.1' && Object.values(world.hosts ?? {}).every((a) => a === broker.host);
}

/** The client ids a twin reported (facts "mqtt-client-id:<id>"), and the other facts. */
function splitClientIdFacts(facts: string[]): { ids: string[]; rest: string[] } {
  const ids: string[] = [];
  const rest: string[] = [];
  for (const f of facts) {
    const m = /^mqtt-client-id:(.*)$/.exec(f);
    if (m) ids.push(m[1]!);
    else rest.push(f);
  }
  return { ids, rest };
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim()) ?? s;
}
