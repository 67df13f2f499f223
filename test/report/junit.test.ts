import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildJunit } from '../../rig/report/junit.ts';
import { makeLogStore } from '../../rig/report/logs.ts';
import { makeRedactor } from '../../rig/report/redact.ts';
import { xml2js } from 'xml-js';
import { parseStringPromise } from 'xml2js';
import { projectPaths } from '../../rig/project.ts';
import { cell, results, tmpDir, writeFile } from './helpers.ts';

const XSD = join(projectPaths().root, 'test/fixtures/junit-10.xsd');

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
    cell({
      scenario: 'cn-only',
      variant: 'broken',
      board: 'esp32',
      status: 'pass',
      serialLog: 'logs/a.log',
      location: { file: 'scenarios/cn-only.yaml', line: 12, column: 7, field: 'expect.broken.esp32' },
    }),
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
      location: { file: 'scenarios/cn-only.yaml', line: 12, column: 7, field: 'expect.broken.esp32.kind' },
      rerun: "npx rig run cn-only --filter '^cn-only/broken/esp32$' --target hardware",
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
    assert.equal(tree.attrib.skipped, undefined, 'junit-10.xsd allows no skipped on <testsuites>');
  });

  it('validates against junit-10.xsd with xmllint', function () {
    if (spawnSync('xmllint', ['--version'], { stdio: 'ignore' }).status !== 0) {
      console.log('skip: xmllint (Debian libxml2-utils) not installed; `rig setup --test` installs it');
      this.skip();
    }
    const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    // The check can fail: the old shape (properties in a testcase, skipped on testsuites) does not validate.
    const bad = join(dir, 'bad.xml');
    writeFileSync(
      bad,
      '<testsuites skipped="1"><testsuite name="a" tests="1" failures="0" errors="0"><testcase name="x"><properties/></testcase></testsuite></testsuites>',
    );
    const b = spawnSync('xmllint', ['--noout', '--schema', XSD, bad], { encoding: 'utf8' });
    assert.notEqual(b.status, 0);
    assert.match(b.stderr, /skipped.*not allowed|properties.*not expected/);
  });

  it('has one suite per scenario and one case per cell named with board and target', function () {
    if (!hasPython()) {
      console.log('skip: python3 with xml.etree not available to parse XML');
      this.skip();
    }
    const tree = JSON.parse(execFileSync('python3', ['-c', PY, file], { encoding: 'utf8' })) as Node;
    const suites = tree.children;
    assert.deepEqual(
      suites.map((s) => s.attrib.name),
      ['cn-only', 'san-ip', 'expired'],
    );
    assert.equal(suites[0].attrib.file, 'scenarios/cn-only.yaml');
    const cases = suites[0].children.filter((c) => c.tag === 'testcase');
    assert.deepEqual(
      cases.map((c) => c.attrib.name),
      ['cn-only/broken on esp32 (twin)', 'cn-only/broken on esp32 (hardware)', 'cn-only/fixed on esp32 (twin)'],
    );
    assert.ok(cases.every((c) => c.attrib.classname === 'cn-only'));
    const kids = (c: Node): string[] => c.children.map((k) => k.tag);
    assert.deepEqual(kids(cases[0]), ['system-out']);
    const failure = cases[1].children.find((k) => k.tag === 'failure');
    assert.ok(failure, 'fail → <failure>');
    assert.equal(failure.attrib.message, 'expected connected, got -9984');
    assert.equal(failure.attrib.type, 'tls/name-mismatch');
    // The first line is where the failing expectation is written: what annotations are placed on.
    assert.equal(failure.text.split('\n')[0], '    at scenarios/cn-only.yaml:12:7 (expect.broken.esp32.kind)');
    assert.match(failure.text, /expected: kind: connected/);
    assert.match(failure.text, /got: tls\/name-mismatch · mbedtls:-9984/);
    assert.match(failure.text, /rerun: npx rig run cn-only --filter/);
    const error = cases[2].children.find((k) => k.tag === 'error');
    assert.ok(error, 'error → <error>');
    assert.ok(!cases[2].children.some((k) => k.tag === 'failure'));
    const out = cases[1].children.find((k) => k.tag === 'system-out');
    assert.ok(out);
    assert.match(out.text, /^id: cn-only\/broken\/esp32#hardware\ntarget: hardware\n/);
    assert.match(out.text, /\\x00\\x07\\x1b\[0;31mE \(123\) esp-tls: -0x2700/);
    assert.match(out.text, /\]\]> <tag> & "q"/);

    const san = suites[1].children.filter((c) => c.tag === 'testcase');
    assert.equal(san[0].children.find((k) => k.tag === 'skipped')?.attrib.message, 'needs hardware');
    const flaky = san[1];
    assert.ok(!flaky.children.some((k) => ['failure', 'error', 'skipped'].includes(k.tag)), 'flaky counts as passed');
    assert.match(flaky.children.find((k) => k.tag === 'system-out')?.text ?? '', /attempts: 3 \(flaky\)/);
    assert.match(flaky.children.find((k) => k.tag === 'system-err')?.text ?? '', /flaky: passed after 3 attempts/);
    const q = suites[2].children.find((k) => k.tag === 'testcase')?.children.find((k) => k.tag === 'skipped');
    assert.match(
      q?.attrib.message ?? '',
      /^quarantined: https:\/\/github\.com\/acme\/rig\/issues\/7 \(status fail: timing\)$/,
    );
  });

  it('reads the same through the parsers of the GitHub test-report actions (xml-js, xml2js)', async () => {
    // mikepenz/action-junit-report parses with xml-js, dorny/test-reporter with xml2js.
    const js = xml2js(xml, { compact: true }) as {
      testsuites: { testsuite: { testcase: { _attributes: { name: string }; failure?: { _text: string } }[] }[] };
    };
    const names = js.testsuites.testsuite.flatMap((s) => (Array.isArray(s.testcase) ? s.testcase : [s.testcase]));
    assert.equal(names.length, 6);
    assert.ok(names.every((t) => / on \S+ \((twin|hardware)\)$/.test(t._attributes.name)));
    const failed = names.find((t) => t.failure)!;
    // action-junit-report takes the file from the classname and the line from " <path>:<line>" in the text.
    const classFile = 'cn-only';
    const hit = failed.failure!._text.match(new RegExp(` [^ ]*${classFile}.*?:\\d+`, 'g'));
    assert.ok(hit, 'a " file:line" the action can find');
    assert.equal(hit[hit.length - 1]!.split(':').pop(), '12');
    const parsed = (await parseStringPromise(xml)) as {
      testsuites: { $: Record<string, string>; testsuite: { testcase: { $: { name: string } }[] }[] };
    };
    assert.equal(parsed.testsuites.$.tests, '6');
    assert.equal(parsed.testsuites.testsuite.flatMap((s) => s.testcase).length, 6);
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
