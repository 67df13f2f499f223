import assert from 'node:assert/strict';
import { makeLogStore } from '../../rig/report/logs.ts';
import { makeRedactor } from '../../rig/report/redact.ts';
import { COMMENT_LIMIT, buildSummary, diffBaseline } from '../../rig/report/summary.ts';
import { syntheticResults } from '../../rig/report/synthetic.ts';
import { cell, results, tmpDir, writeFile } from './helpers.ts';

describe('report/summary', () => {
  const failA = {
    status: 'fail' as const,
    reason: 'expected connected, got -9984',
    outcome: { kind: 'tls/name-mismatch' as const, code: 'mbedtls:-9984' },
    expected: { kind: 'connected' },
  };
  const base = results(
    [
      cell({ scenario: 'cn-only', variant: 'broken', board: 'esp32' }), // pass → fail: new failure
      cell({ scenario: 'san-ip', variant: 'broken', board: 'esp8266', ...failA }), // fail → pass: fixed
      cell({ scenario: 'expired', variant: 'broken', board: 'esp32', ...failA }), // fail → fail: still failing
    ],
    'base-run',
  );
  const dir = tmpDir();
  writeFile(
    dir,
    'logs/cn.log',
    Array.from({ length: 40 }, (_, i) => `serial ${i + 1}`).join('\n') +
      '\n[E][ssl_client.cpp:37] (-9984) X509 - Certificate verification failed | ~~~ <b>\n',
  );
  const now = results(
    [
      cell({ scenario: 'cn-only', variant: 'broken', board: 'esp32', ...failA, serialLog: 'logs/cn.log' }),
      cell({ scenario: 'san-ip', variant: 'broken', board: 'esp8266' }),
      cell({ scenario: 'expired', variant: 'broken', board: 'esp32', ...failA }),
      cell({
        scenario: 'brand-new',
        variant: 'v',
        board: 'mkr1000',
        status: 'error',
        reason: 'port vanished',
        outcome: { kind: 'crash' },
      }),
    ],
    'now-run',
  );

  it('diffs against a baseline by cell id', () => {
    const d = diffBaseline(now, base);
    assert.deepEqual(
      d.newFailures.map((c) => c.id),
      ['cn-only/broken/esp32#twin', 'brand-new/v/mkr1000#twin'],
    );
    assert.deepEqual(
      d.fixed.map((c) => c.id),
      ['san-ip/broken/esp8266#twin'],
    );
    assert.deepEqual(
      d.stillFailing.map((c) => c.id),
      ['expired/broken/esp32#twin'],
    );
    assert.ok(d.newCells.has('brand-new/v/mkr1000#twin'));
  });

  it('renders header, grid, changes and failure details', () => {
    const md = buildSummary(now, {
      baseline: base,
      logs: makeLogStore(dir, makeRedactor([])),
      artifactUrl: 'https://github.com/acme/rig/actions/runs/9',
    });
    assert.match(
      md,
      /^## ❌ Rig: 2 failed, 1 error — 4 cells\n\n✅ 1 passed · ❌ 2 failed · 💥 1 error · ⏭️ 0 skipped/,
    );
    assert.match(md, /broker local 2\.0\.11/);
    assert.match(md, /<sub>✅ pass · ❌ fail: an expectation not met · 💥 error: the rig's problem/, 'a legend');
    // Failures come first: the table, then each failure unfolded, then the baseline, then the folded grid.
    const order = [
      '### Failures (3)',
      '<details><summary>❌ <b>cn-only',
      '### Changes since baseline',
      '<details><summary>All cells',
    ];
    const at = order.map((x) => md.indexOf(x));
    assert.ok(
      at.every((x, i) => x > 0 && (i === 0 || x > at[i - 1]!)),
      `sections in order: ${at.join(', ')}`,
    );
    assert.match(
      md,
      /\| ❌ \| cn-only\/broken \| esp32 \(twin\) \| connected \| tls\/name-mismatch · mbedtls:-9984 \|/,
    );
    assert.match(md, /\| 💥 \| brand-new\/v \| mkr1000 \(twin\) \| — \| port vanished \|/);
    assert.match(md, /\| scenario \/ variant \| esp32 \| esp8266 \| mkr1000 \|/);
    assert.match(md, /\| cn-only\/broken \| ❌ -9984 \| {2}\| {2}\|/);
    assert.match(md, /### Changes since baseline \(run base-run\)/);
    const section = (title: string): string =>
      md.split(`**${title}`)[1].split('**')[0] + md.split(`**${title}`)[1].split('**')[1];
    assert.match(section('New failures'), /^ \(2\)/);
    assert.match(section('New failures'), /cn-only\/broken\/esp32#twin — expected connected, got -9984/);
    assert.match(section('New failures'), /brand-new\/v\/mkr1000#twin _\(new cell\)_/);
    assert.match(section('Fixed'), /^ \(1\)[\s\S]*san-ip\/broken\/esp8266#twin/);
    assert.match(section('Still failing'), /^ \(1\)[\s\S]*expired\/broken\/esp32#twin/);
    // Failure details: collapsed, expected vs got, last serial lines (fence survives "~~~" in the log).
    assert.match(
      md,
      /<details><summary>❌ <b>cn-only\/broken<\/b> on esp32 \(twin\) — expected connected, got -9984<\/summary>/,
    );
    assert.match(md, /\*\*expected\*\* kind: connected · \*\*got\*\* tls\/name-mismatch · mbedtls:-9984/);
    assert.match(md, /the last serial lines, logs\/cn\.log \(41 lines\)/);
    assert.match(
      md,
      /~~~~text\n 30 {2}serial 30\n[\s\S]* 41 {2}\[E\]\[ssl_client\.cpp:37\] \(-9984\) X509 - Certificate verification failed \| ~~~ <b>\n~~~~\n/,
    );
    assert.match(md, /\[the run artifact\]\(https:\/\/github\.com\/acme\/rig\/actions\/runs\/9\)/);
  });

  it('links the scenario line, shows the lines that decided, the rerun command and the forum thread', () => {
    const r = results([
      cell({
        scenario: 'cn',
        variant: 'b',
        board: 'esp32',
        ...failA,
        serialLog: 'logs/cn.log',
        matchedLines: [5],
        title: 'CN only',
        links: ['https://github.com/espressif/arduino-esp32/issues/657'],
        location: { file: 'scenarios/cn.yaml', line: 12, column: 7, field: 'expect.b.esp32.kind' },
        rerun: "npx rig run cn --filter '^cn/b/esp32$'",
      }),
    ]);
    r.run.commit = 'a'.repeat(40);
    r.run.repoUrl = 'https://github.com/acme/rig';
    const md = buildSummary(r, { logs: makeLogStore(dir, makeRedactor([])) });
    const url = `https://github.com/acme/rig/blob/${'a'.repeat(40)}/scenarios/cn.yaml#L12`;
    assert.ok(md.includes(`| [cn/b](${url}) |`), md);
    assert.ok(md.includes(`_CN only_ · [\`scenarios/cn.yaml:12\`](${url}) · [espressif/arduino-esp32#657]`));
    assert.match(md, /~~~text\n 5 {2}serial 5\n▶6 {2}serial 6\n 7 {2}serial 7\n~~~\n/);
    assert.match(md, /```sh\nnpx rig run cn --filter '\^cn\/b\/esp32\$'\n```/);
    assert.match(md, /^commit `aaaaaaaaaa`/m);
  });

  it('says plainly when no cell ran', () => {
    const md = buildSummary(results([]));
    assert.match(md, /^## ⚠️ Rig: no cells ran — 0 cells/);
    assert.match(md, /No cell was selected or run/);
  });

  it('puts twin and hardware side by side and flags disagreement', () => {
    const md = buildSummary(
      results([
        cell({ scenario: 'cn', variant: 'b', board: 'esp32', target: 'twin', ...failA }),
        cell({ scenario: 'cn', variant: 'b', board: 'esp32', target: 'hardware' }),
        cell({
          scenario: 'cn',
          variant: 'b',
          board: 'esp8266',
          target: 'twin',
          status: 'fail',
          outcome: { kind: 'tls/name-mismatch', code: 'bearssl:56' },
        }),
        cell({
          scenario: 'cn',
          variant: 'b',
          board: 'esp8266',
          target: 'hardware',
          status: 'fail',
          outcome: { kind: 'tls/name-mismatch', code: 'bearssl:56' },
        }),
      ]),
    );
    assert.match(md, /\| cn\/b \| twin ❌ -9984 · hw ✅ ⚠ twin≠hardware \| twin ❌ bearssl:56 · hw ❌ bearssl:56 \|/);
  });

  it('a modelled module cell says so in its grid slot and is flagged when hardware disagrees', () => {
    const md = buildSummary(
      results([
        cell({
          scenario: 'winc',
          variant: 'fixed',
          board: 'mkr1000',
          target: 'twin',
          modelled: 'modelled: WINC1500 19.6.1',
        }),
        cell({
          scenario: 'winc',
          variant: 'fixed',
          board: 'mkr1000',
          target: 'hardware',
          status: 'fail',
          outcome: { kind: 'tls/handshake-failed', code: 'pubsubclient:-2' },
        }),
      ]),
    );
    assert.match(md, /\| winc\/fixed \| twin ✅ \(modelled: WINC1500 19\.6\.1\) · hw ❌ [^|]*⚠ twin≠hardware \|/);
  });

  it('escapes table-breaking and HTML characters from reasons', () => {
    const md = buildSummary(
      results([
        cell({
          scenario: 's',
          variant: 'v',
          board: 'b',
          status: 'fail',
          reason: 'a|b <script>x</script>\nnext',
          outcome: { kind: 'unknown', code: 'x:1|2' },
        }),
      ]),
    );
    assert.ok(!md.includes('<script>'));
    assert.match(md, /❌ x:1\\\|2/);
    assert.match(md, /a\|b &lt;script&gt;x&lt;\/script&gt; next<\/summary>/);
    const ctl = buildSummary(
      results([
        cell({ scenario: 's', variant: 'v', board: 'b', status: 'fail', reason: 'bad\u0000byte \u001b[31mred' }),
      ]),
    );
    // eslint-disable-next-line no-control-regex -- the test looks for raw control characters on purpose
    assert.ok(!/[\u0000\u001b]/.test(ctl), 'no raw control characters in the comment');
    assert.match(ctl, /bad\\x00byte \\x1b\[31mred<\/summary>/);
  });

  it(`stays under ${COMMENT_LIMIT} characters for 5,000 cells with long reasons and says what was dropped`, () => {
    const big = syntheticResults(5000, { longReasons: true });
    const baseline = syntheticResults(5000, { longReasons: true, seed: 7, runId: 'yesterday' });
    for (const withBaseline of [false, true]) {
      const md = buildSummary(big, withBaseline ? { baseline } : {});
      assert.ok(md.length < COMMENT_LIMIT, `summary is ${md.length} characters`);
      assert.match(
        md,
        /Omitted to stay under GitHub's 65,536-character limit: .*failure details for \d[\d,]* of \d[\d,]* failing cells/,
      );
      assert.match(md, /all-passing grid rows/);
      assert.match(md, /^## ❌ Rig: [\d,]+ failed, [\d,]+ errors — 5,000 cells/);
      if (withBaseline) assert.match(md, /\*\*New failures \(\d[\d,]*\)\*\*/);
    }
    // A grid too large even when collapsed: many boards, all failing → truncated with a note.
    const wide = syntheticResults(5000, { longReasons: true });
    wide.cells = wide.cells.map((c, i) => ({
      ...c,
      board: `board-${i % 40}`,
      status: 'fail',
      quarantine: undefined,
      outcome: { kind: 'timeout', code: `x:${i}` },
    }));
    const md = buildSummary(wide, { baseline });
    assert.ok(md.length < COMMENT_LIMIT, `summary is ${md.length} characters`);
    assert.match(md, /text truncated/);
    assert.match(md, /entries of the baseline lists/);
  });
});
