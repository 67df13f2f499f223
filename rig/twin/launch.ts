// Starts a twin binary: world file, paused start on a pseudo-terminal, sandbox, clean shutdown.
// Protocol with boards/twin/core/main.cpp: stdout "PTY <path>", stdin "go\n" starts setup(), stdin EOF ends it.
//
// Everything the twin touches lives in an owned temp folder (rig/process/tempdir.ts, swept after any death):
//   world.json   the world, as the twin sees it (read-only for it)
//   out/         the only folder it may write: its facts file; the rig reads it without following links
//   secrets/     private copies of its ECC508 slot keys (MKR1000), never anyone else's
//   flash/       its flash file system (SPIFFS/LittleFS), one file per flash path (read-only for it)
//   net/         the outside end of the network relay, when it has a network namespace of its own
// Under the sandbox (rig/sandbox) it sees these at /rig/…, its binary at /rig/bin/, /usr, and nothing else of the
// machine; its serial port is checked to be the pty it created itself (rig/sandbox/pty.ts).
import {
  chmodSync,
  chownSync,
  copyFileSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { parseTwinWorld, type TwinWorld } from './world.ts';
import { projectPaths } from '../project.ts';
import { ownedTempDir, ProcessStartError, startManaged, type OwnedDir } from '../process/index.ts';
import {
  NOBODY,
  openOwnedPty,
  readFileNoFollowSync,
  relayBinary,
  relayPorts,
  rigIsRoot,
  sandboxCommand,
  sandboxSupport,
  writeFileNoFollowSync,
  type PortRelay,
} from '../sandbox/index.ts';

export interface StartTwinOptions {
  binary: string;
  world: TwinWorld;
  /** The cell's folder: the rig writes world.json there for the record; the twin never writes it. */
  workDir: string;
  /** Run under bubblewrap when available (falls back with a warning). Default false. */
  sandbox?: boolean;
  /**
   * The broker a sandboxed twin may reach: with it (and network namespaces available) the twin gets its own
   * network namespace in which only these ports of 127.0.0.1 lead anywhere (to host:port). Without it the twin
   * shares the machine's network.
   */
  network?: { host: string; ports: number[] };
  /** How long to wait for the "PTY" line. */
  startTimeoutMs?: number;
  /** Warning sink (default console.warn). */
  warn?: (msg: string) => void;
  /**
   * The board's flash file system (SPIFFS/LittleFS): path ("/ca.crt") → bytes. Written to flash/ in the twin's
   * owned folder (it may hold a private key, never in the run folder), read-only for the twin, removed with it.
   */
  flash?: Record<string, Buffer>;
}

export interface TwinExit {
  code: number | null;
  signal: string | null;
}

export interface TwinProcess {
  pid: number;
  /** The checked pty (/proc/self/fd/N of the rig's descriptor): what serialport opens. */
  ptyPath: string;
  /** The path the twin reported (inside its sandbox when sandboxed). */
  reportedPty: string;
  /** Closes the rig's checked descriptor once the port is open. */
  releasePty(): void;
  /** True when the process runs under bwrap. */
  sandboxed: boolean;
  /** True when it runs in a network namespace of its own that reaches only the broker. */
  isolatedNetwork: boolean;
  worldFile: string;
  factsFile: string;
  /** Starts the board (setup()); call after the serial port is open. */
  go(): void;
  /**
   * Sends a control line after go() (boards/twin/core/host/control.cpp: "advance <ms>", "millis <value>",
   * "calendar <epoch>") and resolves when the twin acknowledged it as a fact; rejects on "control-bad" or no answer
   * within 5 s.
   */
  control(line: string): Promise<void>;
  /** Sends a control line without waiting for its acknowledgement ("resume <n>": rig/target/twin-bursts.ts). */
  post(line: string): void;
  exited: Promise<TwinExit>;
  /** Ends the board: stdin EOF, then SIGTERM, then SIGKILL. Resolves when it has exited. */
  kill(): Promise<void>;
  /** Facts written so far (twin::fact), one per entry. */
  facts(): string[];
  /** Calls back when the twin writes facts (inotify on its facts file); returns the unsubscribe. */
  onFacts(cb: () => void): () => void;
  /** What the twin wrote on stderr (not the serial port). */
  stderr(): string;
  /** VmRSS of the twin process in kB, or undefined when gone. */
  rssKb(): number | undefined;
}

/** The limits a twin runs with: enough for any sketch (measured RSS ~10 MB), not for a fork bomb or a flood. */
const TWIN_LIMITS = { processes: 256, memoryMb: 2048, cpuSeconds: 900, fileMb: 16, openFiles: 256 };
const MAX_FACTS_BYTES = 1024 * 1024;
const INSIDE = '/rig';

export async function startTwin(o: StartTwinOptions): Promise<TwinProcess> {
  mkdirSync(o.workDir, { recursive: true });
  const workDir = path.resolve(o.workDir);
  const parsed = parseTwinWorld(o.world, path.join(workDir, 'world.json'));
  const box = sandboxFor(o);
  const home = twinHome(box, parsed.eccSlots, o.flash);
  let relay: PortRelay | undefined;
  try {
    const inside = (p: string): string => (box ? path.posix.join(INSIDE, path.relative(home.dir, p)) : p);
    const world = {
      ...parsed,
      factsFile: inside(home.factsFile),
      ...(home.slots
        ? { eccSlots: Object.fromEntries(Object.entries(home.slots).map(([k, v]) => [k, inside(v)])) }
        : {}),
      ...(home.flashDir ? { flashDir: inside(home.flashDir) } : {}),
    };
    const worldText = JSON.stringify(world, null, 2);
    writeFileSync(home.worldFile, worldText, { mode: 0o644 });
    // The cell's copy, for whoever reads the run folder.
    writeFileNoFollowSync(path.join(workDir, 'world.json'), worldText);
    const binary = path.resolve(o.binary);
    const net = box && o.network && sandboxSupport().network ? o.network : undefined;
    relay = net ? await relayPorts(home.netDir, net.ports, net.host) : undefined;
    const cmd = box
      ? await sandboxedTwin(binary, home, relay)
      : { command: binary, args: [], env: { ...process.env, RIG_TWIN_WORLD: home.worldFile } };
    const proc = await startManaged({
      ...cmd,
      cwd: box ? '/' : home.outDir,
      stdin: 'pipe',
      ready: { line: /^PTY (\S+)$/, timeoutMs: o.startTimeoutMs ?? 10_000 },
      // stdin EOF ends the board's loop; SIGTERM and SIGKILL for one that does not listen.
      stop: { closeStdin: true, termAfterMs: 500, killAfterMs: 3000 },
    }).catch((e: unknown) => {
      throw startError(o, e);
    });
    const r = relay;
    void proc.exited.then(() => r?.close());
    return twinProcess(proc, { box, home, binary, workDir, isolated: net !== undefined });
  } catch (e) {
    await relay?.close();
    home.remove();
    throw e;
  }
}

type Managed = Awaited<ReturnType<typeof startManaged>>;

function twinProcess(
  proc: Managed,
  t: { box: boolean; home: TwinHome; binary: string; workDir: string; isolated: boolean },
): TwinProcess {
  const reported = proc.readyMatch![1]!;
  let pty: ReturnType<typeof openOwnedPty>;
  try {
    pty = openOwnedPty(proc.pid, reported, t.box);
  } catch (e) {
    void proc.stop().then(() => t.home.remove());
    throw new Error(`twin ${t.binary}: ${(e as Error).message}`, { cause: e });
  }
  const exited = proc.exited.then((x) => (t.box ? unwrapSandboxExit(x) : { code: x.code, signal: x.signal }));
  let last: string[] | undefined;
  const boardExe = t.box ? path.posix.join(INSIDE, 'bin', path.basename(t.binary)) : t.binary;
  return {
    pid: proc.pid,
    ptyPath: pty.path,
    reportedPty: reported,
    releasePty: () => pty.release(),
    sandboxed: t.box,
    isolatedNetwork: t.isolated,
    worldFile: path.join(t.workDir, 'world.json'),
    factsFile: t.home.factsFile,
    go: () => {
      proc.stdin!.write('go\n');
    },
    control: async (line) => {
      const before = readFacts(t.home.factsFile).length;
      proc.stdin!.write(`${line}\n`);
      for (let waited = 0; waited < 5000; waited += 10) {
        const answer = readFacts(t.home.factsFile)
          .slice(before)
          .find((f) => f === `control-ok ${line}` || f === `control-bad ${line}`);
        if (answer?.startsWith('control-ok')) return;
        if (answer) throw new Error(`the twin refused the control line "${line}"`);
        if (!proc.running()) throw new Error('the twin ended before it answered its control line');
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`the twin did not answer the control line "${line}" within 5 s`);
    },
    post: (line) => {
      if (proc.running()) proc.stdin!.write(`${line}\n`);
    },
    exited,
    kill: async () => {
      pty.release();
      await proc.stop();
      // The last facts are kept; the folder (its key copies) goes.
      last ??= readFacts(t.home.factsFile);
      await t.home.removeAsync();
    },
    facts: () => last ?? readFacts(t.home.factsFile),
    onFacts: (cb) => watchFile(t.home.factsFile, cb),
    stderr: () => proc.output('stderr'),
    rssKb: () => rssKb(t.box ? findDescendant(proc.pid, boardExe) : proc.pid),
  };
}

/** Change events of a file; nothing (the caller polls anyway) where it cannot be watched. */
function watchFile(file: string, cb: () => void): () => void {
  try {
    const w = watch(file, { persistent: false }, () => cb());
    w.on('error', () => w.close());
    return () => w.close();
  } catch {
    return () => undefined;
  }
}

/** The facts the twin wrote: its own file, read without following a link it may have put in its place. */
function readFacts(file: string): string[] {
  let r: ReturnType<typeof readFileNoFollowSync>;
  try {
    r = readFileNoFollowSync(file, MAX_FACTS_BYTES);
  } catch {
    return [];
  }
  return (r?.text ?? '').split('\n').filter((l) => l.length > 0);
}

interface TwinHome extends OwnedDir {
  worldFile: string;
  outDir: string;
  factsFile: string;
  netDir: string;
  slots?: Record<string, string>;
  /** flash/, when the board has flash files. */
  flashDir?: string;
}

/**
 * The twin's owned temp folder. Under the sandbox with the rig as root, out/ and the key copies belong to the
 * sandbox user (uid 65534), the only ones it may write or read; the folder itself stays the rig's.
 */
function twinHome(
  box: boolean,
  eccSlots: Record<string, string> | undefined,
  flash: Record<string, Buffer> | undefined,
): TwinHome {
  const owned = ownedTempDir('rig-twin-');
  const asNobody = box && rigIsRoot();
  const own = (p: string): void => {
    if (asNobody) chownSync(p, NOBODY.uid, NOBODY.gid);
  };
  const outDir = path.join(owned.dir, 'out');
  const netDir = path.join(owned.dir, 'net');
  mkdirSync(outDir, { mode: 0o700 });
  mkdirSync(netDir, { mode: 0o755 });
  own(outDir);
  const factsFile = path.join(outDir, 'facts.txt');
  writeFileSync(factsFile, '');
  own(factsFile);
  const home: TwinHome = { ...owned, worldFile: path.join(owned.dir, 'world.json'), outDir, factsFile, netDir };
  // Unsandboxed, the twin reads the keys where they are (it could read anything of the rig's anyway).
  if (eccSlots && !box) home.slots = { ...eccSlots };
  else if (eccSlots) {
    // Only the slot keys (not the CA's or anyone else's) leave the PKI cache's private folder.
    const dir = path.join(owned.dir, 'secrets');
    mkdirSync(dir, { mode: 0o700 });
    own(dir);
    home.slots = {};
    for (const [slot, file] of Object.entries(eccSlots)) {
      const copy = path.join(dir, `slot-${slot}.pem`);
      copyFileSync(file, copy);
      chmodSync(copy, 0o400);
      own(copy);
      home.slots[slot] = copy;
    }
  }
  if (flash && Object.keys(flash).length) {
    try {
      home.flashDir = stageFlash(path.join(owned.dir, 'flash'), flash, own);
    } catch (e) {
      owned.remove();
      throw e;
    }
  }
  return home;
}

/** The flash files, one host file per flash path (the twin's core/host/twin_fs.cpp reads them once). */
function stageFlash(dir: string, files: Record<string, Buffer>, own: (p: string) => void): string {
  mkdirSync(dir, { mode: 0o700 });
  own(dir);
  for (const [p, bytes] of Object.entries(files)) {
    const rel = p.replace(/^\/+/, '');
    if (!rel || rel.split('/').some((seg) => seg === '..' || seg === '.' || seg === ''))
      throw new Error(`flash file "${p}": not a plain path`);
    const segs = rel.split('/');
    for (let i = 1; i < segs.length; i++) {
      const sub = path.join(dir, ...segs.slice(0, i));
      mkdirSync(sub, { recursive: true, mode: 0o700 });
      own(sub);
    }
    const file = path.join(dir, rel);
    writeFileSync(file, bytes, { mode: 0o400 });
    own(file);
  }
  return dir;
}

async function sandboxedTwin(
  binary: string,
  home: TwinHome,
  relay: PortRelay | undefined,
): Promise<{ command: string; args: string[]; env: NodeJS.ProcessEnv }> {
  const bin = path.posix.join(INSIDE, 'bin', path.basename(binary));
  const readOnly = [
    { src: binary, dest: bin },
    { src: home.worldFile, dest: `${INSIDE}/world.json` },
    ...(home.slots ? [{ src: path.join(home.dir, 'secrets'), dest: `${INSIDE}/secrets` }] : []),
    ...(home.flashDir ? [{ src: home.flashDir, dest: `${INSIDE}/flash` }] : []),
  ];
  let argv = [bin];
  if (relay) {
    const relayBin = await relayBinary(path.join(projectPaths().cache, 'sandbox'));
    readOnly.push({ src: relayBin, dest: `${INSIDE}/bin/relay` }, { src: home.netDir, dest: `${INSIDE}/net` });
    argv = [`${INSIDE}/bin/relay`, ...relay.args(`${INSIDE}/net`), '--', bin];
  }
  const { command, args } = sandboxCommand({
    argv,
    readOnly,
    writable: [{ src: home.outDir, dest: `${INSIDE}/out` }],
    cwd: `${INSIDE}/out`,
    env: { RIG_TWIN_WORLD: `${INSIDE}/world.json` },
    network: relay ? 'none' : 'host',
    limits: TWIN_LIMITS,
  });
  return { command, args, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } };
}

/** Whether this twin runs under bubblewrap: asked for and available (else a warning, and it runs unsandboxed). */
function sandboxFor(o: StartTwinOptions): boolean {
  if (!o.sandbox) return false;
  const probe = sandboxSupport();
  if (probe.ok) return true;
  const warn = o.warn ?? ((m: string) => console.warn(m));
  warn(`twin: bubblewrap sandbox unavailable (${probe.reason}); running ${path.basename(o.binary)} unsandboxed`);
  return false;
}

function startError(o: StartTwinOptions, e: unknown): Error {
  if (!(e instanceof ProcessStartError)) return e as Error;
  const stderr = e.stderr.trim();
  if (e.reason === 'spawn') return new Error(`twin ${o.binary}: ${e.message}`);
  if (e.reason === 'timeout')
    return new Error(`twin ${o.binary}: no PTY line within ${o.startTimeoutMs ?? 10_000} ms; stderr: ${stderr}`);
  const x = e.exit;
  return new Error(
    `twin ${o.binary} exited before opening its port (code ${x?.code}, signal ${x?.signal}); stderr: ${stderr}`,
  );
}

function rssKb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function findDescendant(root: number, exe: string): number | undefined {
  const queue = [root];
  while (queue.length) {
    const p = queue.shift()!;
    try {
      if (p !== root && readlinkSafe(`/proc/${p}/exe`) === exe) return p;
      for (const tid of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean))
        queue.push(Number(tid));
    } catch {
      /* gone */
    }
  }
  return undefined;
}

function readlinkSafe(p: string): string | undefined {
  try {
    return readlinkSync(p);
  } catch {
    return undefined;
  }
}

/** bwrap reports a child killed by signal N as exit code 128+N; give the signal back its name. */
function unwrapSandboxExit(x: TwinExit): TwinExit {
  if (x.code === null || x.code <= 128) return x;
  const name = Object.entries(osConstants.signals).find(([, n]) => n === x.code! - 128)?.[0];
  return name ? { code: null, signal: name } : x;
}
