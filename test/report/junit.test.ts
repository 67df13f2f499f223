import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildJunit } from '../../rig/report/junit.ts';
import { makeLogStore } from '../../rig/report/logs.ts';
import { makeRedactor } from '../../rig/report/redact.ts';
import { cell, results, tmpDir, writeFile } from './helpers.ts';

// Parses with Python's expat (a strict XML 1.0 parser) and returns the tree as JSON.
const PY = `
import sys, json, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
def conv(e): return {"tag": e.tag, "attrib": e.attrib, "text": e.text or "", "children": [conv(c) for c in e]}
print(json.dumps(conv(root)))
`;
interface Node {
  tag: string;
  attrib: Record<string, string>;
  text: string;
  children: Node[];
}

function hasPython(): boolean {
  return spawnSync('python3', ['-c', 'import xml.etree.ElementTree'], { stdio: 'ignore' }).status === 0;
}

describe('report/junit', () => {
  const dir = tmpDir();
  const garbage =
    'boot\u0000\u0007\u001b[0;31mE (123) esp-tls: -0x2700\u001b[0m\ud800 half surrogate ]]> <tag> & "q"\uFFFE';
  writeFile(dir, 'logs/a.log', `line 1\n${garbage}\nline 3\n`);
  const r = results([
    cell({ scenario: 'cn-only', variant: 'broken', board: 'esp32', status: 'pass', serialLog: 'logs/a.log' }),
    cell({
      scenario: 'cn-only',
      variant: 'broken',
      board: 'esp32',
      target: 'hardware',
      status: 'fail',
      reason: 'expected connected, got -9984',
      outcome: { kind: 'tls/name-mismatch', code: 'mbedtls:-9984' },
      expected: { kind: 'connected' },
      failures: ['serial: /MQTT connected/ not seen'],
      serialLog: 'logs/a.log',
    }),
    cell({
      scenario: 'cn-only',
      variant: 'fixed',
      board: 'esp32',
      status: 'error',
      reason: 'serial port vanished',
      outcome: { kind: 'crash' },
    }),
    cell({ scenario: 'san-ip', variant: 'broken', board: 'esp8266', status: 'skip', reason: 'needs hardware' }),
    cell({ scenario: 'san-ip', variant: 'fixed', board: 'esp8266', status: 'flaky', attempts: 3 }),
    cell({
      scenario: 'expired',
      variant: 'broken',
      board: 'esp8266',
      status: 'fail',
      quarantine: 'https://github.com/acme/rig/issues/7',
      reason: 'timing',
    }),
  ]);
  const xml = buildJunit(r, makeLogStore(dir, makeRedactor([])));
  const file = join(dir, 'junit.xml');
  writeFileSync(file, xml);

  it('is well-formed XML 1.0 even with serial garbage', function () {
    if (!hasPython()) {
      console.log('skip: python3 with xml.etree not available to parse XML');
      this.skip();
    }
    const tree = JSON.parse(execFileSync('python3', ['-c', PY, file], { encoding: 'utf8' })) as Node;
    assert.equal(tree.tag, 'testsuites');
    assert.equal(tree.attrib.tests, '6');
    assert.equal(tree.attrib.failures, '1');
    assert.equal(tree.attrib.errors, '1');
    assert.equal(tree.attrib.skipped, '2');
  });

  it('has one suite per board and one case per scenario/variant, failure vs error vs skipped', function () {
    if (!hasPython()) {
      console.log('skip: python3 with xml.etree not available to parse XML');
      this.skip();
    }
    const tree = JSON.parse(execFileSync('python3', ['-c', PY, file], { encoding: 'utf8' })) as Node;
    const suites = tree.children;
    assert.deepEqual(
      suites.map((s) => s.attrib.name),
      ['esp32', 'esp8266'],
    );
    const esp32 = suites[0].children.filter((c) => c.tag === 'testcase');
    // The same scenario/variant on twin and hardware gets a target qualifier so names stay unique.
    assert.deepEqual(
      esp32.map((c) => c.attrib.name),
      ['cn-only/broken [twin]', 'cn-only/broken [hardware]', 'cn-only/fixed'],
    );
    assert.ok(esp32.every((c) => c.attrib.classname === 'esp32.cn-only'));
    const kids = (c: Node): string[] => c.children.map((k) => k.tag);
    assert.deepEqual(kids(esp32[0]), ['properties', 'system-out']);
    const failure = esp32[1].children.find((k) => k.tag === 'failure');
    assert.ok(failure, 'fail → <failure>');
    assert.equal(failure.attrib.message, 'expected connected, got -9984');
    assert.equal(failure.attrib.type, 'tls/name-mismatch');
    assert.match(failure.text, /expected: kind: connected/);
    assert.match(failure.text, /got: tls\/name-mismatch · mbedtls:-9984/);
    const error = esp32[2].children.find((k) => k.tag === 'error');
    assert.ok(error, 'error → <error>');
    assert.ok(!esp32[2].children.some((k) => k.tag === 'failure'));
    const out = esp32[1].children.find((k) => k.tag === 'system-out');
    assert.ok(out);
    assert.match(out.text, /\\x00\\x07\\x1b\[0;31mE \(123\) esp-tls: -0x2700/);
    assert.match(out.text, /\]\]> <tag> & "q"/);

    const esp8266 = suites[1].children.filter((c) => c.tag === 'testcase');
    assert.equal(esp8266[0].children.find((k) => k.tag === 'skipped')?.attrib.message, 'needs hardware');
    const flaky = esp8266[1];
    assert.ok(!flaky.children.some((k) => ['failure', 'error', 'skipped'].includes(k.tag)), 'flaky counts as passed');
    const props = flaky.children
      .find((k) => k.tag === 'properties')
      ?.children.map((p) => `${p.attrib.name}=${p.attrib.value}`);
    assert.ok(props?.includes('flaky=true') && props.includes('attempts=3'));
    assert.match(flaky.children.find((k) => k.tag === 'system-err')?.text ?? '', /flaky: passed after 3 attempts/);
    const q = esp8266[2].children.find((k) => k.tag === 'skipped');
    assert.match(
      q?.attrib.message ?? '',
      /^quarantined: https:\/\/github\.com\/acme\/rig\/issues\/7 \(status fail: timing\)$/,
    );
  });

  it('truncates long serial logs with a note', () => {
    const d = tmpDir();
    writeFile(
      d,
      'big.log',
      Array.from({ length: 5000 }, (_, i) => `line ${i + 1} ${'x'.repeat(60)}`).join('\n') + '\n',
    );
    const x = buildJunit(
      results([cell({ scenario: 's', variant: 'v', board: 'b', status: 'fail', serialLog: 'big.log' })]),
      makeLogStore(d, makeRedactor([])),
    );
    const m = /<system-out>([\s\S]*?)<\/system-out>/.exec(x);
    assert.ok(m);
    assert.ok(m[1].length < 70_000, `system-out is ${m[1].length} chars`);
    assert.match(m[1], /last \d+ of 5000 lines, from line \d+; full log in the run artifact: big\.log/);
    assert.match(m[1], /line 5000 x+\n/);
  });
});
