import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseScenarioText } from '../../rig/scenario/load.ts';
import { FormatError, parseWithSchema } from '../../rig/format/index.ts';
import { QuarantineFile } from '../../rig/runner/quarantine.ts';
import { projectPaths } from '../../rig/project.ts';
import { problemsOf, scenarioBase } from '../helpers/scenario-text.ts';

const SEED = path.join(projectPaths().scenarios, 'seeds', 'esp8266-san-ip-bad-server-name.yaml');

const MINIMAL = `${scenarioBase()}expect:
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
    assert.deepEqual(
      { line: p[0]!.line, column: p[0]!.column, field: p[0]!.field, file: p[0]!.file },
      { line: 9, column: 1, field: 'bord', file: 'x.yaml' },
    );
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
    assert.ok(
      p.some((x) => x.field === 'expect' && /missing/.test(x.message)),
      JSON.stringify(p),
    );
  });

  it('rejects an unknown outcome kind with the allowed ones listed', () => {
    const p = problemsOf(MINIMAL.replace('kind: connected', 'kind: conected'));
    assert.equal(p[0]!.field, 'expect.default.esp32.kind');
    assert.match(p[0]!.message, /"connected"/);
  });

  it('cross-checks references: issuer, listener cert, expect variant and board', () => {
    const p = problemsOf(
      MINIMAL.replace(
        'server: { subject: { CN: broker } }',
        'server: { subject: { CN: broker }, issuer: nope }',
      ).replace('default: { esp32', 'other: { esp8266'),
    );
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

describe('scenario loader: messages say what was expected and what the file holds', () => {
  const only = (text: string): FormatError['problems'][number] => {
    const p = problemsOf(text);
    assert.equal(p.length, 1, JSON.stringify(p));
    return p[0]!;
  };

  it('a string where a number belongs: got string "abc", at the value', () => {
    const p = only(MINIMAL.replace('port: 8883', 'port: "abc"'));
    assert.deepEqual([p.line, p.column, p.field], [7, 23, 'broker.listeners[0].port']);
    assert.equal(p.message, 'expected number, got string "abc"');
  });

  it('a scalar where a list belongs: got string "esp8266"', () => {
    const p = only(MINIMAL.replace('boards: [esp32]', 'boards: esp32'));
    assert.deepEqual([p.line, p.column, p.field], [8, 9, 'boards']);
    assert.equal(p.message, 'expected a list, got string "esp32"');
  });

  it('a wrong literal: got number 2', () => {
    const p = only(MINIMAL.replace('version: 1', 'version: 2'));
    assert.deepEqual([p.line, p.column, p.field], [1, 10, 'version']);
    assert.equal(p.message, 'expected 1, got number 2');
  });

  it('a misspelt enum value: got string "connectd", with the closest allowed value', () => {
    const p = only(MINIMAL.replace('kind: connected', 'kind: connectd'));
    assert.equal(p.field, 'expect.default.esp32.kind');
    assert.match(p.message, /^expected one of "connected", "tls\/name-mismatch", /);
    assert.ok(p.message.endsWith(', got string "connectd"; did you mean "connected"?'), p.message);
  });

  it('a missing field says missing; an empty value says null', () => {
    assert.equal(only(MINIMAL.replace('id: demo\n', '')).message, 'expected string (missing)');
    const p = only(MINIMAL.replace('port: 8883', 'port:'));
    assert.equal(p.message, 'expected number, got null (an empty value)');
  });

  it('a union names its branches and what it got', () => {
    const p = only(`${MINIMAL}sketch: 5\n`);
    assert.equal(p.field, 'sketch');
    assert.equal(p.message, 'expected string or a mapping, got number 5');
  });

  it('a bad record key is shown as the key, at the key', () => {
    const p = only(`${MINIMAL}variants: { ok: {}, Bad Name: {} }\n`);
    assert.equal(p.field, 'variants.Bad Name');
    assert.deepEqual([p.line, p.column], [11, 21]);
    assert.match(p.message, /^key "Bad Name": lower-case letters/);
  });

  it('other formats read through parseWithSchema say what they got too (quarantine file)', () => {
    let problems: FormatError['problems'] = [];
    try {
      parseWithSchema(
        QuarantineFile,
        'version: "1"\nentries:\n  - cells: 5\n    issue: https://example.invalid/1\n',
        'q.yaml',
      );
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      problems = e.problems;
    }
    assert.deepEqual(
      problems.map((p) => `${p.line}:${p.column} ${p.field}: ${p.message}`),
      ['1:10 version: expected 1, got string "1"', '3:12 entries[0].cells: expected string, got number 5'],
    );
  });
});

describe('scenario loader: the port the board connects to', () => {
  it('client.port with no listener on it is an error at client.port', () => {
    const p = problemsOf(`${MINIMAL}client: { port: 9999 }\n`);
    assert.deepEqual(
      p.map((x) => [x.line, x.column, x.field, x.message]),
      [[11, 17, 'client.port', 'the broker has no listener on port 9999 (it listens on 8883)']],
    );
  });

  it("a variant's own port, and a variant's own listeners, are checked per variant", () => {
    const text = `${MINIMAL.replace(/expect:[\s\S]*$/, '')}variants:
  a: { port: 1883 }
  b: { port: 8884, broker: { listeners: [{ port: 8884, tls: {} }] } }
  c: { broker: { listeners: [{ port: 8884, tls: {} }] } }
client: { port: 8883 }
expect: { a: { esp32: { kind: connected } } }
`;
    const p = problemsOf(text);
    assert.deepEqual(p.map((x) => [x.field, x.message]).sort(), [
      ['client.port', "variant c's broker has no listener on port 8883 (it listens on 8884)"],
      ['variants.a.port', 'the broker has no listener on port 1883 (it listens on 8883)'],
    ]);
  });

  it('a verbatim conf: its listener lines count; a conf without client.port is an error', () => {
    const withConf = (conf: string, client: string): string =>
      MINIMAL.replace(
        '  listeners: [{ port: 8883, tls: {} }]\n',
        `  conf: |\n${conf
          .split('\n')
          .map((l) => `    ${l}`)
          .join('\n')}\n`,
      ) + client;
    assert.doesNotThrow(() =>
      parseScenarioText(withConf('listener 8883\ncertfile {{pki.server.crt}}', 'client: { port: 8883 }\n'), 'x.yaml'),
    );
    assert.doesNotThrow(() =>
      parseScenarioText(withConf('listener {{port.9001}}', 'client: { port: 9001 }\n'), 'x.yaml'),
    );
    const wrong = problemsOf(withConf('listener 8883\nlistener 1883', 'client: { port: 9999 }\n'));
    assert.deepEqual(
      wrong.map((x) => [x.field, x.message]),
      [['client.port', 'the broker has no listener on port 9999 (it listens on 8883, 1883)']],
    );
    const none = problemsOf(withConf('listener 8883', ''));
    assert.deepEqual(
      none.map((x) => [x.line, x.field]),
      [[7, 'broker.conf']],
    );
    assert.match(none[0]!.message, /needs client\.port/);
  });

  it('the parser itself does not know board profiles (the CLI checks them against boards/)', () => {
    assert.doesNotThrow(() => parseScenarioText(MINIMAL.replace(/esp32/g, 'fixture-board'), 'x.yaml'));
  });
});

describe('scenario files in the repository', () => {
  it('every file is named after its id (so `rig run <id>` finds it without reading every file)', async () => {
    const { allScenarioFiles } = await import('../../rig/scenario/files.ts');
    for (const f of await allScenarioFiles(projectPaths().scenarios)) {
      const s = parseScenarioText(readFileSync(f, 'utf8'), f);
      assert.equal(path.basename(f, '.yaml'), s.id, f);
    }
  });
});
