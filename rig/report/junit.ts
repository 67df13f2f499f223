// junit.xml: one <testsuite> per board, one <testcase> per scenario/variant, following the
// Ant/Jenkins shape that GitLab and the GitHub reporter actions read (see docs/tool-facts.md §7).
import type { Cell, Results } from '../results/schema.ts';
import { coreSuffix, expectedText, gotText } from './cells.ts';
import { lastLines, type LogStore, type LogText } from './logs.ts';
import { xmlAttr, xmlText } from './xml.ts';

export interface JunitOptions {
  /** Total budget for embedded logs; GitLab refuses junit files over 30 MB. */
  logBudgetChars?: number;
  /** Cap for one failing cell's serial log. */
  maxLogCharsBad?: number;
  /** Cap for one passing cell's serial log. */
  maxLogCharsGood?: number;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

function logExcerpt(log: LogText | undefined, rel: string | undefined, label: string, cap: number): string {
  if (!rel) return '';
  if (!log) return `--- ${label}: ${rel} (file missing) ---\n`;
  const { lines, firstNumber } = lastLines(log, Number.MAX_SAFE_INTEGER);
  const kept: string[] = [];
  let size = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    size += lines[i].length + 1;
    if (size > cap && kept.length > 0) break;
    kept.push(lines[i].length > cap ? lines[i].slice(0, cap) + '…' : lines[i]);
  }
  kept.reverse();
  const from = firstNumber + lines.length - kept.length;
  const note =
    from > 1 || log.totalLines > kept.length
      ? ` (last ${kept.length} of ${log.totalLines} lines, from line ${from}; full log in the run artifact: ${rel})`
      : '';
  return `--- ${label}: ${rel}${note} ---\n${kept.join('\n')}\n`;
}

function property(name: string, value: string): string {
  return `<property name="${xmlAttr(name)}" value="${xmlAttr(value)}"/>`;
}

function testcaseName(c: Cell, ambiguous: boolean): string {
  const base = `${c.scenario}/${c.variant}`;
  if (!ambiguous) return base;
  return `${base} [${c.target}${coreSuffix(c)}]`;
}

function problemText(c: Cell): string {
  const lines: string[] = [];
  if (c.reason) lines.push(c.reason);
  const exp = expectedText(c);
  if (exp) lines.push(`expected: ${exp}`);
  lines.push(`got: ${gotText(c)}`);
  for (const f of c.failures) if (f !== c.reason) lines.push(`- ${f}`);
  if (c.outcome.facts?.length) lines.push(`facts: ${c.outcome.facts.join('; ')}`);
  return lines.join('\n');
}

function testcase(c: Cell, name: string, logs: LogStore, cap: number): string {
  const parts: string[] = [];
  const props = [property('id', c.id), property('target', c.target), property('outcome', c.outcome.kind)];
  if (c.outcome.code) props.push(property('code', c.outcome.code));
  if (c.attempts > 1) props.push(property('attempts', String(c.attempts)));
  if (c.status === 'flaky') props.push(property('flaky', 'true'));
  if (c.quarantine) props.push(property('quarantine', c.quarantine));
  parts.push(`<properties>${props.join('')}</properties>`);

  const message = c.reason ?? gotText(c);
  if (c.quarantine) {
    parts.push(`<skipped message="${xmlAttr(`quarantined: ${c.quarantine} (status ${c.status}: ${message})`)}"/>`);
  } else if (c.status === 'skip') {
    parts.push(`<skipped message="${xmlAttr(c.reason ?? 'skipped')}"/>`);
  } else if (c.status === 'fail') {
    parts.push(
      `<failure message="${xmlAttr(message)}" type="${xmlAttr(c.outcome.kind)}">${xmlText(problemText(c))}</failure>`,
    );
  } else if (c.status === 'error') {
    parts.push(
      `<error message="${xmlAttr(message)}" type="${xmlAttr(c.outcome.kind)}">${xmlText(problemText(c))}</error>`,
    );
  }

  const out =
    logExcerpt(logs.get(c.serialLog), c.serialLog, 'serial', cap) +
    (c.status === 'fail' || c.status === 'error'
      ? logExcerpt(logs.get(c.brokerLog), c.brokerLog, 'broker', Math.min(cap, 16384))
      : '');
  if (out) parts.push(`<system-out>${xmlText(out)}</system-out>`);
  if (c.status === 'flaky') {
    parts.push(
      `<system-err>${xmlText(`flaky: passed after ${c.attempts} attempts${c.reason ? ` (${c.reason})` : ''}`)}</system-err>`,
    );
  }
  return `    <testcase classname="${xmlAttr(`${c.board}.${c.scenario}`)}" name="${xmlAttr(name)}" time="${seconds(c.durationMs)}">\n      ${parts.join('\n      ')}\n    </testcase>`;
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  ms: number;
}

function count(cells: readonly Cell[]): Counts {
  const k: Counts = { tests: cells.length, failures: 0, errors: 0, skipped: 0, ms: 0 };
  for (const c of cells) {
    k.ms += c.durationMs;
    if (c.quarantine || c.status === 'skip') k.skipped++;
    else if (c.status === 'fail') k.failures++;
    else if (c.status === 'error') k.errors++;
  }
  return k;
}

const countAttrs = (k: Counts): string =>
  `tests="${k.tests}" failures="${k.failures}" errors="${k.errors}" skipped="${k.skipped}" time="${seconds(k.ms)}"`;

export function buildJunit(results: Results, logs: LogStore, opts: JunitOptions = {}): string {
  const cells = results.cells;
  const budget = opts.logBudgetChars ?? 20_000_000;
  const perCell = Math.max(1024, Math.floor(budget / Math.max(1, cells.length)));
  const capBad = Math.min(opts.maxLogCharsBad ?? 65_536, perCell * 4);
  const capGood = Math.min(opts.maxLogCharsGood ?? 8_192, perCell);

  const byBoard = new Map<string, Cell[]>();
  for (const c of cells) {
    const list = byBoard.get(c.board) ?? [];
    list.push(c);
    byBoard.set(c.board, list);
  }
  const timestamp = results.run.startedAt.replace(/Z$|[+-]\d\d:\d\d$/, '');
  const host = results.run.host ?? '';
  const suites: string[] = [];
  for (const [board, list] of byBoard) {
    const nameCount = new Map<string, number>();
    for (const c of list)
      nameCount.set(`${c.scenario}/${c.variant}`, (nameCount.get(`${c.scenario}/${c.variant}`) ?? 0) + 1);
    const props = [
      property('board', board),
      property('run', results.run.id),
      ...Object.entries(results.run.versions).map(([k, v]) => property(`version.${k}`, v)),
    ];
    const cases = list.map((c) => {
      const bad = c.status === 'fail' || c.status === 'error';
      return testcase(
        c,
        testcaseName(c, (nameCount.get(`${c.scenario}/${c.variant}`) ?? 0) > 1),
        logs,
        bad ? capBad : capGood,
      );
    });
    suites.push(
      `  <testsuite name="${xmlAttr(board)}" ${countAttrs(count(list))} timestamp="${xmlAttr(timestamp)}" hostname="${xmlAttr(host)}">\n` +
        `    <properties>${props.join('')}</properties>\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="rig ${xmlAttr(results.run.id)}" ${countAttrs(count(cells))} timestamp="${xmlAttr(timestamp)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
