import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { writeReports } from './rig/report/index.ts';
import { makeRedactor } from './rig/report/redact.ts';
import { matrixLikeRun } from './rig/report/synthetic.ts';
import { launchChromium } from './test/helpers/browser.ts';
const dir = mkdtempSync('/tmp/shot-');
const r = matrixLikeRun(dir);
const { paths } = writeReports(dir, r, { redactor: makeRedactor([]) });
const b = await launchChromium();
if (typeof b === 'string') throw new Error(b);
for (const [w, h] of [[1400, 900], [400, 800]]) {
  const page = await b.context.newPage();
  await page.setViewportSize({ width: w, height: h });
  await page.goto('file://' + paths.html);
  await page.screenshot({ path: `/tmp/shot-${w}.png` });
  console.log(w, await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth, document.querySelector('.card')?.getBoundingClientRect().top]));
}
await b.close();
console.log(dir);
