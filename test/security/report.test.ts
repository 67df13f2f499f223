// Nothing a run meets destroys its report: a short password inside outcome kinds (attack 7), a fault in any one
// report writer or in a cell folder, a 4 MB serial line and a serial flood (attack 11). results.json is always
// written and valid, the other reports exist and parse, and what could not be written is said.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { makeRedactor, readResults, writeReports } from '../../rig/report/index.ts';
import { LineBuffer, LineSplitter, MAX_LINE_CHARS } from '../../rig/serial/line-buffer.ts';
import { SerialCapture } from '../../rig/serial/capture.ts';
import type { Cell, Results } from '../../rig/results/schema.ts';
import { cell, results } from '../report/helpers.ts';

const FILES = ['results.json', 'junit.xml', 'summary.md', 'report.html'] as const;

/** Every report that exists parses; returns which exist. */
function checkReports(dir: string): Set<string> {
  const present = new Set<string>();
  for (const f of FILES) {
    const file = path.join(dir, f);
    let st;
    try {
      st = lstatSync(file);
    } catch {
      continue;
    }
    if (!st.isFile()) continue;
    present.add(f);
    const text = readFileSync(file, 'utf8');
    if (f === 'results.json') readResults(file);
    if (f === 'junit.xml') new XMLParser().parse(text);
    if (f === 'report.html') assert.match(text, /<\/html>\s*$/);
    if (f === 'summary.md') assert.ok(text.length > 0);
  }
  return present;
}

function failing(over: Partial<Cell> = {}): Cell {
  return cell({
    scenario: 'seed-004',
    variant: 'broken',
    board: 'esp32',
    status: 'fail',
    outcome: { kind: 'mqtt/not-authorized', code: 'connack:5', detail: 'not authorised' },
    reason: 'expected kind connected, got mqtt/not-authorized (connack:5)',
    failures: ['expected kind connected, got mqtt/not-authorized (connack:5)'],
    serialLog: 'cells/x/serial.log',
    ...over,
  });
}

describe('security: the report survives what the run meets', function () {
  this.timeout(60_000);
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'rig-sec-report-'));
    mkdirSync(path.join(tmp, 'cells', 'x'), { recursive: true });
    writeFileSync(path.join(tmp, 'cells', 'x', 'serial.log'), 'connecting as rig with password mqtt\nrc=5\n');
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('attack 7: the short password "mqtt" is masked in free text, never inside kinds, codes or ids', () => {
    const r = writeReports(tmp, results([failing()]), { redactor: makeRedactor(['mqtt']) });
    assert.deepEqual(r.problems, []);
    const written = readResults(path.join(tmp, 'results.json'));
    assert.equal(written.cells[0]!.outcome.kind, 'mqtt/not-authorized');
    assert.equal(written.cells[0]!.reason, 'expected kind connected, got mqtt/not-authorized (connack:5)');
    assert.equal(
      readFileSync(path.join(tmp, 'cells', 'x', 'serial.log'), 'utf8').split('\n')[0],
      'connecting as rig with password ***',
    );
    for (const f of FILES) assert.doesNotMatch(readFileSync(path.join(tmp, f), 'utf8'), /\*\*\*\/not-authorized/, f);
    assert.deepEqual(checkReports(tmp), new Set(FILES));
  });

  for (const broken of ['junit.xml', 'summary.md', 'report.html'] as const) {
    for (const how of ['a folder', 'a link to a file elsewhere'] as const) {
      it(`a fault in ${broken} (${how} in its place) loses only that report, and the others say so`, () => {
        const canary = path.join(tmp, 'canary.txt');
        writeFileSync(canary, 'untouched\n');
        if (how === 'a folder') mkdirSync(path.join(tmp, broken));
        else symlinkSync(canary, path.join(tmp, broken));
        const r = writeReports(tmp, results([failing()]), { redactor: makeRedactor([]) });
        assert.equal(readFileSync(canary, 'utf8'), 'untouched\n', 'written through the link');
        assert.match(r.problems.join('\n'), new RegExp(`${broken.replace('.', '\\.')} could not be written`));
        const present = checkReports(tmp);
        assert.deepEqual(present, new Set(FILES.filter((f) => f !== broken)));
        const problems = readResults(path.join(tmp, 'results.json')).run.reportProblems ?? [];
        assert.ok(
          problems.some((p) => p.startsWith(broken)),
          JSON.stringify(problems),
        );
        if (broken !== 'summary.md')
          assert.match(
            readFileSync(path.join(tmp, 'summary.md'), 'utf8'),
            new RegExp(`Report problems[\\s\\S]*${broken}`),
          );
        if (broken !== 'report.html')
          assert.match(
            readFileSync(path.join(tmp, 'report.html'), 'utf8'),
            new RegExp(`report-problems[\\s\\S]*${broken}`),
          );
      });
    }
  }

  it('a fault in results.json itself (a folder in its place) still writes the other three, which say so', () => {
    mkdirSync(path.join(tmp, 'results.json'));
    const r = writeReports(tmp, results([failing()]), { redactor: makeRedactor([]) });
    assert.match(r.problems.join('\n'), /results\.json could not be written/);
    assert.deepEqual(checkReports(tmp), new Set(['junit.xml', 'summary.md', 'report.html']));
    assert.match(readFileSync(path.join(tmp, 'summary.md'), 'utf8'), /results\.json could not be written/);
  });

  it('a cell whose record is invalid is written as an error cell saying so; the rest of the run is kept', () => {
    const bad = failing({ id: 'seed-004/bad/esp32#twin', variant: 'bad' });
    (bad.outcome as { kind: string }).kind = '***/not-authorized';
    const good = failing({ id: 'seed-004/good/esp32#twin', variant: 'good' });
    const r = writeReports(tmp, results([bad, good]), { redactor: makeRedactor([]) });
    const written = readResults(path.join(tmp, 'results.json'));
    const b = written.cells.find((c) => c.variant === 'bad')!;
    assert.equal(b.status, 'error');
    assert.match(b.reason ?? '', /could not record this cell/);
    assert.equal(written.cells.find((c) => c.variant === 'good')!.outcome.kind, 'mqtt/not-authorized');
    assert.match(r.problems.join('\n'), /seed-004\/bad\/esp32#twin/);
    assert.deepEqual(checkReports(tmp), new Set(FILES));
  });

  it('a serial log replaced by a link (a cell folder fault) is not followed by the reports', () => {
    const secret = path.join(tmp, 'secret.key');
    writeFileSync(secret, 'TOP-SECRET-KEY-MATERIAL\n');
    rmSync(path.join(tmp, 'cells', 'x', 'serial.log'));
    symlinkSync(secret, path.join(tmp, 'cells', 'x', 'serial.log'));
    writeReports(tmp, results([failing()]), { redactor: makeRedactor(['KEY']) });
    assert.deepEqual(checkReports(tmp), new Set(FILES));
    for (const f of FILES) assert.doesNotMatch(readFileSync(path.join(tmp, f), 'utf8'), /TOP-SECRET/, f);
    assert.equal(readFileSync(secret, 'utf8'), 'TOP-SECRET-KEY-MATERIAL\n', 'rewritten through the link');
  });

  it('attack 11: a 4 MB string in a cell does not make 16 MB reports', () => {
    const huge = `x${'A'.repeat(4 * 1024 * 1024)}`;
    writeReports(
      tmp,
      results([failing({ reason: huge, failures: [huge], outcome: { kind: 'unknown', detail: huge } })]),
      {
        redactor: makeRedactor([]),
      },
    );
    for (const f of FILES)
      assert.ok(statSync(path.join(tmp, f)).size < 512 * 1024, `${f}: ${statSync(path.join(tmp, f)).size} bytes`);
    assert.match(readResults(path.join(tmp, 'results.json')).cells[0]!.reason ?? '', /\[cut: \d+ more characters\]$/);
  });
});

describe('security: serial lines are bounded and what is lost is counted (attack 11)', function () {
  this.timeout(60_000);

  it('a 4 MB line is cut at 4 KiB with a note, without holding all of it', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const chunk = Buffer.alloc(64 * 1024, 'B');
    for (let i = 0; i < 64; i++) s.push(chunk);
    s.push('\nnext line\n');
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.slice(0, MAX_LINE_CHARS), 'B'.repeat(MAX_LINE_CHARS));
    assert.match(lines[0]!, / … \[cut: 4190208 more characters\]$/);
    assert.equal(lines[1], 'next line');
    assert.equal(s.cut, 1);
  });

  it('a flood drops the oldest lines and counts every one of them', () => {
    const b = new LineBuffer(1000);
    for (let i = 0; i < 5000; i++) b.push(`line ${i}`);
    assert.equal(b.lines().length, 1000);
    assert.equal(b.dropped, 4000);
    assert.equal(b.lines()[0], 'line 4000');
  });

  it('through a real pty: the long line arrives cut, the flood is counted', async () => {
    const writer = spawn('python3', [
      '-c',
      [
        'import os, pty, sys, time',
        'm, s = pty.openpty()',
        'import tty; tty.setraw(s)',
        'print(os.ttyname(s), flush=True)',
        'time.sleep(0.5)',
        "os.write(m, b'first\\n')",
        "data = b'Z' * (4 * 1024 * 1024) + b'\\n'",
        'v = memoryview(data)',
        'while v:',
        '    n = os.write(m, v[:65536]); v = v[n:]',
        "for i in range(3000): os.write(m, b'flood %d\\n' % i)",
        "os.write(m, b'last\\n')",
        'time.sleep(5)',
      ].join('\n'),
    ]);
    const pty = await new Promise<string>((resolve) =>
      writer.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())),
    );
    const cap = await SerialCapture.open({ path: pty, baudRate: 115200, maxLines: 1000 });
    try {
      await cap.waitFor(/^last$/, 30_000);
      assert.equal(cap.cut(), 1);
      assert.ok(cap.dropped() >= 2000, `dropped ${cap.dropped()}`);
      assert.ok(cap.lines().every((l) => l.length < MAX_LINE_CHARS + 64));
    } finally {
      await cap.close();
      writer.kill();
    }
  });
});

export type { Results };
