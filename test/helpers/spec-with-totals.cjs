// Mocha's spec reporter plus one plain closing line, "N passed, N failed, N skipped", that CI systems read, and
// the slowest test files (hooks included) so the suite's time budget is visible where it goes.
'use strict';
const path = require('node:path');
const Mocha = require('mocha');
const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END } = Mocha.Runner.constants;

const SHOWN = 12;

class SpecWithTotals extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const started = new Map();
    const spent = new Map();
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (suite.file && suite.parent && suite.parent.root) started.set(suite, Date.now());
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      const t0 = started.get(suite);
      if (t0 === undefined) return;
      const file = path.relative(process.cwd(), suite.file);
      spent.set(file, (spent.get(file) ?? 0) + Date.now() - t0);
    });
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      const slowest = [...spent].sort((a, b) => b[1] - a[1]).slice(0, SHOWN);
      if (slowest.length > 1) {
        process.stdout.write(`slowest files (hooks included):\n`);
        for (const [file, ms] of slowest) process.stdout.write(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${file}\n`);
      }
      process.stdout.write(`${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
    });
  }
}

module.exports = SpecWithTotals;
