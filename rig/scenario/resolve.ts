// Applies a variant to its scenario: the concrete PKI, broker and client settings one broker run uses.
import { fillVars } from '../format/index.ts';
import type {
  BoardBuild,
  BrokerSpec,
  CertSpec,
  ClientSpec,
  Expectation,
  ModuleSpec,
  PkiSpec,
  Scenario,
  VerbatimPki,
} from './schema.ts';
import { dataModelFor, type DataModel } from './data-model.ts';
import { mergeTlsBuild, type TlsBuild } from './tls-build.ts';

export interface ResolvedClient {
  connect: string;
  byIp: boolean;
  port: number;
  ca: string | null;
  cert?: string;
  insecure: boolean;
  username?: string;
  password?: string;
  clientId?: string;
  topic: string;
  tlsVersion?: 'tlsv1.2' | 'tlsv1.3';
  clock: { ntp: boolean; date?: string; realTime?: boolean };
  hosts: Record<string, string | null>;
  config: Record<string, string | number | boolean>;
  /** The board's WiFi as the scenario sets it (defaults come from the board profile). */
  wifi: { ip?: string; connectMs?: number };
}

/** A board's build options in one cell: FQBN menu options and -D defines, merged from scenario and variant. */
export interface ResolvedBuild {
  fqbnOptions: Record<string, string>;
  defines: string[];
  /** The scenario's and variant's `tls:` merged ("*" then the board's); the twin puts it over the profile's. */
  tls?: TlsBuild;
  /** ilp32 for a 32-bit twin (rig/scenario/data-model.ts); absent: the host's lp64. */
  dataModel?: DataModel;
}

export interface ResolvedVariant {
  scenario: Scenario;
  variant: string;
  description?: string;
  pki: PkiSpec;
  broker: BrokerSpec;
  client: ResolvedClient;
  sketchFor(board: string, probe: string | undefined): string | undefined;
  expectationFor(board: string): Expectation | undefined;
  /** "*" then the board's entry, scenario then variant: options by key, defines added in that order. */
  buildFor(board: string): ResolvedBuild;
  /** Library name → version to imitate (twin) and install (hardware). */
  libraries: Record<string, string>;
  /** The scenario's libraries folder as written (relative to the scenario file), if any. */
  librariesDir?: string;
  /** Flash path → content template (placeholders filled per cell: rig/target/flash-files.ts). */
  files: Record<string, string>;
  /** The WiFi module's firmware, uploaded roots and library release (variant over scenario, by key). */
  module: ModuleSpec;
}

function mergeCert(base: CertSpec | undefined, patch: Partial<CertSpec>): CertSpec {
  const b: CertSpec = base ?? { subject: {} };
  return {
    ...b,
    ...patch,
    subject: { ...b.subject, ...(patch.subject ?? {}) },
    ...(patch.key || b.key ? { key: mergeKey(b.key, patch.key) } : {}),
    ...(patch.validity ? { validity: patch.validity } : {}),
  };
}

/** A patch's key merges into the base key of its type; a key of another type replaces it (no EC curve on RSA). */
function mergeKey(base: CertSpec['key'], patch: Partial<NonNullable<CertSpec['key']>> | undefined): CertSpec['key'] {
  const b = base ?? { type: 'rsa' as const };
  if (patch?.type !== undefined && patch.type !== b.type) return { ...patch, type: patch.type };
  return { ...b, ...(patch ?? {}) };
}

function variantNames(s: Scenario): string[] {
  return Object.keys(s.variants);
}

export function resolveVariant(s: Scenario, variant: string, vars: Record<string, string>): ResolvedVariant {
  const v = s.variants[variant];
  if (!v) throw new Error(`scenario ${s.id} has no variant "${variant}" (have: ${variantNames(s).join(', ')})`);

  const pki: PkiSpec = { ...s.pki };
  for (const [name, patch] of Object.entries(v.pki ?? {})) {
    if (patch === undefined) continue;
    // A variant's verbatim script replaces the scenario's (a forum post's "before" and "after" commands).
    if (name === 'verbatim') pki.verbatim = patch as VerbatimPki;
    else pki[name] = mergeCert(s.pki[name] as CertSpec | undefined, patch as Partial<CertSpec>);
  }

  const broker: BrokerSpec = {
    ...s.broker,
    ...(v.broker?.listeners ? { listeners: v.broker.listeners } : {}),
    ...(v.broker?.users ? { users: { ...(s.broker.users ?? {}), ...v.broker.users } } : {}),
    ...(v.broker?.conf ? { conf: v.broker.conf } : {}),
    ...(v.broker?.personality ? { personality: v.broker.personality } : {}),
    ...(v.broker?.acl ? { acl: v.broker.acl } : {}),
    ...(v.broker?.persistence !== undefined ? { persistence: v.broker.persistence } : {}),
  };

  const c: ClientSpec = { ...s.client, ...pickClient(v) };
  const tlsListener = broker.listeners?.find((l) => l.tls) ?? broker.listeners?.[0];
  const port = c.port ?? tlsListener?.port;
  if (port === undefined) throw new Error(`scenario ${s.id}: client.port is required with a verbatim broker conf`);
  const hasCa = 'ca' in pki || Object.keys(pki.verbatim?.files ?? {}).some((k) => k === 'ca' || k === 'ca.crt');
  const connect = fillVars(c.connect ?? '{{broker.ip}}', vars);
  const client: ResolvedClient = {
    connect,
    byIp: c.byIp ?? false,
    port,
    ca: c.ca === undefined ? (hasCa ? 'ca' : null) : c.ca,
    ...(c.cert ? { cert: c.cert } : {}),
    insecure: c.insecure ?? false,
    ...(c.username !== undefined ? { username: c.username } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    ...(c.clientId ? { clientId: c.clientId } : {}),
    topic: c.topic ?? `rig/${s.id}`,
    ...(c.tlsVersion ? { tlsVersion: c.tlsVersion } : {}),
    clock: {
      ntp: c.clock?.ntp ?? true,
      ...(c.clock?.date ? { date: c.clock.date } : {}),
      ...(c.clock?.realTime ? { realTime: true } : {}),
    },
    hosts: Object.fromEntries(
      Object.entries(c.hosts ?? {}).map(([k, a]) => [k, a === null ? null : fillVars(a, vars)]),
    ),
    config: c.config ?? {},
    wifi: { ...(c.wifi ?? {}) },
  };
  const libraries = Object.fromEntries(
    Object.entries({ ...(s.libraries ?? {}), ...(v.libraries ?? {}) }).map(([k, ver]) => [k, String(ver)]),
  );
  const files: Record<string, string> = {};
  for (const [p, text] of Object.entries({ ...(s.files ?? {}), ...(v.files ?? {}) }))
    if (text !== null) files[p] = text;

  return {
    scenario: s,
    variant,
    ...(v.description ? { description: v.description } : {}),
    pki,
    broker,
    client,
    sketchFor(board, probe) {
      if (v.sketch) return v.sketch;
      if (typeof s.sketch === 'string') return s.sketch;
      return s.sketch?.[board] ?? probe;
    },
    expectationFor(board) {
      const byBoard = s.expect[variant];
      return byBoard?.[board] ?? byBoard?.['*'];
    },
    buildFor(board) {
      const layers = [s.build?.['*'], s.build?.[board], v.build?.['*'], v.build?.[board]];
      // Only a 32-bit twin says so: lp64 is every other build's default, and their cells stay as they were.
      const model = dataModelFor(s, variant, board);
      return model === 'ilp32' ? { ...mergeBuilds(layers), dataModel: model } : mergeBuilds(layers);
    },
    libraries,
    ...(s.librariesDir ? { librariesDir: s.librariesDir } : {}),
    files,
    module: { ...(s.module ?? {}), ...(v.module ?? {}) },
  };
}

function mergeBuilds(layers: (BoardBuild | undefined)[]): ResolvedBuild {
  const out: ResolvedBuild = { fqbnOptions: {}, defines: [] };
  const tls = mergeTlsBuild(layers.map((l) => l?.tls));
  if (Object.keys(tls).length > 0) out.tls = tls;
  for (const l of layers) {
    for (const [k, val] of Object.entries(l?.fqbnOptions ?? {})) out.fqbnOptions[k] = String(val);
    for (const d of l?.defines ?? []) if (!out.defines.includes(d)) out.defines.push(d);
  }
  return out;
}

function pickClient(v: Scenario['variants'][string]): Partial<ClientSpec> {
  const {
    description: _d,
    pki: _p,
    broker: _b,
    sketch: _s,
    build: _u,
    libraries: _l,
    files: _f,
    module: _m,
    ...client
  } = v;
  return client;
}

/** Board DNS for a twin: the connect name resolves to the broker unless the scenario says otherwise. */
export function twinHosts(client: ResolvedClient, brokerAddress: string): Record<string, string> {
  const hosts: Record<string, string> = {};
  // A name resolves to the broker; a LAN address the board is told to use is routed to it (the twin keeps
  // checking the address it was given).
  if (client.connect !== brokerAddress) hosts[client.connect] = brokerAddress;
  for (const [name, addr] of Object.entries(client.hosts)) {
    if (addr === null) delete hosts[name];
    else hosts[name] = addr;
  }
  return hosts;
}
