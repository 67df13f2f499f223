// The seed documents the project came from, as excerpts kept in the repository (test/fixtures/seeds/): each
// file keeps the seed's name and the parts the tests exercise (openssl commands, mosquitto.conf, sketch, the
// lines the poster saw) as posted, under a header line naming the source.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const SEEDS_DIR = path.join(import.meta.dirname, '..', 'fixtures', 'seeds');

/** The path of seed NNN's excerpt (prefix "000_"); throws when it is missing, since it is part of the repository. */
export function seedFile(prefix: string): string {
  const f = readdirSync(SEEDS_DIR).find((n) => n.startsWith(prefix));
  if (!f) throw new Error(`seed ${prefix}* not found in ${SEEDS_DIR}`);
  return path.join(SEEDS_DIR, f);
}

export function seedText(prefix: string): string {
  return readFileSync(seedFile(prefix), 'utf8');
}
