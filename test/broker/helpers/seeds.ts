// The mosquitto.conf parts of the seed documents, cut out verbatim from their excerpts (test/fixtures/seeds/).
import { seedText } from '../../helpers/seeds.ts';

/** Lines from the first line matching `from` up to (not including) the first later line matching `to`. */
function cut(text: string, from: RegExp, to: RegExp): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => from.test(l));
  if (start < 0) throw new Error(`seed: no line matching ${from}`);
  const end = lines.findIndex((l, i) => i > start && to.test(l));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** Seed 002 (ESP8266 forum post): per_listener_settings, 1883 with password_file, 8883 with require_certificate. */
export function seed002Conf(): string {
  return cut(seedText('002_'), /^per_listener_settings true/, /^For the unsecure port/);
}

/** Seed 000 (ESP32 forum post): TLS options with no listener line. */
export function seed000Conf(): string {
  return cut(seedText('000_'), /^allow_anonymous false/, /^$/);
}
