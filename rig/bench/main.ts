// `npm run bench`: measures the figures the issues set targets for and prints them next to the target.
// Benchmarks, not tests: nothing here fails on a slow machine; a part that cannot run says why.
import { mkdtemp, rm, mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import { projectPaths } from '../project.ts';
import { loadBoards } from '../boards/load.ts';
import { loadScenario } from '../scenario/load.ts';
import { resolveVariant } from '../scenario/resolve.ts';
import type { PkiSpec } from '../scenario/schema.ts';
import type { LoadedScenario } from '../scenario/load.ts';
import type { Cell } from '../results/schema.ts';

interface Row {
  what: string;
  value: string;
  target: string;
}
const rows: Row[] = [];
const paths = projectPaths();

function record(what: string, value: string, target: string): void {
  rows.push({ what, value, target });
  process.stderr.write(`  ${what}: ${value}\n`);
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await f();
  return [r, performance.now() - t];
}

const ms = (x: number): string => `${x.toFixed(x < 10 ? 1 : 0)} ms`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function guard(what: string, target: string, f: () => Promise<void>): Promise<void> {
  try {
    await f();
  } catch (e) {
    record(what, `n/a (${(e as Error).message.split('\n')[0]})`, target);
  }
}

const seedFile = path.join(paths.scenarios, 'seeds', 'esp8266-san-ip-bad-server-name.yaml');

async function benchPki(tmp: string): Promise<void> {
  const { buildPki } = await import('../pki/index.ts');
  const { scenario } = await loadScenario(seedFile);
  const vars = { 'broker.ip': '127.0.0.1' };
  const spec: PkiSpec = {
    ...resolveVariant(scenario, 'broken', vars).pki,
    client: { subject: { CN: 'device-01' }, extendedKeyUsage: ['clientAuth'] },
  };
  const cold: number[] = [];
  for (let i = 0; i < 3; i++) {
    const [, t] = await timed(() => buildPki(spec, { vars, cacheDir: path.join(tmp, `pki-cold-${i}`) }));
    cold.push(t);
  }
  record('PKI cold, seed 002 (CA + server + client, RSA 2048), median of 3', ms(median(cold)), '≤ 2000 ms');
  const warm: number[] = [];
  for (let i = 0; i < 20; i++)
    warm.push((await timed(() => buildPki(spec, { vars, cacheDir: path.join(tmp, 'pki-cold-0') })))[1]);
  record('PKI warm (cache hit), median of 20', ms(median(warm)), '≤ 20 ms');
}

async function benchBroker(tmp: string, provider: 'local' | 'container'): Promise<void> {
  const { buildPki } = await import('../pki/index.ts');
  const { startBroker } = await import('../broker/index.ts');
  const { LOCAL_IMAGE, dockerAnswers, imageExists } = await import('../setup/container-image.ts');
  if (provider === 'container' && !((await dockerAnswers(3000)) && (await imageExists(LOCAL_IMAGE)))) {
    throw new Error(`no Docker engine or no ${LOCAL_IMAGE} image (run \`rig setup --container\` as root)`);
  }
  const { scenario } = await loadScenario(seedFile);
  const vars = { 'broker.ip': '127.0.0.1' };
  const rv = resolveVariant(scenario, 'broken', vars);
  const pki = await buildPki(rv.pki, { vars, cacheDir: path.join(tmp, 'pki') });
  const ready: number[] = [];
  const n = provider === 'local' ? 10 : 3;
  for (let i = 0; i < n; i++) {
    const workDir = path.join(tmp, `broker-${provider}-${i}`);
    await mkdir(workDir, { recursive: true });
    const [b, t] = await timed(() =>
      startBroker(rv.broker, pki, {
        provider,
        workDir,
        vars,
        ...(provider === 'container' ? { image: LOCAL_IMAGE } : {}),
      }),
    );
    ready.push(t);
    await b.stop();
  }
  record(
    `${provider} broker start to ready, median of ${n}`,
    ms(median(ready)),
    provider === 'local' ? '≤ 300 ms' : '≤ 2000 ms',
  );
}

async function benchTwin(tmp: string): Promise<void> {
  const { buildTwin, bootTwin } = await import('../twin/index.ts');
  const cacheDir = path.join(tmp, 'twin');
  const sketchDir = path.join(paths.sketches, 'esp32-wificlientsecure-pubsub');
  const header =
    '#pragma once\n#define SECRET_SSID "x"\n#define SECRET_PASS "x"\n#define SECRET_BROKER "nowhere.test"\n#define SECRET_BROKER_IS_IP 0\n#define SECRET_PORT 8883\n#define SECRET_CLIENT_ID "bench"\n#define SECRET_MQTT_USER ""\n#define SECRET_MQTT_PASS ""\n#define SECRET_TOPIC "rig/bench"\n#define SECRET_INSECURE 1\n';
  const opts = {
    sketchDir,
    core: 'esp32' as const,
    secretsHeader: header,
    coreVersion: '2.0.17',
    debugLevel: 1,
    cacheDir,
  };
  const cold = await buildTwin(opts);
  record('host core library (esp32), cold', ms(cold.coreLibMs), '≤ 60000 ms');
  record('one twin cold (sketch compile + link, core cached)', ms(cold.ms - cold.coreLibMs), '≤ 10000 ms');
  const warm: number[] = [];
  for (let i = 0; i < 10; i++) warm.push((await timed(() => buildTwin(opts)))[1]);
  record('unchanged twin rebuilt warm (no compiler run), median of 10', ms(median(warm)), '≤ 50 ms');
  // Another release row (a scenario pinning esp32@1.0.5): the same host core, one sketch compile, then cached.
  const other = await buildTwin({ ...opts, coreVersion: '1.0.5' });
  record(
    'pinned release 1.0.5: host core',
    other.coreLibCached ? 'shared (not rebuilt)' : `rebuilt (${ms(other.coreLibMs)})`,
    'shared',
  );
  const otherWarm: number[] = [];
  for (let i = 0; i < 10; i++) otherWarm.push((await timed(() => buildTwin({ ...opts, coreVersion: '1.0.5' })))[1]);
  record('pinned release rebuilt warm, median of 10', ms(median(otherWarm)), '≤ 50 ms');
  const workDir = path.join(tmp, 'twin-run');
  await mkdir(workDir, { recursive: true });
  const t0 = performance.now();
  const world = { hosts: {}, ports: {}, ntp: true, coreVersion: '2.0.17', debugLevel: 1 };
  const twin = await bootTwin({
    binary: cold.binary,
    world: { ...world, factsFile: path.join(workDir, 'facts') },
    workDir,
  });
  try {
    await twin.serial.waitFor(/RIG: connect fail|DNS Failed/, 10_000);
    record('twin start to outcome (DNS failure: no handshake)', ms(performance.now() - t0), '≤ 1000 ms + handshake');
    const status = await readFile(`/proc/${twin.process.pid}/status`, 'utf8').catch(() => '');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    record('twin resident memory', rss ? `${(Number(rss) / 1024).toFixed(1)} MB` : 'n/a', '≤ 20 MB');
  } finally {
    await twin.stop();
  }
  await benchSandbox(tmp, cold.binary, world);
}

/** What the sandbox costs (SECURITY.md): a twin started in it, with and without its own network, and per g++ run. */
async function benchSandbox(tmp: string, binary: string, world: Record<string, unknown>): Promise<void> {
  const { sandboxSupport, sandboxedCompiler } = await import('../sandbox/index.ts');
  const { bootTwin } = await import('../twin/index.ts');
  if (!sandboxSupport().ok) {
    record('sandboxed twin', 'n/a', sandboxSupport().reason);
    return;
  }
  for (const network of [undefined, { host: '127.0.0.1', ports: [18883] }]) {
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      const workDir = path.join(tmp, `twin-box-${i}`);
      const t0 = performance.now();
      const twin = await bootTwin({
        binary,
        world: { ...world, coreVersion: '2.0.17', debugLevel: 1 } as never,
        workDir,
        sandbox: true,
        ...(network ? { network } : {}),
      });
      try {
        await twin.serial.waitFor(/RIG: connect fail|DNS Failed/, 10_000);
        starts.push(performance.now() - t0);
      } finally {
        await twin.stop();
      }
    }
    const label = network ? 'sandboxed, own network namespace + relay' : 'sandboxed, host network';
    record(`twin start to outcome, ${label}, median of 5`, ms(median(starts)), '≤ 1000 ms + handshake');
  }
  const plain: number[] = [];
  const boxed: number[] = [];
  for (let i = 0; i < 10; i++) {
    plain.push((await timed(() => execa('g++', ['--version'])))[1]);
    const box = sandboxedCompiler('/usr/bin/g++', ['--version'], tmp);
    boxed.push((await timed(() => execa(box.command, box.args)))[1]);
  }
  record(
    'g++ --version, plain / in the sandbox, median of 10',
    `${ms(median(plain))} / ${ms(median(boxed))}`,
    'cost per compiler run',
  );
}

async function benchMatrix(tmp: string): Promise<void> {
  const { runMatrix } = await import('../runner/run.ts');
  const { loadScenarios, allScenarioFiles } = await import('../scenario/files.ts');
  const { createProgress } = await import('../runner/progress.ts');
  const boards = await loadBoards(paths.boards);
  const files = (await allScenarioFiles(paths.scenarios)).filter((f) => f.includes(`${path.sep}seeds${path.sep}`));
  const scenarios = await loadScenarios(files, boards);
  const run = async (jobs: number, label: string): Promise<{ ms: number; cells: number; overhead: number }> => {
    const [r, t] = await timed(() =>
      runMatrix({
        scenarios,
        boardProfiles: boards,
        targets: ['twin'],
        jobs,
        retries: 0,
        broker: 'local',
        outDir: path.join(tmp, label),
        quarantine: [],
        sandbox: true,
        progress: createProgress(process.stderr, { quiet: true }),
        paths,
        defaultTimeoutMs: 20_000,
        args: [],
      }),
    );
    // Overhead: wall time per cell minus build, broker setup shared, and time waiting on the target.
    const cells = r.results.cells.filter((c) => c.status !== 'skip');
    const waiting = cells.map((c) => (c.timings?.build ?? 0) + (c.timings?.run ?? 0));
    const overhead = cells.length
      ? cells.reduce((a, c, i) => a + Math.max(0, c.durationMs - waiting[i]!), 0) / cells.length
      : 0;
    return { ms: t, cells: cells.length, overhead };
  };
  await run(2, 'warmup');
  // Alternating runs, medians of 3: one run each swung the speed-up between 1.44× and 1.58× (measured).
  const j1s: Awaited<ReturnType<typeof run>>[] = [];
  const j2s: Awaited<ReturnType<typeof run>>[] = [];
  for (let i = 0; i < 3; i++) {
    j1s.push(await run(1, `jobs1-${i}`));
    j2s.push(await run(2, `jobs2-${i}`));
  }
  const j1 = median(j1s.map((r) => r.ms));
  const j2 = median(j2s.map((r) => r.ms));
  record(`seed matrix on twins, warm, --jobs 2 (${j2s[0]!.cells} cells), median of 3`, ms(j2), '≤ 20000 ms');
  record('speed-up --jobs 2 over --jobs 1 (medians)', `${(j1 / j2).toFixed(2)}×`, '≥ 1.6×');
  record('rig overhead per cell (duration − build − run)', ms(median(j1s.map((r) => r.overhead))), '≤ 200 ms');
}

/** One matrix run on twins, for the virtual-time figures: a filter, virtual or real time, a scenario list. */
async function twinRun(
  tmp: string,
  label: string,
  o: { scenarios: LoadedScenario[]; realTime: boolean; jobs: number; filter?: RegExp },
): Promise<{ ms: number; cells: Cell[] }> {
  const { runMatrix } = await import('../runner/run.ts');
  const { createProgress } = await import('../runner/progress.ts');
  const [r, t] = await timed(() =>
    runMatrix({
      scenarios: o.scenarios,
      boardProfiles: boardsCache!,
      targets: ['twin'],
      ...(o.filter ? { filter: o.filter } : {}),
      jobs: o.jobs,
      retries: 0,
      broker: 'local',
      outDir: path.join(tmp, label),
      quarantine: [],
      sandbox: true,
      progress: createProgress(process.stderr, { quiet: true }),
      paths,
      defaultTimeoutMs: 20_000,
      args: [],
      ...(o.realTime ? { realTime: true } : {}),
    }),
  );
  await rm(path.join(tmp, label), { recursive: true, force: true });
  return { ms: t, cells: r.results.cells.filter((c) => c.status !== 'skip' && c.target === 'twin') };
}
let boardsCache: Awaited<ReturnType<typeof loadBoards>> | undefined;

async function seedScenarios(): Promise<LoadedScenario[]> {
  const { loadScenarios, allScenarioFiles } = await import('../scenario/files.ts');
  boardsCache ??= await loadBoards(paths.boards);
  const files = (await allScenarioFiles(paths.scenarios)).filter((f) => f.includes(`${path.sep}seeds${path.sep}`));
  return loadScenarios(files, boardsCache);
}

/** Virtual time (issue 14): one twin cell, median of 5, virtual next to --real-time. */
async function benchVirtualCells(tmp: string): Promise<void> {
  const scenarios = await seedScenarios();
  const cells: [string, RegExp][] = [
    ['ESP8266 seed 002 fixed', /^seed-002-[^/]*\/fixed\/esp8266$/],
    ['ESP32 seed 000 broken', /^seed-000-[^/]*\/broken\/esp32$/],
  ];
  for (const [name, filter] of cells) {
    await twinRun(tmp, 'vt-warm', { scenarios, realTime: false, jobs: 1, filter });
    const fig: Record<string, { cell: number; own: number }> = {};
    for (const realTime of [false, true]) {
      const runs: Cell[] = [];
      for (let i = 0; i < 5; i++)
        runs.push(...(await twinRun(tmp, `vt-${i}`, { scenarios, realTime, jobs: 1, filter })).cells);
      fig[realTime ? 'real' : 'virtual'] = {
        cell: median(runs.map((c) => c.durationMs)),
        // The twin's own start to outcome: process and port up, then boot to settled.
        own: median(runs.map((c) => (c.timings?.start ?? 0) + (c.timings?.run ?? 0))),
      };
    }
    const v = fig.virtual!;
    const r = fig.real!;
    record(
      `twin cell ${name}, median of 5: cell / twin start-to-settled (ratio), virtual vs real time`,
      `${ms(v.cell)} / ${ms(v.own)} (${(v.cell / v.own).toFixed(1)}×) vs ${ms(r.cell)} / ${ms(r.own)}`,
      '≤ 150 ms, ≤ 5×',
    );
  }
}

/** The warm seed matrix on virtual time next to --real-time, --jobs 2. */
async function benchVirtualMatrix(tmp: string): Promise<void> {
  const scenarios = await seedScenarios();
  await twinRun(tmp, 'vm-warm', { scenarios, realTime: false, jobs: 2 });
  // The virtual run is ~2 s and swings by a few hundred ms run to run (measured): the median of 5. Real time is
  // mostly the sketches' own waits, steady within ~3%.
  const vs: Awaited<ReturnType<typeof twinRun>>[] = [];
  for (let i = 0; i < 5; i++) vs.push(await twinRun(tmp, `vm-virtual-${i}`, { scenarios, realTime: false, jobs: 2 }));
  const v = vs.sort((a, b) => a.ms - b.ms)[2]!;
  const r = await twinRun(tmp, 'vm-real', { scenarios, realTime: true, jobs: 2 });
  record(
    `seed matrix on twins, warm, --jobs 2 (${v.cells.length} cells, virtual: median of 5): virtual vs --real-time`,
    `${ms(v.ms)} vs ${ms(r.ms)} (${(r.ms / v.ms).toFixed(1)}×)`,
    '≥ 5× faster',
  );
  record('  virtual time:', '', '');
  whereTimeGoes(v.cells, v.ms, '  ');
  record('  --real-time:', '', '');
  whereTimeGoes(r.cells, r.ms, '  ');
}

/**
 * A synthetic N-cell twin matrix (RIG_BENCH_CELLS, default 1000): the corpus' one-moment scenarios
 * copied under new ids until N twin cells are planned. A copy keeps its original's topic, so its twins are the
 * original's builds (cached by content); each copy still starts its own broker, as a scenario does.
 */
async function benchSynthetic(tmp: string): Promise<void> {
  const { loadScenarios, allScenarioFiles } = await import('../scenario/files.ts');
  const { planCells } = await import('../runner/plan.ts');
  boardsCache ??= await loadBoards(paths.boards);
  const n = Number(process.env.RIG_BENCH_CELLS ?? 1000);
  // RIG_BENCH_SCENARIOS=seeds limits the corpus to one folder of scenarios/ (one whose twins are built already).
  const only = process.env.RIG_BENCH_SCENARIOS;
  const files = (await allScenarioFiles(paths.scenarios)).filter(
    (f) => !only || f.includes(`${path.sep}${only}${path.sep}`),
  );
  // One-moment scenarios only: a scenario with steps runs its twins in real time by design (docs/steps.md).
  const corpus = (await loadScenarios(files, boardsCache)).filter(
    (l) => !l.scenario.steps && !Object.values(l.scenario.variants).some((v) => v.steps),
  );
  const sized = corpus
    .map((l) => ({
      l,
      cells: planCells([l], boardsCache!, { targets: ['twin'] }).filter((c) => !c.skip && c.target === 'twin').length,
    }))
    .filter((x) => x.cells > 0);
  const scenarios: LoadedScenario[] = [];
  const originals = new Set<LoadedScenario>();
  let planned = 0;
  for (let copy = 0; planned < n; copy++) {
    for (const { l, cells } of sized) {
      if (planned >= n) break;
      const id = `${l.scenario.id}-x${copy}`;
      const client = { ...l.scenario.client, topic: l.scenario.client?.topic ?? `rig/${l.scenario.id}` };
      scenarios.push({ ...l, scenario: { ...l.scenario, id, client } });
      originals.add(l);
      planned += cells;
    }
  }
  // Builds first (once per distinct sketch and settings), so the figure is the warm matrix's.
  await twinRun(tmp, 'syn-warm', { scenarios: [...originals], realTime: false, jobs: 2 });
  const { ms: t, cells } = await twinRun(tmp, 'synthetic', { scenarios, realTime: false, jobs: 2 });
  const count = (st: string): number => cells.filter((c) => c.status === st).length;
  record(
    `synthetic ${cells.length}-cell twin matrix, --jobs 2 (${scenarios.length} scenarios)`,
    `${(t / 1000).toFixed(1)} s, ${count('error')} error, ${count('fail')} fail, ${count('pass')} pass`,
    '< 180 s, 0 errors',
  );
  // A bench run is also a soak test: name what did not pass, so it can be run again on its own.
  for (const c of cells.filter((x) => x.status === 'fail' || x.status === 'error').slice(0, 10))
    process.stderr.write(`  ${c.status} ${c.id}: ${(c.reason ?? '').slice(0, 160)}\n`);
  whereTimeGoes(cells, t, '  ');
}

/**
 * Where a matrix run's time went, summed over its cells (broker sessions once each), as a share of 2 cores × wall
 * time: session setup (PKI, broker to ready, observer), builds (cache lookups when warm), twin starts, the runs
 * (boot, handshake, MQTT, settle), stops, and the rest (the rig's own work between them).
 */
function whereTimeGoes(cells: Cell[], wallMs: number, indent: string): void {
  const sum = (f: (c: Cell) => number): number => cells.reduce((a, c) => a + f(c), 0);
  const tm = (c: Cell, k: string): number => c.timings?.[k] ?? 0;
  const sessions = new Map(cells.map((c) => [c.id.split('/').slice(0, 2).join('/'), c]));
  const once = (k: string): number => [...sessions.values()].reduce((a, c) => a + tm(c, k), 0);
  const own = ['build', 'start', 'run', 'stop'];
  const rest = sum((c) => Math.max(0, c.durationMs - own.reduce((a, k) => a + tm(c, k), 0)));
  const pct = (x: number): string => `${((100 * x) / (2 * wallMs)).toFixed(0)}% of 2 cores`;
  const line = (what: string, x: number): void =>
    record(`${indent}where: ${what}`, `${(x / 1000).toFixed(1)} s (${pct(x)})`, '');
  line(
    `session setup, ${sessions.size} sessions (PKI ${ms(once('setup.pki') / sessions.size)}, broker ${ms(once('setup.broker') / sessions.size)}, observer ${ms(once('setup.observer') / sessions.size)} each)`,
    once('setup'),
  );
  line(
    'build (twin cache lookups)',
    sum((c) => tm(c, 'build')),
  );
  line(
    'twin start (process, sandbox, pty)',
    sum((c) => tm(c, 'start')),
  );
  line(
    'run (boot, handshake, MQTT, settle)',
    sum((c) => tm(c, 'run')),
  );
  line(
    'stop (twin process ends)',
    sum((c) => tm(c, 'stop')),
  );
  line('rig overhead (cell − build − start − run − stop)', rest);
}

async function benchReports(tmp: string): Promise<void> {
  const { writeReports, makeRedactor, writeSyntheticRun } = await import('../report/index.ts');
  const dir = path.join(tmp, 'synthetic');
  await mkdir(dir, { recursive: true });
  const results = writeSyntheticRun(dir, 5000);
  const before = process.memoryUsage().rss;
  const { ms: t } = writeReports(dir, results, { redactor: makeRedactor(['s3cret']) });
  record('reports for a synthetic 5,000-cell run', ms(t), '≤ 2000 ms');
  record(
    'rig memory after writing them (RSS)',
    `${(Math.max(before, process.memoryUsage().rss) / 1048576).toFixed(0)} MB`,
    '≤ 300 MB',
  );
}

async function main(): Promise<void> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'rig-bench-'));
  const only = process.argv.slice(2);
  const want = (k: string): boolean => only.length === 0 || only.includes(k);
  process.stderr.write(`rig bench on ${os.cpus().length} cores, node ${process.version}\n`);
  try {
    if (want('pki')) await guard('PKI', '', () => benchPki(tmp));
    if (want('broker')) await guard('local broker start to ready', '≤ 300 ms', () => benchBroker(tmp, 'local'));
    if (want('container'))
      await guard('container broker start to ready', '≤ 2000 ms', () => benchBroker(tmp, 'container'));
    if (want('twin')) await guard('twin', '', () => benchTwin(tmp));
    // Reports before the matrices: its RSS figure is the report writer's, not what seven matrix runs left behind
    // in this process (measured: 232 MB alone, 296 MB after the seed matrix bench).
    if (want('reports')) await guard('reports', '', () => benchReports(tmp));
    if (want('matrix')) await guard('seed matrix', '', () => benchMatrix(tmp));
    // vtime = vcell + vmatrix
    if (want('vtime') || want('vcell')) await guard('virtual time, one cell', '', () => benchVirtualCells(tmp));
    if (want('vtime') || want('vmatrix')) await guard('virtual time, seed matrix', '', () => benchVirtualMatrix(tmp));
    if (want('synthetic')) await guard('synthetic matrix', '', () => benchSynthetic(tmp));
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const w = Math.max(...rows.map((r) => r.what.length));
  process.stdout.write(`\n${'measure'.padEnd(w)}  ${'value'.padEnd(14)}  target\n`);
  for (const r of rows) process.stdout.write(`${r.what.padEnd(w)}  ${r.value.padEnd(14)}  ${r.target}\n`);
}

await main();
