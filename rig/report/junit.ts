// junit.xml, valid against the Jenkins junit-10.xsd that GitHub's test-report actions and GitLab read: one
// <testsuite> per scenario (its `file` the scenario file), one <testcase> per cell named with its board and
// target. That schema allows no properties or file/line on a testcase, so a failure's text starts with
// "at <file>:<line>:<column>", the position of the failing expectation, which the report actions take for the
// annotation's place; the rest of a cell's facts (id, outcome, attempts, rerun) open its <system-out>.
// XML is written by fast-xml-parser's builder; stripInvalidXml keeps serial garbage from breaking XML 1.0.
import { cellTimeline } from './timeline.ts';
import { XMLBuilder } from 'fast-xml-parser';
import type { Cell, Results } from '../results/schema.ts';
import { columnKey, expectedText, gotText } from './cells.ts';
import { lastLines, type LogStore, type LogText } from './logs.ts';
import { stripInvalidXml } from './xml.ts';

export interface JunitOptions {
  /** Total budget for embedded logs; GitLab refuses junit files over 30 MB. */
  logBudgetChars?: number;
  /** Cap for one failing cell's serial log. */
  maxLogCharsBad?: number;
  /** Cap for one passing cell's serial log. */
  maxLogCharsGood?: number;
}

type XmlNode = Record<string, unknown>;

const seconds = (ms: number): string => (ms / 1000).toFixed(3);
/** Attribute text: XML-safe and on one line (parsers fold newlines in attributes to spaces anyway). */
const attr = (s: string, max = 1000): string => {
  const one = stripInvalidXml(s).replace(/\s*[\r\n]+\s*/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
};

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

/** "seed-002/broken on esp8266 (twin)": the board and target in every name, so annotations and lists say which. */
export function testcaseName(c: Cell): string {
  return `${c.scenario}/${c.variant} on ${columnKey(c)} (${c.target})`;
}

/** "at scenarios/x.yaml:97:7 (expect.broken.esp8266.kind)": where the failing expectation is written. */
export function locationLine(c: Cell): string | undefined {
  const l = c.location;
  return l ? `at ${l.file}:${l.line}:${l.column} (${l.field})` : undefined;
}

function problemText(c: Cell): string {
  const lines: string[] = [];
  const at = locationLine(c);
  if (at) lines.push(`    ${at}`);
  if (c.reason) lines.push(c.reason);
  const exp = expectedText(c);
  if (exp) lines.push(`expected: ${exp}`);
  lines.push(`got: ${gotText(c)}`);
  if (c.modelled) lines.push(c.modelled);
  for (const f of c.failures) if (f !== c.reason) lines.push(`- ${f}`);
  if (c.outcome.facts?.length) lines.push(`facts: ${c.outcome.facts.join('; ')}`);
  if (c.rerun) lines.push(`rerun: ${c.rerun}`);
  if (c.reproduce) lines.push(`reproduce by hand: ${c.reproduce}`);
  for (const l of c.links ?? []) lines.push(`reported at: ${l}`);
  return stripInvalidXml(lines.join('\n'));
}

function factsHeader(c: Cell): string {
  const lines = [`id: ${c.id}`, `target: ${c.target}`, `outcome: ${gotText(c)}`];
  if (c.modelled) lines.push(c.modelled);
  if (c.attempts > 1) lines.push(`attempts: ${c.attempts}${c.status === 'flaky' ? ' (flaky)' : ''}`);
  if (c.quarantine) lines.push(`quarantined: ${c.quarantine}`);
  if (c.rerun) lines.push(`rerun: ${c.rerun}`);
  for (const n of c.notes ?? []) lines.push(`note: ${n}`);
  const timeline = cellTimeline(c);
  if (timeline.length) lines.push('steps (board time):', ...timeline);
  return `${lines.join('\n')}\n`;
}

function testcase(c: Cell, logs: LogStore, cap: number): XmlNode {
  const node: XmlNode = {
    '@_classname': attr(c.scenario),
    '@_name': attr(testcaseName(c)),
    '@_time': seconds(c.durationMs),
  };
  const message = attr(c.reason ?? gotText(c));
  const bad = c.status === 'fail' || c.status === 'error';
  if (c.quarantine)
    node.skipped = { '@_message': attr(`quarantined: ${c.quarantine} (status ${c.status}: ${message})`) };
  else if (c.status === 'skip') node.skipped = { '@_message': attr(c.reason ?? 'skipped') };
  else if (bad)
    node[c.status === 'fail' ? 'failure' : 'error'] = {
      '@_message': message,
      '@_type': attr(c.outcome.kind),
      '#text': problemText(c),
    };
  const out =
    factsHeader(c) +
    logExcerpt(logs.get(c.serialLog), c.serialLog, 'serial', cap) +
    (bad ? logExcerpt(logs.get(c.brokerLog), c.brokerLog, 'broker', Math.min(cap, 16384)) : '');
  node['system-out'] = stripInvalidXml(out);
  if (c.status === 'flaky')
    node['system-err'] = stripInvalidXml(
      `flaky: passed after ${c.attempts} attempts${c.reason ? ` (${c.reason})` : ''}`,
    );
  return node;
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

function suite(scenario: string, list: Cell[], results: Results, logs: LogStore, caps: [number, number]): XmlNode {
  const k = count(list);
  const first = list[0]!;
  const props: [string, string][] = [['run', results.run.id]];
  if (results.run.commit) props.push(['commit', results.run.commit]);
  if (first.title) props.push(['title', first.title]);
  for (const l of first.links ?? []) props.push(['link', l]);
  for (const [name, v] of Object.entries(results.run.versions)) props.push([`version.${name}`, v]);
  return {
    '@_name': attr(scenario),
    '@_tests': String(k.tests),
    '@_failures': String(k.failures),
    '@_errors': String(k.errors),
    '@_skipped': String(k.skipped),
    '@_time': seconds(k.ms),
    '@_timestamp': results.run.startedAt.replace(/Z$|[+-]\d\d:\d\d$/, ''),
    ...(results.run.host ? { '@_hostname': attr(results.run.host) } : {}),
    ...(first.location ? { '@_file': attr(first.location.file) } : {}),
    properties: { property: props.map(([name, value]) => ({ '@_name': attr(name), '@_value': attr(value) })) },
    testcase: list.map((c) => testcase(c, logs, c.status === 'fail' || c.status === 'error' ? caps[0] : caps[1])),
  };
}

export function buildJunit(results: Results, logs: LogStore, opts: JunitOptions = {}): string {
  const cells = results.cells;
  const perCell = Math.max(1024, Math.floor((opts.logBudgetChars ?? 20_000_000) / Math.max(1, cells.length)));
  const caps: [number, number] = [
    Math.min(opts.maxLogCharsBad ?? 65_536, perCell * 4),
    Math.min(opts.maxLogCharsGood ?? 8_192, perCell),
  ];
  const byScenario = new Map<string, Cell[]>();
  for (const c of cells) {
    const list = byScenario.get(c.scenario) ?? [];
    list.push(c);
    byScenario.set(c.scenario, list);
  }
  const k = count(cells);
  const doc = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    testsuites: {
      '@_name': attr(`rig ${results.run.id}`),
      '@_tests': String(k.tests),
      '@_failures': String(k.failures),
      '@_errors': String(k.errors),
      '@_time': seconds(k.ms),
      testsuite: [...byScenario].map(([s, list]) => suite(s, list, results, logs, caps)),
    },
  };
  const builder = new XMLBuilder({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    format: true,
    indentBy: '  ',
    suppressEmptyNode: true,
  });
  return builder.build(doc) as string;
}
