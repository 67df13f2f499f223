// Removes secrets from text before it reaches any report or log copy: scenario passwords and
// passphrases verbatim (and in the escaped forms a generated header or a URL would show them in),
// every PEM private key block, whole or cut short, plain or C-string-escaped, and an Azure SAS token's signature.
// Redaction never corrupts structure: it applies to free text (serial, logs, reasons, details), never to the
// fields that are the results' structure (ids, kinds, codes, statuses, paths); and a short secret (fewer than
// SHORT_SECRET characters, e.g. the password "mqtt") is masked only as a whole token, and never inside a word of
// the rig's own vocabulary (outcome kinds such as mqtt/not-authorized, raw codes, statuses, the run's ids).
import { OUTCOME_KINDS } from '../scenario/schema.ts';

export type Redactor = (text: string) => string;

export const SECRET_MASK = '***';
export const KEY_MASK = '[private key redacted]';

// A complete block. The body is matched lazily up to the END line of the same label, so a key
// spread over log lines or over `"...\n"` C-string pieces is removed in one piece.
const PEM_BLOCK = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----[\s\S]*?-----END \1PRIVATE KEY-----/g;
// A block whose END never arrived (log cut off, board reset mid-print): remove the BEGIN line and
// every following line that looks like PEM payload, a PEM header or a C-string piece of one.
const PEM_BEGIN = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/g;
const PAYLOAD_LINE = /^\s*"?(?:[A-Za-z0-9+/=]*|Proc-Type:[^"\n]*|DEK-Info:[^"\n]*)(?:\\r)?(?:\\n)?"?\s*[,;\\]?\s*$/;

function escapeVariants(secret: string): string[] {
  const variants = new Set<string>([secret]);
  // C / JSON string literal form, as in a generated arduino_secrets.h or a JSON dump.
  variants.add(JSON.stringify(secret).slice(1, -1));
  variants.add(secret.replace(/\\/g, '\\\\').replace(/"/g, '\\"'));
  // URL form (mqtts://user:pass@host in a log line).
  variants.add(encodeURIComponent(secret));
  return [...variants].filter((v) => v.length > 0);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function redactUnterminatedKeys(text: string): string {
  PEM_BEGIN.lastIndex = 0;
  const m = PEM_BEGIN.exec(text);
  if (!m) return text;
  const before = text.slice(0, m.index);
  const rest = text.slice(m.index + m[0].length);
  // The rest of the BEGIN line belongs to the key (e.g. `\n" "MIIE...` on one line).
  const lines = rest.split('\n');
  let i = 1;
  while (i < lines.length) {
    const line = lines[i];
    // Traditional encrypted PEM puts one blank line between DEK-Info and the payload.
    const blankAfterHeader = line.trim() === '' && /DEK-Info:/.test(lines[i - 1]);
    if (!blankAfterHeader && (line.trim() === '' || !PAYLOAD_LINE.test(line))) break;
    i++;
  }
  const after = lines.slice(i).join('\n');
  const sep = i < lines.length ? '\n' : '';
  return before + KEY_MASK + sep + redactUnterminatedKeys(after);
}

// An Azure SAS token's signature (`SharedAccessSignature sr=..&sig=<base64, URL-encoded>&se=..`): a device may build
// the token itself from a key the rig never saw (Tasmota's AzurePSKtoToken logs it at debug level), so the
// signature is masked wherever a token appears, not only when the scenario gave it.
const SAS_SIG = /(SharedAccessSignature\s+(?:[^\s"&]+&)*?sig=)[A-Za-z0-9%+/=_-]+/g;

/** Shorter secrets are masked only as whole tokens outside the rig's vocabulary. */
export const SHORT_SECRET = 6;

/** Words of the rig's own that a short secret must not be masked inside. */
const VOCABULARY = [...OUTCOME_KINDS, 'none', 'pass', 'fail', 'error', 'skip', 'flaky', 'twin', 'hardware', 'host'];
/** A raw code (mbedtls:-9984, connack:5, pubsubclient:-2): its namespace is the rig's vocabulary too. */
const RAW_CODE = /(?<![A-Za-z0-9/_.:@-])([a-z][a-z0-9_-]*):-?[A-Za-z0-9_.]+/g;
const TOKEN_CHAR = /[A-Za-z0-9]/;
const WORDISH = /[A-Za-z0-9/_.:@-]/;

/** Whether text[at, at+len) lies inside an occurrence of a vocabulary word or a raw code. */
function inVocabulary(text: string, at: number, len: number, vocabulary: readonly string[]): boolean {
  let from = at;
  let to = at + len;
  while (from > 0 && WORDISH.test(text[from - 1]!)) from--;
  while (to < text.length && WORDISH.test(text[to]!)) to++;
  const region = text.slice(from, to);
  for (const m of region.matchAll(RAW_CODE)) {
    const start = from + m.index;
    if (start <= at && start + m[1]!.length >= at + len) return true;
  }
  for (const word of vocabulary) {
    for (let i = region.indexOf(word); i >= 0; i = region.indexOf(word, i + 1)) {
      const start = from + i;
      if (start <= at && start + word.length >= at + len) return true;
    }
  }
  return false;
}

/**
 * Builds a redactor for the given secrets (WiFi/MQTT passwords, key passphrases). Empty strings are
 * ignored; longer secrets are replaced first so one secret containing another is fully masked. Short
 * ones are masked as whole tokens outside `vocabulary` (the rig's words plus the run's ids).
 */
export function makeRedactor(secrets: readonly string[], vocabulary: readonly string[] = []): Redactor {
  const variants = [...new Set(secrets.filter((s) => s.length > 0).flatMap(escapeVariants))].sort(
    (a, b) => b.length - a.length,
  );
  const long = variants.filter((v) => v.length >= SHORT_SECRET);
  const short = variants.filter((v) => v.length < SHORT_SECRET);
  const longRe = long.length > 0 ? new RegExp(long.map(escapeRegExp).join('|'), 'g') : undefined;
  const shortRe = short.length > 0 ? new RegExp(short.map(escapeRegExp).join('|'), 'g') : undefined;
  const words = [...VOCABULARY, ...vocabulary.filter((w) => w.length > 0)];
  const maskShort = (m: string, at: number, text: string): string => {
    const before = at > 0 ? text[at - 1]! : '';
    const after = text[at + m.length] ?? '';
    const whole = !TOKEN_CHAR.test(before) && !TOKEN_CHAR.test(after);
    return whole && !inVocabulary(text, at, m.length, words) ? SECRET_MASK : m;
  };
  return (text: string): string => {
    let out = text;
    if (out.includes('PRIVATE KEY-----')) {
      out = out.replace(PEM_BLOCK, KEY_MASK);
      out = redactUnterminatedKeys(out);
    }
    if (out.includes('SharedAccessSignature')) out = out.replace(SAS_SIG, `$1${SECRET_MASK}`);
    if (longRe) out = out.replace(longRe, SECRET_MASK);
    if (shortRe) out = out.replace(shortRe, maskShort);
    return out;
  };
}

/**
 * Fields that are the results' structure, not free text: never redacted (a masked kind or id would make the
 * file invalid, or name another cell). Their values come from the rig and the scenario's ids, never a secret.
 */
const STRUCTURAL = new Set([
  'id',
  'scenario',
  'variant',
  'board',
  'core',
  'target',
  'status',
  'kind',
  'code',
  'serialLog',
  'brokerLog',
  'file',
  'line',
  'column',
  'field',
  'startedAt',
  'finishedAt',
  'rigVersion',
  'shard',
  'version',
  'scenarioHash',
]);

/** Applies a redactor to every free-text string inside a JSON-like value (results, cell fields, args). */
export function redactDeep<T>(value: T, redact: Redactor): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, redact)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      out[k] = STRUCTURAL.has(k) && typeof v === 'string' ? v : redactDeep(v, redact);
    return out as T;
  }
  return value;
}
