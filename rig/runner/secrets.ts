// Every value of a run no report may show (passwords, passphrases, key lines a sketch receives), and the
// redactor that masks them. Values arrive while the run goes (each cell's sketch gets its own).
import { readdir } from 'node:fs/promises';
import { readFileNoFollow, writeFileNoFollow } from '../sandbox/index.ts';
import path from 'node:path';
import { makeRedactor, type Redactor } from '../report/redact.ts';
import type { ResolvedVariant } from '../scenario/resolve.ts';

export class RunSecrets {
  private readonly values = new Set<string>();
  private readonly words = new Set<string>();
  // Built when first needed after a change: a cell adds its secrets one by one, and each build escapes them all.
  private current: Redactor | undefined;

  add(value: string): void {
    if (!value || this.values.has(value)) return;
    this.values.add(value);
    this.current = undefined;
  }

  /** The run's own words (scenario ids, variants, boards, cores): a short secret is never masked inside them. */
  vocabulary(words: string[]): void {
    for (const w of words) if (w) this.words.add(w);
    this.current = undefined;
  }

  /** Masks every value known so far. */
  readonly redact: Redactor = (text) => {
    this.current ??= makeRedactor([...this.values], [...this.words]);
    return this.current(text);
  };
}

/** Secrets of the variant's broker and PKI; what each cell's sketch receives is added by the target drivers. */
export function brokerSecrets(rv: ResolvedVariant): string[] {
  const out: string[] = [];
  if (rv.client.password) out.push(rv.client.password);
  for (const p of Object.values(rv.broker.users ?? {})) out.push(p);
  for (const [k, v] of Object.entries(rv.client.config))
    if (/PASS|KEY|SECRET|TOKEN/i.test(k) && typeof v === 'string') out.push(v);
  for (const [name, c] of Object.entries(rv.pki))
    if (name !== 'verbatim' && c && 'key' in c && c.key?.passphrase) out.push(c.key.passphrase);
  return out;
}

/**
 * Rewrites the text files of a cell folder that hold a secret (small files only: logs, facts, notes). Links are
 * never followed (a target may have had a hand in the folder): only regular files are read and written.
 */
export async function redactFolder(dir: string, redact: Redactor, depth = 0): Promise<void> {
  if (depth > 4) return;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  await Promise.all(
    entries
      .map(async (e) => {
        const file = path.join(dir, e.name);
        if (e.isDirectory()) return redactFolder(file, redact, depth + 1);
        if (!e.isFile()) return;
        const got = await readFileNoFollow(file, 4 * 1024 * 1024);
        if (!got || got.truncated) return;
        const clean = redact(got.text);
        if (clean !== got.text) await writeFileNoFollow(file, clean);
      })
      .map((p) => p.catch(() => undefined)),
  );
}
