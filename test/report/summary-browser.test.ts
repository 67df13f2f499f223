// summary.md as a PR comment: rendered as GitHub Flavored Markdown (marked, GFM tables and raw <details>) in a
// comment-sized column of headless Chromium, for a full-matrix-sized run whose failures sort last. The first
// failing row must be on the first screen, on a desktop and on a phone.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { marked } from 'marked';
import { writeReports } from '../../rig/report/index.ts';
import { makeRedactor } from '../../rig/report/redact.ts';
import { matrixLikeRun } from '../../rig/report/synthetic.ts';
import { launchChromium, type Browser } from '../helpers/browser.ts';
import { tmpDir } from './helpers.ts';

// Roughly GitHub's comment body: a ~760 px column, 14 px text, bordered tables that scroll sideways.
const PAGE = (body: string): string => `<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{margin:0;font:14px/1.5 -apple-system,"Segoe UI",sans-serif}.comment{max-width:760px;margin:16px auto;padding:16px;border:1px solid #d0d7de;border-radius:6px}
h2{font-size:1.5em;border-bottom:1px solid #d0d7de;padding-bottom:.3em}table{display:block;overflow:auto;border-collapse:collapse}th,td{border:1px solid #d0d7de;padding:6px 13px}
pre{overflow:auto;background:#f6f8fa;padding:16px}</style></head><body><div class="comment">${body}</div></body></html>`;

describe('summary.md rendered as a PR comment in headless Chromium', function () {
  this.timeout(120_000);
  let browser: Browser | undefined;
  const dir = tmpDir();
  const run = matrixLikeRun(dir);
  run.run.repoUrl = 'https://github.com/acme/rig';
  const md = readFileSync(
    writeReports(dir, run, { redactor: makeRedactor([]), artifactUrl: 'https://github.com/acme/rig/actions/runs/1' })
      .paths.summary,
    'utf8',
  );
  const html = PAGE(marked.parse(md, { gfm: true, async: false }));

  before(async function () {
    const b = await launchChromium();
    if (typeof b === 'string') {
      console.log(`skip: ${b}`);
      this.skip();
    }
    browser = b;
  });
  after(async () => browser?.close());

  for (const [width, height] of [
    [1400, 900],
    [400, 800],
  ] as const) {
    it(`shows the first failing row on the first screen at ${width} px`, async () => {
      const page = await browser!.context.newPage();
      await page.setViewportSize({ width, height });
      await page.setContent(html);
      const m = await page.evaluate(() => {
        const h = [...document.querySelectorAll('h3')].find((x) => x.textContent?.startsWith('Failures'));
        const row = h?.nextElementSibling?.querySelector('tbody tr');
        const grid = [...document.querySelectorAll('details summary')].find((s) =>
          s.textContent?.startsWith('All cells'),
        );
        return {
          rowTop: row?.getBoundingClientRect().top ?? -1,
          rowText: row?.textContent ?? '',
          legend: !!document.querySelector('sub')?.textContent?.includes('error: the rig'),
          gridOpen: (grid?.parentElement as HTMLDetailsElement | undefined)?.open,
          innerHeight,
        };
      });
      assert.ok(
        m.rowTop > 0 && m.rowTop + 30 < m.innerHeight,
        `first failing row at ${m.rowTop} px of ${m.innerHeight}`,
      );
      assert.match(m.rowText, /scenario-28\/broken/);
      assert.ok(m.legend, 'a legend for the status emoji');
      assert.equal(m.gridOpen, false, 'the grid is folded');
      await page.close();
    });
  }
});
