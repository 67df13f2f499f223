import assert from 'node:assert/strict';
import { buildHtml, scriptJson } from '../../rig/report/html.ts';
import { makeLogStore } from '../../rig/report/logs.ts';
import { makeRedactor } from '../../rig/report/redact.ts';
import { syntheticResults } from '../../rig/report/synthetic.ts';
import { cell, results, tmpDir, writeFile } from './helpers.ts';

const HOSTILE = '</script><script>alert(1)</script>';

describe('report/html', () => {
  const dir = tmpDir();
  writeFile(dir, 'logs/s.log', `boot\nMQTT connecting\n${HOSTILE}\n<img src=x onerror=alert(2)>\n\u2028line sep\n`);
  writeFile(dir, 'logs/broker.log', '1700000000: New connection from 127.0.0.1:5555 on port 8883.\n');
  const r = results(
    [
      cell({
        scenario: 'cn',
        variant: 'b',
        board: 'esp32',
        status: 'fail',
        reason: `reason ${HOSTILE}`,
        serialLog: 'logs/s.log',
        brokerLog: 'logs/broker.log',
        matchedLines: [2],
        outcome: { kind: 'tls/name-mismatch', code: 'mbedtls:-9984' },
        quarantine: 'https://github.com/acme/rig/issues/3',
        certificates: [
          {
            name: 'server',
            subject: 'CN=<b>x</b>',
            issuer: 'CN=ca',
            san: ['IP:127.0.0.1'],
            notBefore: '2026-01-01',
            notAfter: '2027-01-01',
            key: 'RSA 2048',
            signature: 'sha256WithRSAEncryption',
            version: 3,
            isCA: false,
          },
        ],
        timings: { build: 1200, handshake: 340 },
      }),
      cell({ scenario: `x${HOSTILE}`, variant: 'v', board: `<b onmouseover=alert(3)>`, status: 'pass' }),
    ],
    `run-${HOSTILE}`,
  );
  const html = buildHtml(r, { logs: makeLogStore(dir, makeRedactor([])) });

  it('is self-contained: no external src/href, no @import or url(), a CSP that forbids network', () => {
    assert.ok(!/\b(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?\/\//i.test(html), 'no network src/href');
    assert.ok(!/<link\b/i.test(html));
    assert.ok(!/@import|url\(/i.test(html));
    assert.match(
      html,
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">/,
    );
    assert.equal((html.match(/<script\b/g) ?? []).length, 2, 'only the data block and the page script');
  });

  it('keeps hostile serial output inert', () => {
    // The literal closing tag appears exactly once per script element we wrote, never from data.
    assert.equal((html.match(/<\/script/gi) ?? []).length, 2);
    assert.ok(!html.includes('alert(1)</script>'));
    assert.ok(!html.includes('<img src=x'));
    assert.ok(!html.includes('<b onmouseover'));
    assert.match(html, /<title>✔ Rig report run-&lt;\/script&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/title>/);
    // The data block still carries the exact text, for the page to show via textContent.
    const m = /<script type="application\/json" id="rig-data">([\s\S]*?)<\/script>/.exec(html);
    assert.ok(m);
    assert.ok(m[1].includes('\\u003c/script\\u003e\\u003cscript\\u003ealert(1)'));
    const data = JSON.parse(m[1]) as {
      logs: Record<string, { head: string[] }>;
      cells: { reason?: string; matchedLines?: number[] }[];
    };
    assert.equal(data.logs['logs/s.log'].head[2], HOSTILE);
    assert.equal(data.cells[0].reason, `reason ${HOSTILE}`);
    assert.deepEqual(data.cells[0].matchedLines, [2]);
    assert.ok(data.logs['logs/broker.log']);
    // The page script never uses innerHTML/outerHTML/document.write/eval with data.
    const js = html.slice(html.lastIndexOf('<script>'));
    assert.ok(!/innerHTML|outerHTML|document\.write|eval\(|new Function/.test(js));
  });

  it('scriptJson escapes every way out of a script element', () => {
    const s = scriptJson({ a: '</script><!-- \u2028 & >' });
    assert.ok(!/[<>&\u2028]/.test(s));
    assert.deepEqual(JSON.parse(s), { a: '</script><!-- \u2028 & >' });
  });

  it('has filters, grid and lazy logs for a 5,000-cell run', () => {
    const big = buildHtml(syntheticResults(5000));
    for (const id of ['f-board', 'f-text', 'grid', 'cells-body', 'fail-list'])
      assert.ok(big.includes(`id="${id}"`), id);
    for (const s of ['pass', 'fail', 'error', 'skip', 'flaky', 'quarantined'])
      assert.ok(big.includes(`value="${s}" checked`), s);
    // No per-cell markup is generated server-side: rows and logs are built by the page on demand.
    assert.ok(!big.includes('<tr class="row') && !big.includes('<article'));
    // The failures come before the grid and the list in the page.
    assert.ok(big.indexOf('id="fail-list"') < big.indexOf('id="grid"'));
    assert.ok(big.indexOf('id="grid"') < big.indexOf('id="cells-body"'));
    assert.ok(big.length < 8_000_000, `html is ${big.length} characters`);
  });
});
