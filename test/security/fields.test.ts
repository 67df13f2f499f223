// Attack 12 on the formats: a 5 MB scenario id (which became 130 MB of reports), __proto__ keys (dropped
// silently), control characters in one-line fields: each is an error at its file:line:column, and fast.
import assert from 'node:assert/strict';
import { FormatError } from '../../rig/errors.ts';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { loadBoards } from '../../rig/boards/load.ts';
import { parseWithSchema } from '../../rig/format/index.ts';
import { BoardProfile } from '../../rig/boards/profile.ts';
import { projectPaths } from '../../rig/project.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const BASE = [
  'version: 1',
  'id: fields',
  'pki: { ca: {}, server: { san: ["DNS:localhost"] } }',
  'broker: { listeners: [{ port: 8883, tls: {} }] }',
  'boards: [esp32]',
  'client: { port: 8883 }',
  'expect: { default: { esp32: { kind: connected } } }',
];

function problem(text: string): string {
  try {
    parseScenarioText(text, 'fields.yaml');
  } catch (e) {
    assert.ok(e instanceof FormatError, String(e));
    return e.message;
  }
  return assert.fail('loaded');
}

describe('security: fields are checked for what they become', function () {
  this.timeout(30_000);

  it('attack 12: a 5 MB scenario id is an error at the id, found quickly', () => {
    const t0 = Date.now();
    const m = problem(BASE.join('\n').replace('id: fields', `id: ${'a'.repeat(5 * 1024 * 1024)}`));
    assert.match(m, /^fields\.yaml:2:5: id: .*at most 128 characters/m);
    assert.ok(m.length < 4096, `the error repeats the id: ${m.length} characters`);
    assert.ok(Date.now() - t0 < 20_000);
  });

  it('attack 12: titles and other one-line fields are bounded too', () => {
    assert.match(
      problem([...BASE, `title: ${'t'.repeat(300)}`].join('\n')),
      /fields\.yaml:8:\d+: title: .*at most 200/,
    );
    assert.match(
      problem([...BASE.slice(0, 5), `client: { port: 8883, topic: "${'x'.repeat(2000)}" }`, BASE[6]].join('\n')),
      /client\.topic: 2000 characters: at most 1024/,
    );
  });

  it('attack 12: __proto__, constructor and prototype keys are errors at their position, not dropped', () => {
    const m = problem(
      [...BASE.slice(0, 5), 'client: { port: 8883, __proto__: { insecure: true } }', BASE[6]].join('\n'),
    );
    assert.match(m, /fields\.yaml:6:23: __proto__: "__proto__" is not allowed as a key/);
    const j = problem([...BASE, 'variants: { default: { constructor: 1 } }'].join('\n'));
    assert.match(j, /fields\.yaml:8:\d+: constructor: /);
    // Every format goes through the same reader: a board profile too.
    const board = readFileSync(path.join(projectPaths().boards, 'esp32.yaml'), 'utf8').replace(
      'timeoutMultiplier: 1',
      'timeoutMultiplier: 1\nprototype: { x: 1 }',
    );
    assert.throws(() => parseWithSchema(BoardProfile, board, 'esp32.yaml'), /esp32\.yaml:\d+:1: prototype: /);
  });

  it('control characters in a one-line field, also in a key, are errors', () => {
    assert.match(
      problem([...BASE.slice(0, 5), 'client: { port: 8883, username: "a\\u0007b" }', BASE[6]].join('\n')),
      /client\.username: a newline, tab or control character/,
    );
    assert.match(
      problem([...BASE.slice(0, 5), 'client: { port: 8883, config: { "A\\nB": "1" } }', BASE[6]].join('\n')),
      /a key of at most 256 characters on one line/,
    );
  });

  it('the project’s own scenarios and board profiles still load', async () => {
    await loadBoards(projectPaths().boards);
  });
});
