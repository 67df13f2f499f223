// The WiFi module tables (boards/twin/modules/*.yaml): what each firmware row says, the settings a cell's twin gets
// from them, the store an upload makes (an ECDSA root the WINC1500 updater cannot write is left out), and the bisect
// candidate that uploads the issuing root. Pure functions and real openssl certificates; no twin runs here.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateCandidates } from '../../rig/bisect/candidates.ts';
import {
  loadModuleTable,
  MODULE_IDS,
  modelledLabel,
  moduleReleases,
  moduleRow,
  moduleWorld,
  type ModuleRow,
} from '../../rig/boards/modules.ts';
import { buildPki, type PkiBundle } from '../../rig/pki/index.ts';
import { projectPaths } from '../../rig/project.ts';
import { loadBoards } from '../../rig/boards/load.ts';
import { moduleProblems } from '../../rig/runner/module-check.ts';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { cellModule } from '../../rig/target/module.ts';

const twinDir = projectPaths().twinCore;
const suites = (r: ModuleRow): string[] => (r.ciphersuites === 'default' ? [] : r.ciphersuites);

describe('module tables: the modelled firmware TLS of the WINC1500 and the NINA-W102', () => {
  it('every table loads, and no firmware release is in two rows', () => {
    for (const id of MODULE_IDS) {
      const t = loadModuleTable(twinDir, id);
      const all = t.rows.flatMap((r) => r.firmware);
      assert.equal(new Set(all).size, all.length, `${id}: a release in two rows`);
      assert.ok(all.includes(t.defaultFirmware), `${id}: the default firmware has a row`);
    }
  });

  it('WINC1500: no SHA-384 suite on any firmware, AES-128 only on 19.4.4, no DHE with WiFi101 0.16.1 on 19.5+', () => {
    const t = loadModuleTable(twinDir, 'winc1500');
    for (const r of t.rows) for (const s of suites(r)) assert.doesNotMatch(s, /SHA384/, `${r.firmware[0]}: ${s}`);
    const old = moduleRow(t, '19.4.4') as ModuleRow;
    assert.ok(suites(old).every((s) => /AES-128/.test(s)));
    assert.equal(old.answersCertificateRequest, false, 'WiFi101#144: nothing sent before 19.5.2');
    for (const fw of ['19.5.2', '19.6.1']) {
      const r = moduleRow(t, fw) as ModuleRow;
      assert.ok(!suites(r).some((s) => s.includes('DHE')), `${fw} with WiFi101 0.16.1 offers no DHE`);
      assert.equal(r.answersCertificateRequest, true);
      assert.equal(r.checksName, false, 'WiFi101 never sets SSL_FLAGS_CHECK_SNI');
    }
    assert.deepEqual(t.rootKeyTypes, ['rsa']);
  });

  it('NINA-W102: SNI and the name check from 1.2.3 (nina-fw f8756c8), not before', () => {
    const t = loadModuleTable(twinDir, 'nina-w102');
    for (const fw of moduleReleases(t)) {
      const r = moduleRow(t, fw) as ModuleRow;
      const since123 = fw.localeCompare('1.2.3', undefined, { numeric: true }) >= 0;
      assert.equal(r.sni, since123, fw);
      assert.equal(r.checksName, since123, fw);
      assert.ok(r.excludeSuites?.includes('CHACHA20') && r.excludeSuites.includes('PSK'), `${fw}: nina-fw sdkconfig`);
    }
    const w = moduleWorld(t, { firmware: '1.4.8' });
    assert.ok(typeof w !== 'string');
    assert.equal(w.ciphersuites, 'default');
    assert.match(w.excludeSuites, /^CAMELLIA:DES:RC4:PSK:CHACHA20:ARIA$/);
  });

  it("a cell's settings: the default firmware, the older library's DHE suites, and a firmware the table lacks", () => {
    const t = loadModuleTable(twinDir, 'winc1500');
    const dflt = moduleWorld(t, {});
    assert.ok(typeof dflt !== 'string');
    assert.equal(dflt.firmware, t.defaultFirmware);
    assert.equal(modelledLabel(dflt), `modelled: WINC1500 ${t.defaultFirmware}`);
    assert.doesNotMatch(dflt.ciphersuites, /DHE/);
    const before274 = moduleWorld(t, { firmware: '19.6.1', library: '0.16.0' });
    assert.ok(typeof before274 !== 'string');
    assert.match(before274.ciphersuites, /TLS-DHE-RSA-WITH-AES-128-CBC-SHA256/, 'WiFi101 before PR #274 offers DHE');
    assert.equal(before274.dheMaxBits, 2048);
    assert.match(String(moduleWorld(t, { firmware: '19.3.0' })), /WINC1500 firmware 19\.3\.0 is not modelled/);
  });

  it('rig check: a root that is no certificate, a firmware no row covers, a module on boards without one', async () => {
    const boards = await loadBoards(projectPaths().boards);
    const scenario = (boardList: string, module: string): string =>
      [
        'version: 1',
        'id: m',
        'pki: { ca: { subject: { CN: t } }, server: { subject: { CN: b.test }, san: ["DNS:b.test"] } }',
        'broker: { listeners: [{ port: 8883, tls: {}, allowAnonymous: true }] }',
        `boards: [${boardList}]`,
        `module: ${module}`,
        'variants: { a: { module: { firmware: 1.4.8 } } }',
        `expect: { a: { ${boardList.split(',')[0]}: { kind: connected } } }`,
      ].join('\n');
    const winc = parseScenarioText(scenario('mkr1000', '{ firmware: 19.3.0, roots: [ca, nope] }'), 'm.yaml');
    const found = moduleProblems(winc, boards).map((p) => `${p.path.join('.')}: ${p.message}`);
    assert.deepEqual(found, [
      'module.roots.1: no certificate named "nope" in pki (have: ca, server)',
      'module.firmware: WINC1500 firmware 19.3.0 is not modelled (the table covers 19.4.4, 19.5.2, 19.5.4, 19.6.1, 19.7.0, 19.7.3, 19.7.6, 19.7.7)',
      'variants.a.module.firmware: WINC1500 firmware 1.4.8 is not modelled (the table covers 19.4.4, 19.5.2, 19.5.4, 19.6.1, 19.7.0, 19.7.3, 19.7.6, 19.7.7)',
    ]);
    const nina = parseScenarioText(scenario('mkrwifi1010', '{ roots: [ca] }'), 'm.yaml');
    assert.deepEqual(moduleProblems(nina, boards), []);
    const esp = parseScenarioText(scenario('esp32', '{ roots: [ca] }'), 'm.yaml');
    assert.match(moduleProblems(esp, boards)[0]?.message ?? '', /^no board of this scenario has a WiFi module/);
  });

  describe('the uploaded store (real openssl certificates)', function () {
    this.timeout(60_000);
    let tmp: string;
    let pki: PkiBundle;
    before(async () => {
      tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-modules-'));
      pki = await buildPki(
        {
          ca: { subject: { CN: 'RSA Root' } },
          'ec-ca': { subject: { CN: 'EC Root' }, ca: true, selfSigned: true, key: { type: 'ec', curve: 'P-256' } },
          server: { subject: { CN: 'b.test' }, san: ['DNS:b.test'] },
        },
        { vars: {}, cacheDir: tmp },
      );
    });
    after(() => {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    it('WINC1500 leaves an ECDSA root out (the updater writes RSA keys only) and says so; NINA keeps it', async () => {
      const winc = await cellModule(twinDir, 'winc1500', { roots: ['ca', 'ec-ca'] }, pki);
      assert.equal(winc?.world.roots, 'module-roots.pem');
      assert.equal((winc?.rootsPem?.toString().match(/BEGIN CERTIFICATE/g) ?? []).length, 1);
      assert.match(winc?.notes[0] ?? '', /"ec-ca" not uploaded \(ec key; the updater writes rsa roots only\)/);
      const nina = await cellModule(twinDir, 'nina-w102', { roots: ['ca', 'ec-ca'] }, pki);
      assert.equal((nina?.rootsPem?.toString().match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
      assert.deepEqual(nina?.notes, []);
    });

    it('no upload: the factory store (no roots file); a board without a module: nothing', async () => {
      const factory = await cellModule(twinDir, 'winc1500', {}, pki);
      assert.equal(factory?.world.roots, undefined);
      assert.equal(factory?.rootsPem, undefined);
      assert.equal(await cellModule(twinDir, undefined, { roots: ['ca'] }, pki), undefined);
    });

    it('bisect proposes uploading the issuing root, keeping the roots already uploaded (an upload replaces all)', () => {
      const certs = Object.values(pki.certs).map((c) => c.summary);
      const base = {
        certs,
        checkedName: 'b.test',
        connect: 'b.test',
        byIp: false,
        ca: null,
        insecure: false,
        clock: { ntp: true },
        broker: { listeners: [] },
        now: new Date(),
      };
      const up = generateCandidates({ ...base, module: { label: 'modelled: WINC1500 19.6.1', roots: ['ec-ca'] } });
      const c = up.find((x) => x.id === 'module-roots=ca');
      assert.deepEqual(c?.patch, { module: { roots: ['ec-ca', 'ca'] } });
      assert.match(c?.description ?? '', /^upload this root: ca .* WINC1500 19\.6\.1 root store/);
      assert.equal(
        generateCandidates(base).find((x) => x.id === 'module-roots=ca'),
        undefined,
        'not without a module',
      );
    });
  });
});
