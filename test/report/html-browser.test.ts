// report.html in a real headless Chromium, as a maintainer opens it: a full-matrix-sized run with failures on
// scenarios that sort last, at 1400 and 400 px. The first failure must be on the first screen, the page must not
// be wider than a phone, the filters must change the grid, the cards and the list and live in the URL, and a
// failing cell's serial log must be one click away.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { writeReports } from '../../rig/report/index.ts';
import { makeRedactor } from '../../rig/report/redact.ts';
import { matrixLikeRun } from '../../rig/report/synthetic.ts';
import { launchChromium, type Browser } from '../helpers/browser.ts';
import { cell, results, tmpDir, writeFile } from './helpers.ts';

const HOSTILE = '</script><script>alert(1)</script><img src=x onerror=alert(2)>';

describe('report.html in headless Chromium', function () {
  this.timeout(120_000);
  let browser: Browser | undefined;
  const dir = tmpDir();
  const run = matrixLikeRun(dir);
  const url = `file://${writeReports(dir, run, { redactor: makeRedactor([]) }).paths.html}`;
  const dialogs: string[] = [];
  const badRowCount = new Set(
    run.cells.filter((c) => c.status === 'fail' || c.status === 'error').map((c) => `${c.scenario}/${c.variant}`),
  ).size;

  before(async function () {
    const b = await launchChromium();
    if (typeof b === 'string') {
      console.log(`skip: ${b}`);
      this.skip();
    }
    browser = b;
  });
  after(async () => browser?.close());

  async function open(width: number, height: number, hash = ''): Promise<Page> {
    const page = await browser!.context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.setViewportSize({ width, height });
    await page.goto(url + hash);
    await page.waitForSelector('#fail-list .card', { state: 'attached' });
    return page;
  }

  for (const [width, height] of [
    [1400, 900],
    [400, 800],
  ] as const) {
    it(`shows the first failure on the first screen at ${width} px, and is no wider than the window`, async () => {
      const page = await open(width, height);
      const m = await page.evaluate(() => {
        const card = document.querySelector('#fail-list .card')!.getBoundingClientRect();
        return {
          top: card.top,
          scrollWidth: document.documentElement.scrollWidth,
          innerWidth,
          innerHeight,
          firstCard: document.querySelector('#fail-list .card .ch')!.textContent,
          lastRowTop: document.querySelector('#cells-body tr:last-child')?.getBoundingClientRect().top ?? 0,
        };
      });
      assert.ok(m.top >= 0 && m.top + 60 < m.innerHeight, `first failure card at ${m.top} px of ${m.innerHeight}`);
      assert.match(m.firstCard ?? '', /^fail \S+-scenario-28\/broken on /, 'failures before errors');
      assert.ok(m.scrollWidth <= m.innerWidth, `page is ${m.scrollWidth} px wide in a ${m.innerWidth} px window`);
      await page.close();
    });
  }

  it('tints failing rows of the list and marks failing rows of the grid', async () => {
    const page = await open(1400, 900);
    await page.click('#cells summary');
    await page.click('#grid-box summary');
    const tint = await page.evaluate(() => {
      const bad = document.querySelector('#cells-body tr.s-fail')!;
      const ok = document.querySelector('#cells-body tr.s-pass')!;
      return [getComputedStyle(bad).backgroundColor, getComputedStyle(ok).backgroundColor];
    });
    assert.notEqual(tint[0], tint[1], 'a failing row has its own background');
    assert.equal(await page.locator('#grid tr.bad').count(), badRowCount);
    await page.close();
  });

  it('filters change the grid, the cards and the list, and are kept in the URL', async () => {
    const page = await open(1400, 900);
    const visibleGridRows = (): Promise<number> =>
      page.evaluate(() => [...document.querySelectorAll('#grid tr')].filter((r) => !(r as HTMLElement).hidden).length);
    const allRows = await visibleGridRows();
    await page.uncheck('#filters input[value=pass]');
    await page.uncheck('#filters input[value=skip]');
    const badRows = await visibleGridRows();
    assert.equal(badRows, 1 + badRowCount, 'the header and the rows with a failure or error');
    assert.ok(allRows > badRows);
    assert.match(page.url(), /#status=fail,error,quarantined,flaky$/);
    const options = await page.locator('#f-board option').allTextContents();
    assert.deepEqual(options.slice(1), [...new Set(run.cells.map((c) => c.board))]);
    await page.selectOption('#f-board', 'esp8266');
    assert.match(page.url(), /&board=esp8266$/);
    const cards = await page.evaluate(() =>
      [...document.querySelectorAll('#fail-list .card')]
        .filter((c) => !(c as HTMLElement).hidden)
        .map((c) => c.querySelector('.ch')!.textContent),
    );
    assert.ok(cards.length > 0 && cards.every((t) => / on esp8266 /.test(t ?? '')), cards.join(' | '));
    assert.equal(
      await page.textContent('#shown'),
      `showing ${run.cells.filter((c) => (c.status === 'fail' || c.status === 'error') && c.board === 'esp8266').length} of ${run.cells.length}`,
    );
    // A link with the filters opens the same view.
    const again = await open(400, 800, '#status=fail&board=esp8266&q=scenario-28');
    const state = await again.evaluate(() => ({
      checked: [...document.querySelectorAll<HTMLInputElement>('#filters input[type=checkbox]')]
        .filter((b) => b.checked)
        .map((b) => b.value),
      board: (document.getElementById('f-board') as HTMLSelectElement).value,
      text: (document.getElementById('f-text') as HTMLInputElement).value,
      cards: [...document.querySelectorAll('#fail-list .card')].filter((c) => !(c as HTMLElement).hidden).length,
    }));
    assert.deepEqual(state, { checked: ['fail'], board: 'esp8266', text: 'scenario-28', cards: 1 });
    await page.close();
    await again.close();
  });

  it("opens a failing cell's serial log with one click", async () => {
    const page = await open(400, 800);
    const first = page.locator('#fail-list .card').first();
    await first.locator('details summary', { hasText: 'serial log' }).click();
    // The log is built on the details' toggle event, which fires after the click resolves.
    await first.locator('details pre.log').first().waitFor({ timeout: 5000 });
    const lines = await first.locator('details pre.log span').count();
    assert.equal(lines, 5);
    await page.close();
  });

  it('shows hostile serial text and reasons as text, runs none of it', async () => {
    const d = tmpDir();
    writeFile(d, 'logs/h.log', `boot\n${HOSTILE}\n`);
    const r = results([
      cell({
        scenario: 's',
        variant: 'v',
        board: `<b>x</b>`,
        status: 'fail',
        reason: HOSTILE,
        serialLog: 'logs/h.log',
        matchedLines: [1],
      }),
    ]);
    const file = writeReports(d, r, { redactor: makeRedactor([]) }).paths.html;
    const page = await browser!.context.newPage();
    page.on('dialog', (x) => {
      dialogs.push(x.message());
      void x.dismiss();
    });
    await page.goto(`file://${file}`);
    await page.waitForSelector('#fail-list .card');
    const text = await page.textContent('#fail-list .card');
    assert.ok(text?.includes(HOSTILE), 'the reason shows literally');
    assert.equal(await page.locator('#fail-list img, #fail-list b').count(), 0, 'no element from the data');
    assert.ok((await page.locator('#fail-list pre.log').first().textContent())?.includes(HOSTILE));
    assert.deepEqual(dialogs, [], 'no script from the data ran');
    await page.close();
  });
});
