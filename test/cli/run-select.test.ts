// What `rig run` selects before anything runs: an empty selection is a usage error naming the selector and
// what was probably meant, reports/latest untouched; --list shows the plan; --last-failed reruns what failed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../rig/project.ts';
import { cell, results } from '../report/helpers.ts';

const SCN = 'seed-002-esp8266-mtls-bad-server-name';

describe('rig run: selection', function () {
  this.timeout(60_000);
  let reports: string;
  const rig = (...args: string[]): { status: number | null; out: string; err: string } => {
    const r = spawnSync(process.execPath, [path.join(projectPaths().root, 'bin/rig.mjs'), 'run', ...args], {
      encoding: 'utf8',
      env: { ...process.env, RIG_REPORTS: reports, NO_COLOR: '1' },
      timeout: 60_000,
    });
    return { status: r.status, out: r.stdout, err: r.stderr };
  };
  beforeEach(() => {
    reports = mkdtempSync(path.join(os.tmpdir(), 'rig-select-'));
    mkdirSync(path.join(reports, 'earlier'));
    symlinkSync('earlier', path.join(reports, 'latest'));
  });
  afterEach(() => rmSync(reports, { recursive: true, force: true }));

  it('a --tag typo selects nothing: exit 2, the nearest tag named, reports/latest untouched', () => {
    const r = rig('--tag', 'sed');
    assert.equal(r.status, 2, r.err);
    assert.match(r.err, /--tag sed: no scenario has this tag \(did you mean "seed"/);
    assert.match(r.err, /Nothing ran and reports\/latest was left as it was/);
    assert.equal(readlinkSync(path.join(reports, 'latest')), 'earlier');
    assert.deepEqual(readdirSync(reports).sort(), ['earlier', 'latest'], 'no run folder was made');
  });

  it('a --filter that matches no id names the nearest ids', () => {
    const r = rig(SCN, '--filter', 'brokn/esp8266$');
    assert.equal(r.status, 2, r.err);
    assert.match(r.err, /--filter brokn\/esp8266\$: matches no cell id/);
    assert.match(r.err, new RegExp(`nearest ids:\\n {2}${SCN}/broken/esp8266\\n`));
  });

  it('--list prints the planned cells and runs nothing', () => {
    const r = rig(SCN, '--list', '--boards', 'esp8266');
    assert.equal(r.status, 0, r.err);
    assert.match(r.out, new RegExp(`^run {3}${SCN}/broken/esp8266$`, 'm'));
    assert.match(r.out, /4 cells planned: 4 to run, 0 skipped/);
    assert.equal(readlinkSync(path.join(reports, 'latest')), 'earlier');
  });

  it('--last-failed selects the cells that failed or errored in reports/latest', () => {
    const failed = results([
      cell({ scenario: SCN, variant: 'broken', board: 'esp8266', id: `${SCN}/broken/esp8266`, status: 'fail' }),
      cell({
        scenario: SCN,
        variant: 'fixed',
        board: 'control',
        id: `${SCN}/fixed/control`,
        target: 'host',
        status: 'error',
      }),
      cell({ scenario: SCN, variant: 'fixed', board: 'esp8266', id: `${SCN}/fixed/esp8266` }),
    ]);
    writeFileSync(path.join(reports, 'earlier', 'results.json'), JSON.stringify(failed));
    const r = rig('--last-failed', '--list');
    assert.equal(r.status, 0, r.err);
    assert.match(r.err, /--last-failed: 2 cells that failed or errored/);
    const ids = r.out
      .split('\n')
      .filter((l) => l.startsWith('run '))
      .map((l) => l.slice(6));
    assert.deepEqual(ids.sort(), [`${SCN}/broken/esp8266`, `${SCN}/fixed/control`]);
    // With --filter too, both must hold.
    const both = rig('--last-failed', '--list', '--filter', 'control');
    assert.deepEqual(
      both.out
        .split('\n')
        .filter((l) => l.startsWith('run '))
        .map((l) => l.slice(6)),
      [`${SCN}/fixed/control`],
    );
    assert.ok(existsSync(path.join(reports, 'earlier', 'results.json')));
  });

  it('--last-failed with nothing failed says so and runs nothing', () => {
    writeFileSync(
      path.join(reports, 'earlier', 'results.json'),
      JSON.stringify(results([cell({ scenario: SCN, variant: 'fixed', board: 'esp8266' })])),
    );
    const r = rig('--last-failed');
    assert.equal(r.status, 0);
    assert.match(r.err, /had no failed or errored cell; nothing to rerun/);
  });
});
