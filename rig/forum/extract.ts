// Cuts a pasted forum post into the parts a reproduction needs: the openssl commands, the mosquitto.conf,
// the sketch, the error lines the user saw and the thread's link. Either the user marks the parts with
// "### openssl", "### mosquitto.conf", "### sketch", "### saw", "### link" header lines, or the whole post
// is given and the parts are found by their shape. Pure: text in, parts out.

export interface ForumParts {
  openssl?: string;
  conf?: string;
  sketch?: string;
  /** Lines the user saw on the serial port (error messages), verbatim. */
  saw: string[];
  link?: string;
}

const SECTION = /^#{3}\s*(openssl|certs?|script|mosquitto\.conf|conf|broker|sketch|ino|code|saw|error|errors|link|source)\s*$/i;

type Part = 'openssl' | 'conf' | 'sketch' | 'saw' | 'link';

function partOf(header: string): Part {
  const h = header.toLowerCase();
  if (/^(openssl|certs?|script)$/.test(h)) return 'openssl';
  if (/conf|broker/.test(h)) return 'conf';
  if (/sketch|ino|code/.test(h)) return 'sketch';
  if (/link|source/.test(h)) return 'link';
  return 'saw';
}

/** True when the text uses "### part" headers. */
export function hasSections(text: string): boolean {
  return text.split('\n').some((l) => SECTION.test(l.trim()));
}

export function splitSections(text: string): ForumParts {
  const buckets: Record<Part, string[]> = { openssl: [], conf: [], sketch: [], saw: [], link: [] };
  let current: Part | undefined;
  for (const raw of text.split('\n')) {
    const m = SECTION.exec(raw.trim());
    if (m) { current = partOf(m[1]!); continue; }
    if (current) buckets[current].push(raw.replace(/\r$/, ''));
  }
  const joined = (p: Part) => trimBlank(buckets[p]).join('\n');
  return {
    ...(joined('openssl') ? { openssl: joined('openssl') } : {}),
    ...(joined('conf') ? { conf: joined('conf') } : {}),
    ...(joined('sketch') ? { sketch: joined('sketch') } : {}),
    saw: buckets.saw.map((l) => l.trim()).filter(Boolean),
    ...(joined('link') ? { link: joined('link').split(/\s+/)[0] } : {}),
  };
}

function trimBlank(lines: string[]): string[] {
  let a = 0;
  let b = lines.length;
  while (a < b && !lines[a]!.trim()) a++;
  while (b > a && !lines[b - 1]!.trim()) b--;
  return lines.slice(a, b);
}

// mosquitto.conf directives (mosquitto 2.0 man page), enough to recognise a pasted conf.
const CONF_KEYS = new Set(['listener', 'port', 'cafile', 'capath', 'certfile', 'keyfile', 'require_certificate', 'allow_anonymous',
  'password_file', 'acl_file', 'per_listener_settings', 'tls_version', 'log_type', 'log_dest', 'persistence',
  'persistence_location', 'pid_file', 'include_dir', 'connection_messages', 'protocol', 'use_identity_as_username',
  'use_subject_as_username', 'ciphers', 'ciphers_tls1.3', 'crlfile', 'dhparamfile', 'psk_file', 'psk_hint', 'bind_address',
  'max_connections', 'user', 'log_timestamp', 'autosave_interval', 'socket_domain', 'mount_point']);

function confKey(line: string): string | undefined {
  const m = /^\s*([a-z_][a-z0-9_.]*)(\s|$)/.exec(line);
  return m && CONF_KEYS.has(m[1]!) ? m[1] : undefined;
}

/** The largest run of mosquitto directives (comments and blank lines may sit between them). */
export function findConf(lines: string[]): { text: string; from: number; to: number } | undefined {
  let best: { from: number; to: number; n: number } | undefined;
  let i = 0;
  while (i < lines.length) {
    if (!confKey(lines[i]!)) { i++; continue; }
    const from = i;
    let to = i;
    let n = 0;
    let j = i;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (confKey(l)) { n++; to = j; continue; }
      if (!l.trim() || /^\s*#/.test(l)) continue;
      break;
    }
    if (n >= 2 && (!best || n > best.n)) best = { from, to, n };
    i = Math.max(j, i + 1);
  }
  if (!best) return undefined;
  // Keep a leading comment block that belongs to the conf (e.g. "# PORT 1883 ...").
  return { text: lines.slice(best.from, best.to + 1).join('\n'), from: best.from, to: best.to };
}

const CODE_START = /^\s*(#include\b|#define\b|(static\s+)?const\s+(char|uint8_t|unsigned)\b)/;
const CODE_LINE = /[;{}]\s*(\/\/.*)?$|^\s*(#|\/\/|\/\*|\*)|^\s*(void|int|bool|long|unsigned|char|const|static|String|float|double|uint\d+_t)\b|^\s*[A-Z][A-Za-z0-9_:]*\s+\*?[A-Za-z_][A-Za-z0-9_]*\s*[(=;[]/;

/** The sketch: from the first include/const declaration to where prose starts again at brace depth 0. */
export function findSketch(lines: string[]): { text: string; from: number; to: number } | undefined {
  const from = lines.findIndex((l) => CODE_START.test(l));
  if (from < 0) return undefined;
  let depth = 0;
  let rawEnd: string | undefined;  // inside R"DELIM( ... )DELIM"
  let last = from;
  for (let i = from; i < lines.length; i++) {
    const l = lines[i]!;
    if (rawEnd) {
      if (l.includes(rawEnd)) rawEnd = undefined;
      last = i;
      continue;
    }
    const raw = /R"([A-Za-z0-9_]*)\(/.exec(l);
    if (raw && !l.includes(`)${raw[1]}"`)) { rawEnd = `)${raw[1]}"`; last = i; continue; }
    const code = l.replace(/\/\/.*$/, '').replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/'(?:[^'\\]|\\.)*'/g, "''");
    if (depth === 0 && l.trim() && !CODE_LINE.test(l) && !/^\s*"/.test(l)) break;
    for (const ch of code) {
      if (ch === '{') depth++;
      else if (ch === '}') depth = Math.max(0, depth - 1);
    }
    if (l.trim()) last = i;
  }
  return { text: lines.slice(from, last + 1).join('\n'), from, to: last };
}

const OPENSSL_LINE = /^\s*(sudo\s+)?openssl\s+(genrsa|genpkey|req|x509|ecparam|ca|rsa|ec|pkey)\b/;
const SHELL_VAR = /^\s*[A-Z_][A-Z0-9_]*=("[^"]*"|'[^']*'|\S*)\s*(#.*)?$/;

/** openssl commands with their continuation lines, and the shell variables they use. */
export function findOpenssl(lines: string[]): string | undefined {
  const out: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (SHELL_VAR.test(l)) {
      // Variables the commands (or other kept variables) use, e.g. SUBJECT_CA="/C=SE/.../CN=$IP".
      const name = l.trim().split('=')[0]!;
      const use = new RegExp(`\\$\\{?${name}\\b`);
      if (lines.some((x) => use.test(x)) && !seen.has(l.trim())) { out.push(l.trim()); seen.add(l.trim()); }
      continue;
    }
    if (!OPENSSL_LINE.test(l)) continue;
    const cmd = [l.trim()];
    while (/\\\s*(#.*)?$/.test(lines[i]!) && i + 1 < lines.length) cmd.push(lines[++i]!.trim());
    const text = cmd.join('\n');
    if (seen.has(text)) continue;  // posts repeat commands in prose
    seen.add(text);
    out.push(...cmd);
  }
  return out.length ? out.join('\n') : undefined;
}

const SAW = /(SSL error:|\[E\]|_handle_error|handle_error|start_ssl_client|failed, rc=-?\d|rc=-?\d|MbedTLS message code|mbedtls_ssl_handshake returned|BSSL:|Chain could not|Expected server name|certificate verify failed|Guru Meditation)/;

/** Whole-post extraction: conf, sketch, openssl commands, error lines and the first link. */
export function extractFromPost(text: string): ForumParts {
  const lines = text.replace(/\r/g, '').split('\n');
  const sketch = findSketch(lines);
  const conf = findConf(lines.map((l, i) => (sketch && i >= sketch.from && i <= sketch.to ? '' : l)));
  const outside = (i: number) => !(sketch && i >= sketch.from && i <= sketch.to) && !(conf && i >= conf.from && i <= conf.to);
  const openssl = findOpenssl(lines.filter((_, i) => outside(i)));
  const saw = [...new Set(lines.filter((l, i) => outside(i) && SAW.test(l) && !OPENSSL_LINE.test(l) && !/^\s*\d+\.\s/.test(l)).map((l) => l.trim().replace(/\*+$/, '')))].slice(0, 3);
  const link = /https?:\/\/[^\s)>\]"']+/.exec(text)?.[0];
  return {
    ...(openssl ? { openssl } : {}),
    ...(conf ? { conf: conf.text } : {}),
    ...(sketch ? { sketch: sketch.text } : {}),
    saw,
    ...(link ? { link } : {}),
  };
}

export function extractParts(text: string): ForumParts {
  return hasSections(text) ? splitSections(text) : extractFromPost(text);
}
