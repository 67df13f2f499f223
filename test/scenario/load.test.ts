import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseScenarioText, ScenarioError } from '../../rig/scenario/load.ts';
import { projectPaths } from '../../rig/project.ts';

const SEED = path.join(projectPaths().scenarios, 'seeds', 'esp8266-san-ip-bad-server-name.yaml');

function problemsOf(text: string): ScenarioError['problems'] {
  try { parseScenarioText(text, 'x.yaml'); } catch (e) {
    if (e instanceof ScenarioError) return e.problems;
    throw e;
  }
  assert.fail('expected the scenario to be rejected');
}

const MINIMAL = `version: 1
id: demo
pki:
  ca: { subject: { CN: CA } }
  server: { subject: { CN: broker } }
broker:
  listeners: [{ port: 8883, tls: {} }]
boards: [esp32]
expect:
  default: { esp32: { kind: connected } }
`;

describe('scenario loader', () => {
  it('loads the seed 002 scenario with its variants', () => {
    const s = parseScenarioText(readFileSync(SEED, 'utf8'), SEED);
    assert.equal(s.id, 'esp8266-san-ip-bad-server-name');
    assert.deepEqual(Object.keys(s.variants), ['broken', 'fixed']);
    assert.equal(s.expect.broken?.esp8266?.code, 'bearssl:56');
  });

  it('applies defaults: one "default" variant, empty tags', () => {
    const s = parseScenarioText(MINIMAL, 'x.yaml');
    assert.deepEqual(Object.keys(s.variants), ['default']);
    assert.deepEqual(s.tags, []);
  });

  it('names file, line, column and field of an unknown key', () => {
    const p = problemsOf(MINIMAL.replace('boards: [esp32]', 'boards: [esp32]\nbord: [x]'));
    assert.equal(p.length, 1);
    assert.deepEqual({ line: p[0]!.line, column: p[0]!.column, field: p[0]!.field, file: p[0]!.file }, { line: 9, column: 1, field: 'bord', file: 'x.yaml' });
    assert.match(p[0]!.message, /unknown key "bord"/);
  });

  it('points into nested values and says what was expected', () => {
    const p = problemsOf(MINIMAL.replace('port: 8883', 'port: "eighty"'));
    assert.equal(p[0]!.field, 'broker.listeners[0].port');
    assert.equal(p[0]!.line, 7);
    assert.match(p[0]!.message, /expected number/);
  });

  it('reports a missing required field at the parent', () => {
    const p = problemsOf(MINIMAL.replace(/expect:[\s\S]*$/, ''));
    assert.ok(p.some((x) => x.field === 'expect' && /missing/.test(x.message)), JSON.stringify(p));
  });

  it('rejects an unknown outcome kind with the allowed ones listed', () => {
    const p = problemsOf(MINIMAL.replace('kind: connected', 'kind: conected'));
    assert.equal(p[0]!.field, 'expect.default.esp32.kind');
    assert.match(p[0]!.message, /"connected"/);
  });

  it('cross-checks references: issuer, listener cert, expect variant and board', () => {
    const p = problemsOf(MINIMAL
      .replace('server: { subject: { CN: broker } }', 'server: { subject: { CN: broker }, issuer: nope }')
      .replace('default: { esp32', 'other: { esp8266'));
    const fields = p.map((x) => x.field).sort();
    assert.deepEqual(fields, ['expect.other', 'expect.other.esp8266', 'pki.server.issuer']);
    assert.ok(p.every((x) => x.line > 1));
  });

  it('reports YAML syntax errors with a position', () => {
    const p = problemsOf('version: 1\nid: [unclosed\n');
    assert.match(p[0]!.message, /YAML syntax/);
    assert.ok(p[0]!.line >= 2);
  });

  it('rejects duplicate keys', () => {
    const p = problemsOf(MINIMAL.replace('id: demo', 'id: demo\nid: again'));
    assert.match(p[0]!.message, /YAML syntax/);
  });

  it('rejects invalid regexes in expectations', () => {
    const p = problemsOf(MINIMAL.replace('kind: connected', 'serial: ["(unclosed"]'));
    assert.equal(p[0]!.field, 'expect.default.esp32.serial[0]');
  });
});

describe('scenario files in the repository', () => {
  it('every file is named after its id (so `rig run <id>` finds it without reading every file)', async () => {
    const { allScenarioFiles } = await import('../../rig/cli/commands/context.ts');
    for (const f of await allScenarioFiles(projectPaths().scenarios)) {
      const s = parseScenarioText(readFileSync(f, 'utf8'), f);
      assert.equal(path.basename(f, '.yaml'), s.id, f);
    }
  });
});
