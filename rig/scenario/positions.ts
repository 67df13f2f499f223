// Where things are written in a scenario file: line and column of a path such as expect.broken.esp8266.kind,
// read from the YAML's own node ranges, so reports and annotations point at the line that states an expectation.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';

export type YamlPath = readonly (string | number)[];

export interface YamlPosition {
  line: number;
  column: number;
  /** The part of the path that exists in the file (a missing tail is located at its deepest parent). */
  path: (string | number)[];
}

/** The node under a key of a mapping, or an item of a sequence; undefined when absent. */
function child(node: unknown, key: string | number): { key?: YamlNode; value: unknown } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(key));
    return pair ? { key: pair.key as YamlNode, value: pair.value } : undefined;
  }
  if (isSeq(node) && typeof key === 'number' && key < node.items.length) return { value: node.items[key] };
  return undefined;
}

/** One scenario file, parsed once, asked for many positions. */
export class ScenarioPositions {
  private readonly counter = new LineCounter();
  private readonly root: unknown;

  constructor(text: string) {
    this.root = parseDocument(text, { lineCounter: this.counter }).contents;
  }

  /** Keys of the mapping at a path (e.g. the board keys of expect.broken), in file order. */
  keys(path: YamlPath): string[] {
    let node: unknown = this.root;
    for (const k of path) node = child(node, k)?.value;
    return isMap(node)
      ? node.items.flatMap((it) => (isPair(it) && isScalar(it.key) ? [String(it.key.value)] : []))
      : [];
  }

  /**
   * 1-based line and column of the deepest node along `path`: a key's position for a mapping entry (the line a
   * reader looks for), an item's own position in a sequence. Undefined only when not even the first key exists.
   */
  at(path: YamlPath): YamlPosition | undefined {
    let node: unknown = this.root;
    let offset: number | undefined;
    const found: (string | number)[] = [];
    for (const k of path) {
      const c = child(node, k);
      const at = c && (c.key ?? (c.value as YamlNode | undefined))?.range?.[0];
      if (!c || at === undefined) break;
      offset = at;
      found.push(k);
      node = c.value;
    }
    if (offset === undefined) return undefined;
    const { line, col } = this.counter.linePos(offset);
    return { line, column: col, path: found };
  }
}
