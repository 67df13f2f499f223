// `rig bisect`: the smallest change that turns a failing cell into a connecting one. Runs the cell as is
// (to learn the name the board checked), then every single candidate change as a variant of one generated
// scenario (parallel via runMatrix; PKI and twin builds are content-hash cached), then pairs of changes of
// different kinds when no single change works.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { BoardProfile } from '../boards/profile.ts';
import { buildPki } from '../pki/index.ts';
import type { ProjectPaths } from '../project.ts';
import { Outcome, type Cell, type CertSummary } from '../results/schema.ts';
import type { Progress } from '../runner/progress.ts';
import { runMatrix } from '../runner/run.ts';
import type { LoadedScenario } from '../scenario/load.ts';
import { resolveVariant, type ResolvedVariant } from '../scenario/resolve.ts';
import { certEntries, Scenario, type ClientSpec, type Variant } from '../scenario/schema.ts';
import { checkedName } from '../diagnose/rules.ts';
import { combine, generateCandidates, mirrorPki, type Candidate } from './candidates.ts';
import { mergeTlsBuild } from '../scenario/tls-build.ts';
import { UsageError } from '../errors.ts';
import { usesPlaceholder } from '../format/index.ts';

export const Trial = z.object({
  changes: z.array(z.string()).describe('Candidate ids'),
  descriptions: z.array(z.string()),
  status: z.string(),
  outcome: Outcome,
});
export type Trial = z.infer<typeof Trial>;

export const BisectReport = z.object({
  version: z.literal(1),
  scenario: z.string(),
  variant: z.string(),
  board: z.string(),
  stack: z.string().describe("The board's TLS stack: what setInsecure() skips depends on it"),
  baseline: Trial,
  /** Verbatim PKIs are varied through a declarative reissue; it must fail the same way. */
  mirror: z.object({ used: z.boolean(), reproduces: z.boolean().optional(), outcome: Outcome.optional() }),
  checkedName: z.string(),
  checkedLabel: z
    .string()
    .optional()
    .describe('How the scenario names it, e.g. "the broker\'s address ({{broker.ip}})"'),
  fixes: z.array(Trial).describe('Minimal changes that make the board connect'),
  insecure: Trial.optional().describe(
    'setInsecure() alone: tells whether certificate checks are the cause; never offered as a fix',
  ),
  rejected: z.array(Trial).describe('Changes tried that do not'),
  runs: z.number().int(),
  runDirs: z.array(z.string()),
});
export type BisectReport = z.infer<typeof BisectReport>;

export interface BisectOptions {
  loaded: LoadedScenario;
  variant: string;
  board?: string;
  boardProfiles: Map<string, BoardProfile>;
  paths: ProjectPaths;
  progress: Progress;
  sandbox: boolean;
  outDir?: string;
  maxPairs?: number;
  timeoutMs?: number;
}

const VARS = { 'broker.ip': '127.0.0.1' };

/** A bisect that cannot run as asked (hardware-only cell, unknown board): the CLI's exit 2. */
export class BisectUsageError extends UsageError {
  override readonly name = 'BisectUsageError';
}

/** What one bisection works with: the failing cell's scenario, board and PKI, and the runs made so far. */
interface Bisection {
  o: BisectOptions;
  s: Scenario;
  rv: ResolvedVariant;
  boardId: string;
  profile: BoardProfile;
  certs: CertSummary[];
  verbatim: boolean;
  /** The PKI as declarative certificates (a verbatim one mirrored), for certificate changes. */
  declarative: unknown;
  sketch: string | undefined;
  client: ClientSpec;
  /** The variant's build, libraries and flash files, kept for every candidate (they shape the twin, not the fix). */
  context: Pick<Scenario, 'build' | 'libraries' | 'librariesDir' | 'files' | 'module'>;
  base: string;
  runDirs: string[];
  runs: number;
}

export async function bisect(o: BisectOptions): Promise<BisectReport> {
  const b = await start(o);
  // 1. The failing cell as it is, plus (for verbatim PKIs) its declarative reissue.
  const baseCell = (await batch(b, 'baseline', { baseline: {} }, 'original')).get('baseline');
  if (!baseCell) throw new Error('baseline cell did not run');
  const baseline: Trial = {
    changes: [],
    descriptions: ['unchanged'],
    status: status(baseCell),
    outcome: baseCell.outcome,
  };
  const checked = checkedNameOf(b, baseCell);
  const report = (r: Pick<BisectReport, 'fixes' | 'rejected' | 'mirror' | 'insecure'>): BisectReport =>
    BisectReport.parse({
      version: 1,
      scenario: b.s.id,
      variant: o.variant,
      board: b.boardId,
      stack: b.profile.stack,
      baseline,
      checkedName: checked.name,
      ...(checked.label ? { checkedLabel: checked.label } : {}),
      mirror: r.mirror,
      fixes: r.fixes,
      rejected: r.rejected,
      ...(r.insecure ? { insecure: r.insecure } : {}),
      runs: b.runs,
      runDirs: b.runDirs,
    });
  if (baseline.status === 'pass') return report({ fixes: [], rejected: [], mirror: { used: false } });

  // 2. Single changes.
  const candidates = candidatesFor(b, checked, baseCell);
  const { cells: second, ids } = await singles(b, candidates);
  const mirrorCell = second.get('mirror');
  const mirror: BisectReport['mirror'] = b.verbatim
    ? {
        used: true,
        ...(mirrorCell
          ? { reproduces: mirrorCell.outcome.kind === baseCell.outcome.kind, outcome: mirrorCell.outcome }
          : {}),
      }
    : { used: false };
  const all = collect(second, ids);
  const insecure = all.find((t) => t.changes[0] === 'trust=insecure');
  const trials = all.filter((t) => t !== insecure);
  const fixes = trials.filter((t) => t.status === 'pass');
  const rejected = trials.filter((t) => t.status !== 'pass');
  if (fixes.length > 0) return report({ fixes, rejected, mirror, insecure });

  // 3. Pairs of changes of different kinds.
  const pairTrials = await pairs(b, candidates);
  return report({
    fixes: pairTrials.filter((t) => t.status === 'pass'),
    rejected: [...rejected, ...pairTrials.filter((t) => t.status !== 'pass')],
    mirror,
    insecure,
  });
}

/** Checks the request and prepares what every batch uses. */
async function start(o: BisectOptions): Promise<Bisection> {
  const s = o.loaded.scenario;
  const rv = resolveVariant(s, o.variant, VARS);
  const boardId = o.board ?? s.boards.find((b) => o.boardProfiles.get(b)?.kind !== 'control');
  if (!boardId || !s.boards.includes(boardId))
    throw new BisectUsageError(
      `scenario ${s.id} has no board ${o.board ?? '(non-control)'} (boards: ${s.boards.join(', ')})`,
    );
  const profile = o.boardProfiles.get(boardId);
  if (!profile) throw new BisectUsageError(`no board profile "${boardId}"`);
  // Bisect reruns the twin; a cell only real hardware reproduces would "connect" on it and prove nothing.
  const hardwareOnly = rv.expectationFor(boardId)?.hardwareOnly;
  if (hardwareOnly) {
    throw new BisectUsageError(
      `${s.id}/${o.variant} on ${boardId} is hardware-only (${hardwareOnly}): the twin does not reproduce it, so bisect (which runs twins) has nothing to search; run it on a board with rig run --target hardware`,
    );
  }
  const base = o.outDir ?? (await mkdtemp(path.join(os.tmpdir(), 'rig-bisect-')));
  const pki = await buildPki(rv.pki, { vars: VARS, cacheDir: path.join(o.paths.cache, 'pki') });
  const certs = Object.values(pki.certs).map((c) => c.summary);
  const verbatim = rv.pki.verbatim !== undefined;
  const {
    description: _d,
    pki: _p,
    broker: _b,
    sketch: _s,
    build,
    libraries,
    files,
    module,
    ...variantClient
  } = s.variants[o.variant] ?? {};
  return {
    o,
    s,
    rv,
    boardId,
    profile,
    certs,
    verbatim,
    declarative: verbatim ? mirrorPki(certs) : Object.fromEntries(certEntries(rv.pki)),
    sketch: rv.sketchFor(boardId, profile.probeSketch),
    client: { ...s.client, ...variantClient },
    context: {
      ...(s.build || build ? { build: { [boardId]: rv.buildFor(boardId) } } : {}),
      ...(s.libraries || libraries ? { libraries: rv.libraries } : {}),
      ...(s.librariesDir ? { librariesDir: s.librariesDir } : {}),
      ...(s.files || files ? { files: rv.files } : {}),
      // The module's firmware and uploaded roots are the board's state: a candidate's `module` merges over them.
      ...(s.module || module ? { module: rv.module } : {}),
    },
    base,
    runDirs: [],
    runs: 0,
  };
}

/** Runs variants of the cell on the twin, as one generated scenario (cells in parallel). */
async function batch(
  b: Bisection,
  label: string,
  variants: Record<string, Variant>,
  usePki: 'original' | 'mirror',
): Promise<Map<string, Cell>> {
  const { s, rv, boardId, o } = b;
  const scenario = Scenario.parse({
    version: 1,
    id: `bisect-${s.id}`.slice(0, 60),
    pki: usePki === 'original' ? rv.pki : b.declarative,
    broker: rv.broker,
    ...(b.sketch ? { sketch: { [boardId]: b.sketch } } : {}),
    boards: [boardId],
    client: b.client,
    ...b.context,
    variants,
    expect: Object.fromEntries(Object.keys(variants).map((v) => [v, { [boardId]: { kind: 'connected' } }])),
    retries: 0,
    ...(s.timeoutMs ? { timeoutMs: s.timeoutMs } : {}),
  });
  const outDir = path.join(b.base, label);
  b.runDirs.push(outDir);
  const { results } = await runMatrix({
    scenarios: [{ file: o.loaded.file, scenario }],
    boardProfiles: o.boardProfiles,
    targets: ['twin'],
    boards: [boardId],
    jobs: Math.min(2, os.availableParallelism()),
    retries: 1,
    broker: 'local',
    outDir,
    quarantine: [],
    sandbox: o.sandbox,
    progress: o.progress,
    paths: o.paths,
    defaultTimeoutMs: o.timeoutMs ?? 20_000,
    args: ['bisect'],
  });
  b.runs += results.cells.filter((c) => c.status !== 'skip').length;
  return new Map(results.cells.map((c) => [c.variant, c]));
}

/** The name the board checked, and how the scenario names it when it is the broker's address. */
function checkedNameOf(b: Bisection, baseCell: Cell): { name: string; label?: string } {
  const c = b.rv.client;
  const name =
    checkedName({
      outcome: baseCell.outcome,
      client: {
        connect: c.connect,
        byIp: c.byIp,
        caGiven: c.ca !== null,
        insecure: c.insecure,
        clientCert: !!c.cert,
        clock: c.clock,
      },
      board: { id: b.boardId, family: b.profile.family, stack: b.profile.stack },
    }) ?? c.connect;
  // The twin's broker is 127.0.0.1; the scenario says {{broker.ip}}: show the user their broker's address.
  const template = b.s.variants[b.o.variant]?.connect ?? b.s.client.connect ?? '{{broker.ip}}';
  const isBroker = usesPlaceholder(template, 'broker.ip') && name === VARS['broker.ip'];
  return { name, ...(isBroker ? { label: "the broker's address ({{broker.ip}})" } : {}) };
}

function candidatesFor(b: Bisection, checked: { name: string; label?: string }, baseCell: Cell): Candidate[] {
  const c = b.rv.client;
  const roots = b.rv.module.roots;
  return generateCandidates({
    certs: b.certs,
    checkedName: checked.name,
    ...(checked.label ? { checkedLabel: checked.label } : {}),
    stack: b.profile.stack,
    connect: c.connect,
    byIp: c.byIp,
    ca: c.ca,
    insecure: c.insecure,
    clock: c.clock,
    broker: b.rv.broker,
    port: c.port,
    board: b.boardId,
    tlsBuild: mergeTlsBuild([b.profile.twin?.tls, b.rv.buildFor(b.boardId).tls]),
    ...(b.profile.probeSketch ? { probeSketch: b.profile.probeSketch } : {}),
    ...(b.sketch ? { currentSketch: b.sketch } : {}),
    ...(baseCell.modelled ? { module: { label: baseCell.modelled, ...(roots ? { roots } : {}) } } : {}),
    facts: [baseCell.outcome.code ?? '', ...(baseCell.outcome.facts ?? []), baseCell.outcome.detail ?? ''],
    now: new Date(),
  });
}

/** Every single change as a variant (and the mirrored PKI unchanged, to check it fails the same way). */
async function singles(
  b: Bisection,
  candidates: Candidate[],
): Promise<{ cells: Map<string, Cell>; ids: Map<string, Candidate[]> }> {
  const variants: Record<string, Variant> = b.verbatim ? { mirror: {} } : {};
  const ids = new Map<string, Candidate[]>();
  candidates.forEach((c, n) => {
    variants[`c${n}`] = c.patch;
    ids.set(`c${n}`, [c]);
  });
  return { cells: await batch(b, 'singles', variants, 'mirror'), ids };
}

/** Pairs of changes of different kinds (setInsecure() never: it is a diagnosis, not a fix). */
async function pairs(b: Bisection, candidates: Candidate[]): Promise<Trial[]> {
  const variants: Record<string, Variant> = {};
  const ids = new Map<string, Candidate[]>();
  let n = 0;
  for (let a = 0; a < candidates.length; a++) {
    for (let c = a + 1; c < candidates.length; c++) {
      const ca = candidates[a]!;
      const cb = candidates[c]!;
      if (ca.slot === cb.slot || ca.id === 'trust=insecure' || cb.id === 'trust=insecure') continue;
      if (n >= (b.o.maxPairs ?? 40)) break;
      variants[`p${n}`] = combine(ca, cb);
      ids.set(`p${n}`, [ca, cb]);
      n++;
    }
  }
  if (n === 0) return [];
  return collect(await batch(b, 'pairs', variants, 'mirror'), ids);
}

function status(c: Cell): string {
  return c.outcome.kind === 'connected' ? 'pass' : c.status === 'error' ? 'error' : 'fail';
}

function collect(cells: Map<string, Cell>, ids: Map<string, Candidate[]>): Trial[] {
  const out: Trial[] = [];
  for (const [variant, cs] of ids) {
    const c = cells.get(variant);
    out.push({
      changes: cs.map((x) => x.id),
      descriptions: cs.map((x) => x.description),
      status: c ? status(c) : 'skip',
      outcome: c?.outcome ?? { kind: 'none' },
    });
  }
  return out;
}

/** What setInsecure() alone tells on this stack (docs/tls-bearssl.md §1, §3; docs/tls-esp32.md §1). */
export function insecureConclusion(stack: string, t: Trial): string {
  const got = `${t.outcome.kind}${t.outcome.code ? ` ${t.outcome.code}` : ''}`;
  if (stack === 'arduinobearssl') {
    // ArduinoBearSSL's setInsecure(SNI::Insecure) drops SNI and the name check; chain and dates are still checked.
    return t.status === 'pass'
      ? `setInsecure() alone → connected: on ArduinoBearSSL it skips only SNI and the server name check, so the name is what fails (not a fix: it turns the name check off)`
      : `setInsecure() alone → ${got}: on ArduinoBearSSL it skips only SNI and the server name check (the chain and the dates are still checked), so the failure is not (only) the name: look at the trust anchor, the chain and the clock`;
  }
  const skips =
    stack === 'bearssl-esp8266'
      ? 'on the ESP8266 it skips the chain, signature, date and name checks (the leaf is accepted as it is)'
      : stack === 'mbedtls' || stack === 'esp-tls'
        ? 'on the ESP32 it sets MBEDTLS_SSL_VERIFY_NONE: no certificate check at all'
        : 'it turns the certificate checks off';
  return t.status === 'pass'
    ? `setInsecure() alone → connected: ${skips}, so the certificate checks are what fails (not a fix: it turns them off)`
    : `setInsecure() alone → ${got}: ${skips}, so something besides the certificate checks fails (TLS version, client certificate, MQTT login, network)`;
}

export function formatBisect(r: BisectReport): string {
  const line = (t: Trial): string =>
    `  ${t.descriptions.join(' + ')}  [${t.changes.join(' + ')}] → ${t.status === 'error' ? 'error: ' : ''}${t.outcome.kind}${t.outcome.code ? ` ${t.outcome.code}` : ''}`;
  const checked = r.checkedLabel ? `${r.checkedLabel}, ${r.checkedName} on the twin` : `the name "${r.checkedName}"`;
  const out = [
    `Bisect ${r.scenario}/${r.variant} on ${r.board}: baseline ${r.baseline.outcome.kind}${r.baseline.outcome.code ? ` ${r.baseline.outcome.code}` : ''}; the board checks ${checked}`,
  ];
  if (r.baseline.status === 'pass') {
    out.push(
      'The cell already connects on the twin: nothing to bisect.',
      '',
      `${r.runs} runs; run folders: ${r.runDirs.join(', ')}`,
    );
    return `${out.join('\n')}\n`;
  }
  if (r.mirror.used) {
    out.push(
      `  (certificate changes use a declarative reissue of the verbatim PKI: ${r.mirror.reproduces ? 'it fails the same way' : `it does NOT fail the same way (${r.mirror.outcome?.kind ?? 'not run'}): treat certificate results with care`})`,
    );
  }
  out.push(
    '',
    r.fixes.length
      ? `Changes that make it connect (${r.fixes.length}):`
      : 'No single change or pair of changes makes it connect.',
  );
  for (const t of r.fixes) out.push(line(t));
  out.push('', `Changes that do not (${r.rejected.length}):`);
  for (const t of r.rejected) out.push(line(t));
  if (r.insecure) out.push('', insecureConclusion(r.stack, r.insecure));
  out.push('', `${r.runs} runs; run folders: ${r.runDirs.join(', ')}`);
  return `${out.join('\n')}\n`;
}
