// A twin that cannot run a sketch faithfully (WiFiSSLClient on a WINC1500 firmware its table does not model) gives the outcome
// build/unsupported, whatever the words of its reason: the kind of the typed error decides, never its text. Unless
// the scenario expects it, the cell is a skip with that reason (it answers nothing), never an error.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TargetError } from '../../rig/errors.ts';
import { projectPaths } from '../../rig/project.ts';
import type { Cell } from '../../rig/results/schema.ts';
import { runAttempt } from '../../rig/runner/attempt.ts';
import { Cleanup } from '../../rig/runner/cleanup.ts';
import { judgeAttempt } from '../../rig/runner/judge.ts';
import { type RunOutcome } from '../../rig/runner/run.ts';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import type { TargetCell, TargetDriver } from '../../rig/target/index.ts';
import { runQuiet } from '../helpers/matrix.ts';

const paths = projectPaths();

describe('runner: a sketch the twin cannot run is build/unsupported, never an error', function () {
  this.timeout(300_000);

  it('any unsupported TargetError becomes the outcome, whatever its message', async () => {
    for (const message of ['anything at all', 'twin build failed: WiFiSSLClient', '']) {
      const driver: TargetDriver = {
        name: 'twin',
        brokerIp: '127.0.0.1',
        reportsClientIds: true,
        prepare: () => Promise.reject(new TargetError('unsupported', message)),
      };
      const clients = {
        add: () => undefined,
        watch: () => undefined,
        messages: () => ({ counted: [], unattributed: [] }),
        brokerLog: () => [],
      };
      const attempt = await runAttempt(driver, {} as TargetCell, {
        expectation: { kind: 'connected' },
        clients,
        cleanup: new Cleanup(),
      });
      assert.equal(attempt.outcome.kind, 'build/unsupported', JSON.stringify(message));
      assert.equal(attempt.infraError, undefined);
      const j = judgeAttempt({
        expectation: { kind: 'connected' },
        attempt,
        brokerLog: [],
        messages: { counted: [], unattributed: [] },
      });
      // What the target cannot build answers nothing: a skip with the reason, never the rig's error.
      assert.equal(j.status, 'skip', "skipped with the reason, not the rig's error");
      assert.equal(j.final, true, 'no retry can build it');
      assert.match(j.failures[0] ?? '', /^target cannot build it: /);
    }
  });

  describe('end to end on the MKR1000 twin', () => {
    let tmp: string;
    let run: RunOutcome;
    const cell = (variant: string): Cell => run.results.cells.find((c) => c.variant === variant)!;

    before(async () => {
      tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-unsupported-'));
      const sketch = path.join(tmp, 'wifisslclient');
      mkdirSync(sketch);
      writeFileSync(
        path.join(sketch, 'wifisslclient.ino'),
        '#include <WiFi101.h>\n#include "arduino_secrets.h"\nWiFiSSLClient net;\nvoid setup() { net.connect(SECRET_BROKER, SECRET_PORT); }\nvoid loop() {}\n',
      );
      const file = path.join(tmp, 'unsupported.yaml');
      const text = [
        'version: 1',
        'id: unsupported-twin',
        'pki: { ca: { subject: { CN: t } }, server: { subject: { CN: broker.test }, san: ["DNS:broker.test"] } }',
        'broker: { listeners: [{ port: 8883, tls: {}, allowAnonymous: true }] }',
        'boards: [mkr1000]',
        'sketch: wifisslclient',
        'client: { connect: broker.test }',
        'module: { firmware: 19.3.0 }',
        'variants: { expected: {}, other: {} }',
        'expect:',
        '  expected: { mkr1000: { kind: build/unsupported } }',
        '  other: { mkr1000: { kind: connected } }',
        '',
      ].join('\n');
      writeFileSync(file, text);
      run = await runQuiet({
        scenarios: [{ file, scenario: parseScenarioText(text, file) }],
        retries: 1,
        outDir: path.join(tmp, 'run'),
        paths,
      });
    });
    after(() => {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    it('expected: pass, with the reason naming the firmware the WINC1500 table lacks', () => {
      const c = cell('expected');
      assert.equal(c.status, 'pass', JSON.stringify(c));
      assert.equal(c.outcome.kind, 'build/unsupported');
      assert.match(c.outcome.detail ?? '', /WINC1500 firmware 19\.3\.0 is not modelled \(the table covers 19\.4\.4, /);
    });

    it('another expectation: a skip naming what the twin cannot build, not an error, and not retried', () => {
      const c = cell('other');
      assert.equal(c.status, 'skip', JSON.stringify(c));
      assert.equal(c.outcome.kind, 'build/unsupported');
      assert.match(c.reason ?? '', /^twin cannot build it: .*WINC1500 firmware 19\.3\.0 is not modelled/);
      assert.equal(c.attempts, 1);
    });
  });
});
