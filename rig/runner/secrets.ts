// Every value of a run no report may show (passwords, passphrases, key lines a sketch receives), and the
// redactor that masks them. Values arrive while the run goes (each cell's sketch gets its own).
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeRedactor, type Redactor } from '../report/redact.ts';
import type { ResolvedVariant } from '../scenario/resolve.ts';

export class RunSecrets {
  private readonly values = new Set<string>();
  private current: Redactor = makeRedactor([]);

  add(value: string): void {
    if (!value || this.values.has(value)) return;
    this.values.add(value);
    this.current = makeRedactor([...this.values]);
  }

  /** Masks every value known so far. */
  readonly redact: Redactor = (text) => this.current(text);
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

/** Rewrites the text files of a cell folder that hold a secret (small files only: logs, facts, notes). */
export async function redactFolder(dir: string, redact: Redactor): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  await Promise.all(
    entries
      .map(async (e) => {
        const file = path.join(dir, e.name);
        if (e.isDirectory()) return redactFolder(file, redact);
        if (!e.isFile() || (await stat(file)).size > 4 * 1024 * 1024) return;
        const text = await readFile(file, 'utf8');
        const clean = redact(text);
        if (clean !== text) await writeFile(file, clean);
      })
      .map((p) => p.catch(() => undefined)),
  );
}
