// The README table of forum and seed reproductions with their outcome per board, from a run's results.json.
// Run: node --import tsx rig/forum/readme-table.ts reports/latest/results.json [--readme README.md]
// The table replaces what is between <!-- forum-table:start --> and <!-- forum-table:end --> in the README
// (a section with the markers is appended when they are missing).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Results, type Cell } from '../results/schema.ts';
import { loadScenario } from '../scenario/load.ts';
import { projectPaths } from '../project.ts';
import { coreSuffix } from '../report/cells.ts';

export const START = '<!-- forum-table:start -->';
export const END = '<!-- forum-table:end -->';

export interface ReproductionInfo {
  id: string;
  /** Scenario file, relative to the README's folder. */
  file: string;
  title?: string;
  source: string[];
  tags: string[];
}

const BOARD_ORDER = ['esp32', 'esp8266', 'mkr1000', 'mkrwifi1010', 'control', 'mosquitto-cli'];
const BOARD_TITLE: Record<string, string> = { control: 'PC (mqtt.js)', 'mosquitto-cli': 'PC (mosquitto_sub)' };
const ICON: Record<Cell['status'], string> = { pass: '✅', fail: '❌', error: '⚠️', skip: '⏭️', flaky: '〰️' };

function esc(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function sourceCell(info: ReproductionInfo): string {
  const links = info.source.filter((s) => /^https?:\/\//.test(s));
  const seed = info.source.find((s) => /^seed \d{3}_/.test(s));
  const parts: string[] = [];
  if (seed) parts.push(esc(seed.replace(/_[0-9a-f]+\.txt$/, '')));
  if (links[0]) parts.push(`[${esc(shortLink(links[0]))}](${links[0]})`);
  return parts.join(', ') || '—';
}

function shortLink(url: string): string {
  const u = /^https?:\/\/(?:www\.)?([^/]+)\/(.*)$/.exec(url);
  if (!u) return url;
  const gh = /^github\.com$/.test(u[1]!) ? /^([^/]+\/[^/]+)\/(issues|pull)\/(\d+)/.exec(u[2]!) : null;
  if (gh) return `${gh[1]}#${gh[3]}`;
  return u[1]!;
}

/** One board's cell: a line per variant, e.g. "broken ✅ tls/name-mismatch `bearssl:56`". */
function boardCell(cells: Cell[]): string {
  if (cells.length === 0) return '';
  return cells
    .map((c) => {
      // A pinned core ("esp32@1.0.2") is part of what the line says, like the target.
      const target = `${coreSuffix(c) ? ` (core ${coreSuffix(c).slice(1)})` : ''}${c.target === 'hardware' ? ' (hw)' : ''}`;
      if (c.status === 'skip')
        return `${esc(c.variant)}${target} ${ICON.skip} ${/hardware only/.test(c.reason ?? '') ? 'hardware only' : 'skipped'}`;
      if (c.status === 'error' && c.outcome.kind === 'none')
        return `${esc(c.variant)}${target} ${ICON.error} rig error`;
      const code = c.outcome.code ? ` \`${esc(c.outcome.code)}\`` : '';
      // A module's TLS modelled on a twin says so here too ("modelled: WINC1500 19.6.1" → "modelled WINC1500 19.6.1").
      const modelled = c.modelled ? ` (${esc(c.modelled.replace(/^modelled: /, 'modelled '))})` : '';
      return `${esc(c.variant)}${target} ${ICON[c.status]} ${esc(c.outcome.kind)}${code}${modelled}`;
    })
    .join('<br>');
}

export function renderForumTable(results: Results, infos: ReproductionInfo[]): string {
  const repro = infos
    .filter((i) => i.tags.includes('forum') || i.tags.includes('seed'))
    .sort((a, b) => Number(b.tags.includes('seed')) - Number(a.tags.includes('seed')) || a.id.localeCompare(b.id));
  const byScenario = new Map<string, Cell[]>();
  for (const c of results.cells) {
    // Cells of a board skipped only because the variant has no expectation for it say nothing.
    if (c.status === 'skip' && /^no expectation/.test(c.reason ?? '')) continue;
    byScenario.set(c.scenario, [...(byScenario.get(c.scenario) ?? []), c]);
  }
  const present = repro.filter((i) => byScenario.has(i.id));
  const boards = [...new Set(present.flatMap((i) => byScenario.get(i.id)!.map((c) => c.board)))].sort(
    (a, b) => (BOARD_ORDER.indexOf(a) + 1 || 99) - (BOARD_ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b),
  );
  const counts = { pass: 0, fail: 0, error: 0, skip: 0, flaky: 0 };
  for (const i of present) for (const c of byScenario.get(i.id)!) counts[c.status]++;

  const lines = [
    `Forum and seed reproductions from run \`${esc(results.run.id)}\` (${esc(results.run.target.join(', '))}` +
      `${results.run.broker ? `, broker ${esc(results.run.broker.provider)}` : ''}): ${present.length} reproductions, ` +
      `${counts.pass} cells passed, ${counts.fail} failed, ${counts.error} errors, ${counts.skip} skipped` +
      `${counts.flaky ? `, ${counts.flaky} flaky` : ''}. Each cell lists variant, status, outcome kind and raw code.`,
    '',
    `| Reproduction | Source | ${boards.map((b) => BOARD_TITLE[b] ?? b).join(' | ')} |`,
    `|---|---|${boards.map(() => '---').join('|')}|`,
  ];
  for (const i of present) {
    const cells = byScenario.get(i.id)!;
    const row = boards.map((b) =>
      boardCell(
        cells
          .filter((c) => c.board === b)
          .sort((x, y) => variantRank(x.variant) - variantRank(y.variant) || x.variant.localeCompare(y.variant)),
      ),
    );
    lines.push(
      `| [${esc(i.id)}](${i.file})${i.title ? `<br><sub>${esc(i.title)}</sub>` : ''} | ${sourceCell(i)} | ${row.join(' | ')} |`,
    );
  }
  const missing = repro.filter((i) => !byScenario.has(i.id));
  if (missing.length) lines.push('', `Not in this run: ${missing.map((i) => `\`${esc(i.id)}\``).join(', ')}.`);
  return lines.join('\n');
}

function variantRank(v: string): number {
  return v === 'broken' ? 0 : v === 'fixed' ? 2 : 1;
}

/** Replaces the text between the markers (or appends a section with them). */
export function updateReadme(readme: string, table: string): string {
  const block = `${START}\n${table}\n${END}`;
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a >= 0 && b > a) return `${readme.slice(0, a)}${block}${readme.slice(b + END.length)}`;
  if (a >= 0 || b >= 0) throw new Error(`README: found only one of ${START} / ${END}`);
  return `${readme.replace(/\n*$/, '')}\n\n## Forum reproductions\n\n${block}\n`;
}

/** Scenario facts for the table, read from the scenario files (ids not found in results are listed as missing). */
async function reproductionInfos(files: string[], readmeDir: string): Promise<ReproductionInfo[]> {
  const out: ReproductionInfo[] = [];
  for (const f of files) {
    const { scenario: s } = await loadScenario(f);
    out.push({
      id: s.id,
      file: path.relative(readmeDir, f).split(path.sep).join('/'),
      ...(s.title ? { title: s.title } : {}),
      source: s.source,
      tags: s.tags,
    });
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const [resultsFile, ...rest] = argv;
  if (!resultsFile) {
    process.stderr.write('usage: node --import tsx rig/forum/readme-table.ts RESULTS.json [--readme README.md]\n');
    return 2;
  }
  const paths = projectPaths();
  const ri = rest.indexOf('--readme');
  const readmeFile = path.resolve(ri >= 0 && rest[ri + 1] ? rest[ri + 1]! : path.join(paths.root, 'README.md'));
  const parsed = Results.safeParse(JSON.parse(await readFile(resultsFile, 'utf8')));
  if (!parsed.success) {
    process.stderr.write(
      `${resultsFile}: not a results.json: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`,
    );
    return 2;
  }
  const { allScenarioFiles } = await import('../scenario/files.ts');
  const infos = await reproductionInfos(await allScenarioFiles(paths.scenarios), path.dirname(readmeFile));
  const table = renderForumTable(parsed.data, infos);
  await writeFile(readmeFile, updateReadme(await readFile(readmeFile, 'utf8'), table));
  process.stdout.write(
    `${path.relative(process.cwd(), readmeFile)}: forum table updated (${table.split('\n').filter((l) => l.startsWith('| [')).length} rows)\n`,
  );
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: Error) => {
      process.stderr.write(`${e.message}\n`);
      process.exitCode = 3;
    },
  );
}
