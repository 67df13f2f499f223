// The terminal view of a run: a live block cut to the width with counts, ETA and phases on a terminal, plain
// lines elsewhere, colour only when wanted, and a closing block that lists only what failed, with rerun commands.
import assert from 'node:assert/strict';
import { stripVTControlCharacters } from 'node:util';
import { closingBlock, colorWanted, plannedListing, terminalProgress } from '../../rig/cli/terminal.ts';
import { cell, results } from '../report/helpers.ts';

class FakeStream {
  text = '';
  constructor(
    readonly isTTY: boolean,
    readonly columns = 80,
  ) {}
  write(s: string): boolean {
    this.text += s;
    return true;
  }
}

/** What a terminal shows after the writes: carriage returns, cursor-up and clear-to-end applied. */
function screen(raw: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  // eslint-disable-next-line no-control-regex -- terminal escapes on purpose
  for (const m of raw.matchAll(/\x1b\[(\d*)([A-Za-z])|\r|\n|[^\x1b\r\n]+/g)) {
    const t = m[0];
    if (t === '\n') lines[++row] ??= '';
    else if (t === '\r') lines[row] = '\uE000' + (lines[row] ?? '').replace(/^\uE000/, '');
    else if (m[2] === 'A') row = Math.max(0, row - Number(m[1] || 1));
    else if (m[2] === 'J') {
      lines.length = row + 1;
      lines[row] = '';
    } else if (m[2] === 'm') continue;
    else lines[row] = (lines[row] ?? '').replace(/^\uE000.*$/, '') + t;
  }
  return lines.map((l) => l.replace(/^\uE000/, '')).filter((l, i, a) => l !== '' || i < a.length - 1);
}

const planned = [
  { key: 'a/broken/esp32#twin', id: 'a/broken/esp32', target: 'twin' },
  { key: 'a/fixed/esp32#twin', id: 'a/fixed/esp32', target: 'twin' },
  { key: 'b/broken/mkr1000#twin', id: 'b/broken/mkr1000', target: 'twin', skip: 'hardware only: WINC1500' },
  {
    key: 'a-very-long-scenario-identifier-that-does-not-fit/broken/esp8266#twin',
    id: 'a-very-long-scenario-identifier-that-does-not-fit/broken/esp8266',
    target: 'twin',
  },
];

describe('cli/terminal', () => {
  it('colour follows FORCE_COLOR, then NO_COLOR, then whether the stream is a terminal', () => {
    assert.equal(colorWanted({ isTTY: true }, {}), true);
    assert.equal(colorWanted({ isTTY: false }, {}), false);
    assert.equal(colorWanted({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(colorWanted({ isTTY: true }, { NO_COLOR: '' }), true, 'an empty NO_COLOR is unset');
    assert.equal(colorWanted({ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' }), true);
    assert.equal(colorWanted({ isTTY: true }, { FORCE_COLOR: '0' }), false);
    assert.equal(colorWanted({ isTTY: true }, { TERM: 'dumb' }), false);
  });

  it("draws a live block with counts, ETA and each running cell's phase, cut to the width", () => {
    let t = 1_000_000;
    const out = new FakeStream(true, 80);
    const p = terminalProgress(out, planned, { color: true, env: {}, now: () => t });
    p.start('a/broken/esp32#twin', 'a/broken/esp32');
    p.start(planned[3]!.key, planned[3]!.id);
    p.phase!('a/broken/esp32#twin', 'building host core');
    p.phase!(planned[3]!.key, 'compiling');
    t += 30_000;
    p.finish(cell({ scenario: 'b', variant: 'broken', board: 'mkr1000', id: 'b/broken/mkr1000', status: 'skip' }));
    p.finish(cell({ scenario: 'a', variant: 'broken', board: 'esp32', id: 'a/broken/esp32', durationMs: 30_000 }));
    const shown = screen(out.text);
    const live = shown.slice(-2);
    assert.match(live[0]!, /^\[2\/4\] ✔ 1 ✘ 0 ! 0 - 1 30s, ~1m00s left$/);
    assert.match(live[1]!, /^ {2}› a-very-long-scenario-identifier-that-does-not-fit\/broken\/esp8266 {2}compilin…$/);
    for (const l of shown) assert.ok([...l].length <= 79, `line of ${[...l].length} columns: ${l}`);
    assert.ok(!shown.some((l) => /✔ pass/.test(l)), 'passes are counted, not listed');
    assert.ok(!shown.some((l) => /- skip/.test(l)), 'skips are counted, not listed');
    p.finish(
      cell({
        scenario: 'a-very-long-scenario-identifier-that-does-not-fit',
        variant: 'broken',
        board: 'esp8266',
        id: planned[3]!.id,
        status: 'fail',
        reason: 'expected kind tls/name-mismatch, got connected and a very long explanation after that',
      }),
    );
    p.close();
    const end = screen(out.text);
    assert.ok(
      end.some((l) => /^\[3\/4\] ✘ fail {2}a-very-long/.test(l)),
      end.join('\n'),
    );
    assert.ok(end.every((l) => [...l].length <= 79));
    // eslint-disable-next-line no-control-regex -- the escape for red, on purpose
    assert.match(out.text, /\x1b\[31m/, 'failures in red');
  });

  it('writes plain lines when not a terminal: no escapes, a line per cell, the host core build named', () => {
    const out = new FakeStream(false);
    const p = terminalProgress(out, planned, { color: false, env: {} });
    p.start('a/broken/esp32#twin', 'a/broken/esp32');
    p.phase!('a/broken/esp32#twin', 'building host core');
    p.phase!('a/broken/esp32#twin', 'running');
    p.finish(cell({ scenario: 'b', variant: 'broken', board: 'mkr1000', id: 'b/broken/mkr1000', status: 'skip' }));
    p.finish(cell({ scenario: 'a', variant: 'broken', board: 'esp32', id: 'a/broken/esp32' }));
    p.close();
    // eslint-disable-next-line no-control-regex -- looking for escapes on purpose
    assert.ok(!/\x1b/.test(out.text), 'no escape codes');
    const lines = out.text.trimEnd().split('\n');
    assert.deepEqual(lines, [
      '      … a/broken/esp32',
      '      … a/broken/esp32: building host core (once per board core, cached afterwards)',
      '[2/4] ✔ pass  a/broken/esp32  connected  1.2s',
    ]);
  });

  it('closes with only failures and errors, each with where it is written and how to rerun it', () => {
    const r = results([
      cell({ scenario: 'a', variant: 'fixed', board: 'esp32', id: 'a/fixed/esp32' }),
      cell({
        scenario: 'b',
        variant: 'broken',
        board: 'mkr1000',
        id: 'b/broken/mkr1000',
        status: 'skip',
        reason: 'hardware only: x',
      }),
      cell({
        scenario: 'a',
        variant: 'broken',
        board: 'esp32',
        id: 'a/broken/esp32',
        status: 'fail',
        reason: 'expected kind tls/name-mismatch, got connected',
        failures: ['expected kind tls/name-mismatch, got connected', 'serial never showed /-9984/'],
        location: { file: 'scenarios/a.yaml', line: 14, column: 7, field: 'expect.broken.esp32.kind' },
        rerun: "npx rig run a --filter '^a/broken/esp32$' --broker local",
      }),
      cell({
        scenario: 'c',
        variant: 'v',
        board: 'esp32',
        id: 'c/v/esp32',
        status: 'error',
        reason: 'twin build failed: x',
      }),
    ]);
    const text = stripVTControlCharacters(
      closingBlock(r, 'reports/run-1', { color: true, width: 80, elapsedMs: 75_000 }),
    );
    assert.equal(
      text,
      [
        '',
        'Failures and errors (2):',
        '✘ fail  a/broken/esp32',
        '        expected kind tls/name-mismatch, got connected',
        '        serial never showed /-9984/',
        '        at scenarios/a.yaml:14:7',
        "        npx rig run a --filter '^a/broken/esp32$' --broker local",
        '! error c/v/esp32',
        '        twin build failed: x',
        '',
        '1 passed, 1 failed, 1 errors, 1 skipped (1 hardware only), 0 flaky',
        '4 cells in 1m15s; broker local mosquitto 2.0.11',
        'reports: reports/run-1/report.html (and summary.md, junit.xml, results.json)',
        '',
      ].join('\n'),
    );
  });

  it('lists planned cells without running them', () => {
    const text = plannedListing(planned, false);
    assert.match(text, /^run {3}a\/broken\/esp32\n/);
    assert.match(text, /skip {2}b\/broken\/mkr1000 {2}\(hardware only: WINC1500\)/);
    assert.match(text, /4 cells planned: 3 to run, 1 skipped\n$/);
  });
});
