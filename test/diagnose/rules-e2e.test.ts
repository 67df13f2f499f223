// Every explanation rule on a setup that triggers it, end to end: real mosquitto, real twins, real PC
// client. One PKI (test-pki.ts, absolute dates: warm runs compile nothing); each setup runs only the boards
// its rule needs, two setups at a time, in one before() so the runs overlap. Rules diagnose cannot reach
// (the board's clock; a refused user, since diagnose makes the users) run on a scenario with explain().
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadBoards } from '../../rig/boards/load.ts';
import type { BoardProfile } from '../../rig/boards/profile.ts';
import { diagnose, type DiagnoseOptions } from '../../rig/diagnose/index.ts';
import { diagnoseExitCode } from '../../rig/cli/exit.ts';
import { explain } from '../../rig/diagnose/rules.ts';
import type { DiagnoseReport, BoardDiagnosis } from '../../rig/diagnose/types.ts';
import type { UserFiles } from '../../rig/diagnose/inputs.ts';
import { projectPaths } from '../../rig/project.ts';
import { createProgress } from '../../rig/runner/progress.ts';
import { runMatrix } from '../../rig/runner/run.ts';
import { loadScenario } from '../../rig/scenario/load.ts';
import { resolveVariant } from '../../rig/scenario/resolve.ts';
import type { Cell } from '../../rig/results/schema.ts';
import { chainFolder, diagnoseTestPki, type TestPki } from './test-pki.ts';

const paths = projectPaths();
const quiet = createProgress(process.stderr, { quiet: true });

function missingTwins(): string | undefined {
  for (const core of ['esp32', 'esp8266', 'mkr1000'])
    if (!existsSync(path.join(paths.twinCore, core))) return `boards/twin/${core} is not there yet`;
  return undefined;
}

interface Setup {
  files: UserFiles;
  boards: string[];
  connect?: string;
  byIp?: boolean;
}

describe('diagnose: each rule on a setup that triggers it (twins, mosquitto, PC client)', function () {
  this.timeout(1_800_000);
  let dir: string;
  let profiles: Map<string, BoardProfile>;
  let t: TestPki;
  const reports = new Map<string, DiagnoseReport>();
  const cells = new Map<string, Cell & { client: Parameters<typeof explain>[0]['client'] }>();

  before(async function () {
    const why = missingTwins();
    if (why) {
      console.log(`      skip: ${why}`);
      this.skip();
    }
    dir = await mkdtemp(path.join(os.tmpdir(), 'rig-diag-rules-e2e-'));
    profiles = await loadBoards(paths.boards);
    t = await diagnoseTestPki();
    const chain = await chainFolder(t, path.join(dir, 'user'));
    const pw = path.join(dir, 'pw.conf');
    await writeFile(
      pw,
      [
        'listener 8883',
        'cafile /etc/mosquitto/certs/ca.crt',
        'certfile /etc/mosquitto/certs/server.crt',
        'keyfile /etc/mosquitto/certs/server.key',
        'allow_anonymous false',
        'password_file /etc/mosquitto/passwd',
        '',
      ].join('\n'),
    );
    const srv = (name: string, ca?: string): UserFiles => ({
      cert: t.crt(name),
      key: t.key(name),
      ...(ca ? { ca: t.crt(ca) } : {}),
    });
    const setups: Record<string, Setup> = {
      'no-ca': { files: srv('server'), boards: ['esp32', 'esp8266', 'control'] },
      'wrong-ca': { files: srv('server', 'other-ca'), boards: ['esp8266'] },
      'same-dn': { files: srv('home-server', 'home-ca'), boards: ['control'], connect: 'home' },
      'not-ca': { files: srv('v1-server', 'v1-ca'), boards: ['esp8266'] },
      'remade-ca': { files: srv('server', 'ca-remade'), boards: ['esp32'] },
      expired: { files: srv('expired', 'ca'), boards: ['esp8266', 'control'] },
      future: { files: srv('future', 'ca'), boards: ['esp8266'] },
      sha1: { files: srv('sha1', 'ca'), boards: ['esp32', 'control'] },
      rsa1024: { files: srv('rsa1024', 'ca'), boards: ['esp32'] },
      login: { files: { ...srv('server', 'ca'), conf: pw }, boards: ['control'] },
      'mkr-rsa-client': {
        files: { ...srv('server', 'ca'), clientCert: t.crt('client-rsa'), clientKey: t.key('client-rsa') },
        boards: ['mkr1000'],
      },
      'no-intermediate': {
        files: { cert: chain.leaf, key: chain.key, ca: chain.root },
        boards: ['esp8266', 'control'],
      },
      'full-chain': {
        files: { cert: chain.full, key: chain.key, ca: chain.root },
        boards: ['esp32', 'esp8266', 'mkr1000', 'control'],
      },
      'ip-on-pc': { files: srv('server', 'ca'), boards: ['control'], connect: '127.0.0.1' },
    };
    const run = async (label: string, s: Setup): Promise<void> => {
      const o: DiagnoseOptions = {
        files: s.files,
        connect: s.connect ?? 'raspberry',
        byIp: s.byIp ?? false,
        boards: s.boards,
        boardProfiles: profiles,
        paths,
        progress: quiet,
        outDir: path.join(dir, `run-${label}`),
        sandbox: false,
      };
      reports.set(label, await diagnose(o));
    };
    // The scenario-only rules, and the diagnose setups two at a time (each runs its boards in parallel too).
    const scenarioRuns = async (): Promise<void> => {
      for (const [label, file, variant, boards] of [
        [
          'clock',
          path.join(paths.root, 'test', 'fixtures', 'diagnose', 'esp8266-clock-unset.yaml'),
          'broken',
          ['esp8266'],
        ],
        [
          'bad-password',
          path.join(paths.scenarios, 'matrix', 'matrix-trust-and-auth.yaml'),
          'bad-password',
          ['control'],
        ],
      ] as const) {
        const loaded = await loadScenario(file);
        const { results } = await runMatrix({
          scenarios: [loaded],
          boardProfiles: profiles,
          targets: ['twin'],
          boards: [...boards],
          filter: new RegExp(`/${variant}/`),
          jobs: 2,
          retries: 1,
          broker: 'local',
          outDir: path.join(dir, `scenario-${label}`),
          quarantine: [],
          sandbox: false,
          progress: quiet,
          paths,
          defaultTimeoutMs: 20_000,
          args: ['test'],
        });
        const rv = resolveVariant(loaded.scenario, variant, { 'broker.ip': '127.0.0.1' });
        const c = rv.client;
        for (const cell of results.cells) {
          cells.set(`${label}/${cell.board}`, {
            ...cell,
            client: {
              connect: c.connect,
              byIp: c.byIp,
              caGiven: c.ca !== null,
              insecure: c.insecure,
              clientCert: !!c.cert,
              clock: c.clock,
              ...(c.username ? { username: c.username } : {}),
            },
          });
        }
      }
    };
    const queue = Object.entries(setups);
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next; next = queue.shift()) await run(...next);
    };
    await Promise.all([worker(), worker(), scenarioRuns()]);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const board = (label: string, id: string): BoardDiagnosis => {
    const r = reports.get(label);
    assert.ok(r, `setup ${label} ran`);
    const b = r.boards.find((x) => x.board === id);
    assert.ok(b, `${label}: ${id} in ${r.boards.map((x) => x.board).join(', ')}`);
    return b;
  };
  const rule = (label: string, id: string, expected: string): BoardDiagnosis => {
    const b = board(label, id);
    assert.equal(
      b.explanation?.rule,
      expected,
      `${label}/${id}: ${JSON.stringify({ outcome: b.outcome, note: b.note, explanation: b.explanation?.title })}`,
    );
    return b;
  };

  it('no CA: ESP32 refuses before connecting (no-trust-configured); BearSSL and OpenSSL have no anchor (untrusted-no-ca)', () => {
    assert.equal(rule('no-ca', 'esp32', 'no-trust-configured').outcome.code, 'mbedtls:-1');
    assert.match(rule('no-ca', 'esp8266', 'untrusted-no-ca').explanation!.fixes[0]!, /setTrustAnchors/);
    assert.match(rule('no-ca', 'control', 'untrusted-no-ca').explanation!.title, /client was not given your CA/);
  });

  it('another CA: untrusted-wrong-ca names the issuer the board needs', () => {
    const e = rule('wrong-ca', 'esp8266', 'untrusted-wrong-ca').explanation!;
    assert.match(
      e.why,
      /issued by "CN=Rig Test CA,O=Rig Test", but the CA you give the board is "CN=Somebody Else CA"/,
    );
  });

  it('CA and server with one DN: OpenSSL sees a self-signed certificate (untrusted-same-dn)', () => {
    const b = rule('same-dn', 'control', 'untrusted-same-dn');
    assert.equal(b.outcome.code, 'openssl:DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  it('a v1 "CA" without CA:TRUE: the ESP8266 refuses it as an issuer (untrusted-not-ca, 58)', () => {
    const b = rule('not-ca', 'esp8266', 'untrusted-not-ca');
    assert.equal(b.outcome.code, 'bearssl:58');
    assert.match(b.explanation!.why, /X\.509 v1 certificate/);
  });

  it('a CA made again with the same name: the generic untrusted rule says the name matches but the key did not sign', () => {
    const b = rule('remade-ca', 'esp32', 'untrusted');
    assert.match(b.explanation!.title, /right name but did not sign/);
    assert.ok(
      b.explanation!.evidence.some((x) =>
        /openssl verify .*: (certificate signature failure|unable to get local issuer certificate)/.test(x),
      ),
      b.explanation!.evidence.join('\n'),
    );
    assert.match(
      b.explanation!.fixes[0]!,
      /the ca\.crt that was made together with the ca\.key that signed server\.crt/,
    );
  });

  it('expired and not-yet-valid server certificates: BearSSL 54 and OpenSSL, each naming the certificate and date', () => {
    assert.match(rule('expired', 'esp8266', 'expired').explanation!.title, /server \(expired 2021-01-01\)/);
    assert.equal(rule('expired', 'control', 'expired').outcome.code, 'openssl:CERT_HAS_EXPIRED');
    const f = rule('future', 'esp8266', 'not-yet-valid');
    assert.equal(f.outcome.code, 'bearssl:54');
    assert.match(f.explanation!.title, /valid only from 2090-01-01/);
  });

  it("SHA-1: the broker does not start (finding with mosquitto's own words); boards observed on a lowered broker, labelled", () => {
    const r = reports.get('sha1')!;
    assert.equal(r.broker?.starts, false);
    assert.equal(r.broker?.explanation?.rule, 'broker-weak-signature');
    assert.ok(
      r.broker!.explanation!.evidence.some((x) => /ca md too weak/.test(x)),
      r.broker!.explanation!.evidence.join('\n'),
    );
    assert.match(r.broker!.explanation!.fixes[0]!, /-sha256/);
    assert.match(r.broker!.observedWith ?? '', /@SECLEVEL=0/);
    const esp32 = rule('sha1', 'esp32', 'weak-signature');
    assert.match(esp32.note ?? '', /security level 0.*your broker as configured does not start/);
    rule('sha1', 'control', 'weak-signature');
    assert.equal(diagnoseExitCode(r), 1, "a finding in the user's files: exit 1, not 3");
  });

  it('RSA 1024: the broker does not start ("ee key too small"); the ESP32 refuses the key (weak-key)', () => {
    const r = reports.get('rsa1024')!;
    assert.equal(r.broker?.explanation?.rule, 'broker-weak-key');
    assert.ok(r.broker!.explanation!.evidence.some((x) => /ee key too small/.test(x)));
    assert.match(r.broker!.explanation!.fixes[0]!, /RSA 2048/);
    rule('rsa1024', 'esp32', 'weak-key');
    assert.equal(diagnoseExitCode(r), 1);
  });

  it("password_file and no --username: the broker wants a login diagnose was not given (not the board's fault)", () => {
    const b = rule('login', 'control', 'login-not-given');
    assert.equal(b.outcome.kind, 'mqtt/not-authorized');
    assert.match(b.explanation!.fixes[0]!, /--username USER --password PASS/);
    assert.match(b.explanation!.stackRule, /mqtt\.js/);
    assert.doesNotMatch(b.explanation!.stackRule, /PubSubClient/);
  });

  it('MKR1000 with an RSA client key: explained by the ECC508, not left as a crash', () => {
    const b = rule('mkr-rsa-client', 'mkr1000', 'mkr-client-key');
    assert.match(b.explanation!.why, /ECC508.*only NIST P-256 keys/);
    assert.doesNotMatch(b.note ?? '', /could not run/);
    assert.equal(diagnoseExitCode(reports.get('mkr-rsa-client')!), 1);
  });

  it('a leaf without its intermediate: "the broker does not send the intermediate CA", with the file that has it', () => {
    for (const id of ['esp8266', 'control']) {
      const e = rule('no-intermediate', id, 'untrusted-missing-intermediate').explanation!;
      assert.match(e.title, /the broker does not send the intermediate CA CN=Rig Test Intermediate/);
      assert.match(e.fixes[0]!, /put the chain in certfile \(cat server\.crt int\.crt/);
    }
  });

  it('the full chain (leaf + intermediate, root as --ca) connects everywhere, as openssl s_client -CAfile root.crt would', () => {
    const r = reports.get('full-chain')!;
    assert.ok(
      r.certificates.some((c) => c.name === 'server-chain-1' && /Intermediate/.test(c.subject)),
      'the intermediate is kept and shown',
    );
    for (const b of r.boards)
      assert.equal(b.outcome.kind, 'connected', `${b.board}: ${JSON.stringify(b.outcome)} ${b.note ?? ''}`);
    assert.equal(diagnoseExitCode(r), 0);
  });

  it('an IP the certificate does not name, on the PC: the fix is an IP SAN entry, not a CN', () => {
    const e = rule('ip-on-pc', 'control', 'name-mismatch').explanation!;
    assert.ok(
      e.fixes.some((f) => /IP:127\.0\.0\.1 in the SAN/.test(f)),
      e.fixes.join('\n'),
    );
    assert.ok(!e.fixes.some((f) => /CN=127\.0\.0\.1 and no SAN/.test(f)), e.fixes.join('\n'));
  });

  it('on scenarios: a board clock at 1970 (clock-unset) and a refused MQTT user (not-authorized, per stack)', () => {
    const clock = cells.get('clock/esp8266');
    assert.ok(clock, [...cells.keys()].join(', '));
    assert.equal(clock.outcome.code, 'bearssl:54');
    const certs = clock.certificates ?? [];
    const e = explain({
      certs,
      client: clock.client,
      board: { id: 'esp8266', family: 'esp8266', stack: 'bearssl-esp8266' },
      outcome: clock.outcome,
    });
    assert.equal(e?.rule, 'clock-unset');
    const pw = cells.get('bad-password/control');
    assert.ok(pw);
    const n = explain({
      certs: pw.certificates ?? [],
      client: pw.client,
      board: { id: 'control', family: 'host', stack: 'openssl-node' },
      outcome: pw.outcome,
    });
    assert.equal(n?.rule, 'not-authorized');
    assert.match(n!.why, /refused the user "device"/);
    assert.match(n!.stackRule, /mqtt\.js/);
  });
});
