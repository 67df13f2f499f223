// Mocha's spec reporter plus one plain closing line, "N passed, N failed, N skipped", that CI systems read, and
// the slowest test files so the suite's time budget is visible where it goes. Serial runs time each file from its
// first suite to its last (hooks included); under --parallel a worker's events arrive after the file ends, so
// there a file's figure is the sum of its tests' durations (hooks not included).
'use strict';
const path = require('node:path');
const Mocha = require('mocha');
const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_TEST_PASS, EVENT_TEST_FAIL } = Mocha.Runner.constants;

const SHOWN = 12;

class SpecWithTotals extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const parallel = Boolean(options && options.parallel);
    const started = new Map();
    const spent = new Map();
    const add = (file, ms) => {
      if (!file || !Number.isFinite(ms)) return;
      const rel = path.relative(process.cwd(), file);
      spent.set(rel, (spent.get(rel) ?? 0) + ms);
    };
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (!parallel && suite.file && suite.parent && suite.parent.root) started.set(suite, Date.now());
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      const t0 = started.get(suite);
      if (t0 !== undefined) add(suite.file, Date.now() - t0);
    });
    const testTime = (test) => {
      if (parallel) add(test.file, test.duration);
    };
    runner.on(EVENT_TEST_PASS, testTime);
    runner.on(EVENT_TEST_FAIL, testTime);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      const slowest = [...spent].sort((a, b) => b[1] - a[1]).slice(0, SHOWN);
      if (slowest.length > 1) {
        process.stdout.write(`slowest files (${parallel ? 'test time, hooks not included' : 'hooks included'}):\n`);
        for (const [file, ms] of slowest) process.stdout.write(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${file}\n`);
      }
      process.stdout.write(`${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
    });
  }
}

module.exports = SpecWithTotals;
