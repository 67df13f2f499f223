// Small builders for report tests: hand-made cells and throwaway run folders.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Cell, Results } from '../../rig/results/schema.ts';

export function cell(over: Partial<Cell> & { scenario: string; variant: string; board: string }): Cell {
  const target = over.target ?? 'twin';
  return {
    id: over.id ?? `${over.scenario}/${over.variant}/${over.board}#${target}`,
    target,
    status: 'pass',
    outcome: { kind: 'connected' },
    failures: [],
    durationMs: 1234,
    attempts: 1,
    ...over,
  };
}

export function results(cells: Cell[], runId = 'run-1'): Results {
  return {
    version: 1,
    run: {
      id: runId,
      startedAt: '2026-11-22T08:00:00.000Z',
      finishedAt: '2026-11-22T08:01:00.000Z',
      rigVersion: '0.1.0',
      target: ['twin'],
      broker: { provider: 'local', version: '2.0.11' },
      versions: { mbedtls: '2.28.3' },
    },
    cells,
  };
}

// One parent folder per test process, removed when the process exits.
let root: string | undefined;
export function tmpDir(prefix = 'rig-report-'): string {
  if (!root) {
    const made = mkdtempSync(join(tmpdir(), 'rig-report-tests-'));
    root = made;
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
  }
  return mkdtempSync(join(root, prefix));
}

export function writeFile(dir: string, rel: string, text: string): void {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), text);
}
