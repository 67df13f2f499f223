// Reads TypeScript sources with the compiler API for the architecture tests: which module each file imports
// (static, type-only, re-export and dynamic imports alike), the folder graph of rig/ and its cycles, and the
// length of every function.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export interface Source {
  /** Path relative to the project root, with forward slashes (rig/runner/run.ts). */
  file: string;
  text: string;
}

export interface Import {
  from: string;
  /** The imported file, relative to the project root; only relative specifiers are resolved. */
  to: string;
  line: number;
}

/** Every .ts file under `dir` (relative to `root`). */
export function readSources(root: string, dir: string): Source[] {
  const out: Source[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(path.join(root, d), { withFileTypes: true })) {
      const rel = `${d}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.ts')) out.push({ file: rel, text: readFileSync(path.join(root, rel), 'utf8') });
    }
  };
  walk(dir);
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

const parsed = new WeakMap<Source, ts.SourceFile>();

function parse(s: Source): ts.SourceFile {
  let sf = parsed.get(s);
  if (!sf) {
    sf = ts.createSourceFile(s.file, s.text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    parsed.set(s, sf);
  }
  return sf;
}

/** The relative imports of a file: `import … from`, `export … from`, `import type`, `import('…')`. */
export function importsOf(s: Source): Import[] {
  const sf = parse(s);
  const out: Import[] = [];
  const add = (spec: ts.Expression | undefined, at: ts.Node): void => {
    if (!spec || !ts.isStringLiteralLike(spec) || !spec.text.startsWith('.')) return;
    const to = path.posix.normalize(path.posix.join(path.posix.dirname(s.file), spec.text));
    out.push({ from: s.file, to, line: sf.getLineAndCharacterOfPosition(at.getStart(sf)).line + 1 });
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) add(n.moduleSpecifier, n);
    else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) add(n.arguments[0], n);
    else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference))
      add(n.moduleReference.expression, n);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** The folder a file of rig/ belongs to: rig/<folder>, or rig itself for its top-level files. */
export function folderOf(file: string): string {
  const parts = file.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/** Folder → folder edges, each with the imports that make it. */
export function folderGraph(sources: Source[]): Map<string, Map<string, Import[]>> {
  const g = new Map<string, Map<string, Import[]>>();
  for (const s of sources) {
    for (const imp of importsOf(s)) {
      const a = folderOf(imp.from);
      const b = folderOf(imp.to);
      if (a === b) continue;
      const edges = g.get(a) ?? new Map<string, Import[]>();
      edges.set(b, [...(edges.get(b) ?? []), imp]);
      g.set(a, edges);
    }
  }
  return g;
}

/** Groups of folders that import each other, directly or round a loop (Tarjan's strongly connected components). */
export function cycles(g: Map<string, Map<string, Import[]>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop()!; ; w = stack.pop()!) {
      onStack.delete(w);
      component.push(w);
      if (w === v) break;
    }
    if (component.length > 1) out.push(component.sort());
  };
  for (const v of g.keys()) if (!index.has(v)) connect(v);
  return out;
}

export interface FunctionSpan {
  file: string;
  name: string;
  line: number;
  lines: number;
}

/** Every function with a body (declarations, methods, arrows, expressions, accessors) and its length in lines. */
export function functionSpans(s: Source): FunctionSpan[] {
  const sf = parse(s);
  const out: FunctionSpan[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) && 'body' in n && n.body) {
      const start = sf.getLineAndCharacterOfPosition(n.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(n.getEnd()).line;
      const name = n.name && ts.isIdentifier(n.name) ? n.name.text : ts.SyntaxKind[n.kind];
      out.push({ file: s.file, name, line: start + 1, lines: end - start + 1 });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}
