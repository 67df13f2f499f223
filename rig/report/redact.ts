// Removes secrets from text before it reaches any report or log copy: scenario passwords and
// passphrases verbatim (and in the escaped forms a generated header or a URL would show them in),
// and every PEM private key block, whole or cut short, plain or C-string-escaped.

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

/**
 * Builds a redactor for the given secrets (WiFi/MQTT passwords, key passphrases). Empty strings are
 * ignored; longer secrets are replaced first so one secret containing another is fully masked.
 */
export function makeRedactor(secrets: readonly string[]): Redactor {
  const variants = [...new Set(secrets.filter((s) => s.length > 0).flatMap(escapeVariants))].sort(
    (a, b) => b.length - a.length,
  );
  const secretRe = variants.length > 0 ? new RegExp(variants.map(escapeRegExp).join('|'), 'g') : undefined;
  return (text: string): string => {
    let out = text;
    if (out.includes('PRIVATE KEY-----')) {
      out = out.replace(PEM_BLOCK, KEY_MASK);
      out = redactUnterminatedKeys(out);
    }
    if (secretRe) out = out.replace(secretRe, SECRET_MASK);
    return out;
  };
}

/** Applies a redactor to every string inside a JSON-like value (results, cell fields, args). */
export function redactDeep<T>(value: T, redact: Redactor): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactDeep(v, redact)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redactDeep(v, redact);
    return out as T;
  }
  return value;
}
