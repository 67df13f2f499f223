// A sketch that does not compile on the twin is the sketch's mistake, as arduino-cli's compile error is on a board:
// the cell is an error that keeps every diagnostic the compiler gave, and it is not retried (nothing can change).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectPaths } from '../../rig/project.ts';
import { type RunOutcome } from '../../rig/runner/run.ts';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { runQuiet } from '../helpers/matrix.ts';

const paths = projectPaths();

describe('runner: a twin compile error', function () {
  this.timeout(300_000);
  let tmp: string;
  let run: RunOutcome;

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-compile-error-'));
    const sketch = path.join(tmp, 'twotypos');
    mkdirSync(sketch);
    writeFileSync(
      path.join(sketch, 'twotypos.ino'),
      'void setup() {\n  Serial.beginn(115200);\n}\nvoid loop() {\n  undefinedHelper();\n}\n',
    );
    const file = path.join(tmp, 'compile-error.yaml');
    const text = [
      'version: 1',
      'id: compile-error-twin',
      'pki: { ca: { subject: { CN: t } }, server: { subject: { CN: broker.test }, san: ["DNS:broker.test"] } }',
      'broker: { listeners: [{ port: 8883, tls: {}, allowAnonymous: true }] }',
      'boards: [esp32]',
      'sketch: twotypos',
      'client: { connect: broker.test }',
      'variants: { only: {} }',
      'expect: { only: { esp32: { kind: connected } } }',
      '',
    ].join('\n');
    writeFileSync(file, text);
    run = await runQuiet({
      scenarios: [{ file, scenario: parseScenarioText(text, file) }],
      jobs: 1,
      retries: 2,
      outDir: path.join(tmp, 'run'),
      paths,
    });
  });
  after(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('is an error naming both diagnostics, with one attempt despite --retries 2', () => {
    const [c] = run.results.cells;
    assert.ok(c, 'one cell');
    assert.equal(c.status, 'error', JSON.stringify(c));
    assert.equal(c.attempts, 1, 'not retried');
    assert.match(c.reason ?? '', /twotypos\.ino:2:.*beginn/);
    assert.match(c.reason ?? '', /twotypos\.ino:5:.*undefinedHelper/);
  });
});
