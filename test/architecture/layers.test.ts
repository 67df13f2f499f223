// The layering rules of rig/ (docs/architecture.md), checked on the real sources with the TypeScript compiler
// API. Each check is first shown to catch a planted violation, so a check that silently found nothing fails.
import assert from 'node:assert/strict';
import { projectPaths } from '../../rig/project.ts';
import { cycles, folderGraph, functionSpans, importsOf, readSources, type Source } from './analyse.ts';

const MAX_FUNCTION_LINES = 120;
const sources = readSources(projectPaths().root, 'rig');

/** Imports of rig/cli from a file outside it. */
function cliImports(files: Source[]): string[] {
  return files
    .filter((s) => !s.file.startsWith('rig/cli/'))
    .flatMap(importsOf)
    .filter((i) => i.to.startsWith('rig/cli/') || i.to === 'rig/cli')
    .map((i) => `${i.from}:${i.line} imports ${i.to}`);
}

function folderCycles(files: Source[]): string[] {
  const g = folderGraph(files);
  return cycles(g).map((c) => {
    const edges = c.flatMap((a) =>
      c.filter((b) => g.get(a)?.has(b)).map((b) => `${a} → ${b} (${g.get(a)!.get(b)![0]!.from})`),
    );
    return `{${c.join(', ')}}: ${edges.join('; ')}`;
  });
}

function longFunctions(files: Source[]): string[] {
  return files
    .flatMap(functionSpans)
    .filter((f) => f.lines > MAX_FUNCTION_LINES)
    .map((f) => `${f.file}:${f.line} ${f.name}: ${f.lines} lines`);
}

describe('architecture: the checks catch what they look for', () => {
  it('an import of rig/cli from a library folder, static, type-only, re-exported or dynamic', () => {
    const planted: Source[] = [
      { file: 'rig/runner/a.ts', text: "import { EXIT } from '../cli/exit.ts';\n" },
      { file: 'rig/diagnose/b.ts', text: "import type { Command } from '../cli/command.ts';\n" },
      { file: 'rig/forum/c.ts', text: "export { x } from '../cli/commands/context.ts';\n" },
      { file: 'rig/bench/d.ts', text: "const m = await import('../cli/main.ts');\n" },
      { file: 'rig/cli/e.ts', text: "import { runMatrix } from '../runner/run.ts';\n" },
    ];
    assert.deepEqual(cliImports(planted), [
      'rig/runner/a.ts:1 imports rig/cli/exit.ts',
      'rig/diagnose/b.ts:1 imports rig/cli/command.ts',
      'rig/forum/c.ts:1 imports rig/cli/commands/context.ts',
      'rig/bench/d.ts:1 imports rig/cli/main.ts',
    ]);
  });

  it('a cycle between folders, also round three of them', () => {
    const planted: Source[] = [
      { file: 'rig/scenario/load.ts', text: "import { x } from '../broker/conf.ts';\n" },
      { file: 'rig/broker/conf.ts', text: "import type { Spec } from '../scenario/schema.ts';\n" },
      { file: 'rig/a/x.ts', text: "import '../b/y.ts';\n" },
      { file: 'rig/b/y.ts', text: "import '../c/z.ts';\n" },
      { file: 'rig/c/z.ts', text: "import '../a/x.ts';\n" },
      { file: 'rig/d/ok.ts', text: "import '../a/x.ts';\n" },
    ];
    const found = folderCycles(planted);
    assert.equal(found.length, 2, found.join('\n'));
    assert.ok(
      found.some((c) => c.startsWith('{rig/broker, rig/scenario}')),
      found.join('\n'),
    );
    assert.ok(
      found.some((c) => c.startsWith('{rig/a, rig/b, rig/c}')),
      found.join('\n'),
    );
  });

  it('a function over the limit, also an arrow or a method', () => {
    const body = (n: number): string => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const planted: Source[] = [
      { file: 'rig/x/long.ts', text: `export function long(): void {\n${body(MAX_FUNCTION_LINES - 1)}\n}\n` },
      { file: 'rig/x/arrow.ts', text: `export const arrow = (): void => {\n${body(MAX_FUNCTION_LINES)}\n};\n` },
      { file: 'rig/x/method.ts', text: `class C {\n  m(): void {\n${body(MAX_FUNCTION_LINES)}\n  }\n}\n` },
      { file: 'rig/x/short.ts', text: `export function short(): void {\n${body(MAX_FUNCTION_LINES - 2)}\n}\n` },
    ];
    assert.deepEqual(longFunctions(planted), [
      `rig/x/long.ts:1 long: ${MAX_FUNCTION_LINES + 1} lines`,
      `rig/x/arrow.ts:1 ArrowFunction: ${MAX_FUNCTION_LINES + 2} lines`,
      `rig/x/method.ts:2 m: ${MAX_FUNCTION_LINES + 2} lines`,
    ]);
  });
});

describe('architecture: rig/', () => {
  it('reads the sources it checks', () => {
    assert.ok(sources.length > 50, `only ${sources.length} files under rig/`);
    assert.ok(sources.some((s) => s.file === 'rig/runner/run.ts'));
    assert.ok(folderGraph(sources).get('rig/runner')?.has('rig/target'), 'the runner imports the target layer');
  });

  it('no file outside rig/cli imports rig/cli: the CLI maps errors to exit codes, libraries throw', () => {
    assert.deepEqual(cliImports(sources), []);
  });

  it('no import cycle between the folders of rig/', () => {
    assert.deepEqual(folderCycles(sources), []);
  });

  it(`no function over ${MAX_FUNCTION_LINES} lines`, () => {
    assert.deepEqual(longFunctions(sources), []);
  });
});
