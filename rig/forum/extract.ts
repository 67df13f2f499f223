// Cuts a pasted forum post into the parts a reproduction needs: the openssl commands, the mosquitto.conf,
// the sketch, the error lines the user saw and the thread's link. Either the user marks the parts with
// "### openssl", "### mosquitto.conf", "### sketch", "### saw", "### link" header lines, or the whole post
// is given and the parts are found by their shape. Pure: text in, parts out.
import { parseOpenssl, type OpensslCommand } from './openssl-commands.ts';
import { answerText, posterLines, readPost } from './post-text.ts';

export interface ForumParts {
  /** The poster's own certificate commands (the broken setup). */
  openssl?: string;
  /** Commands of a later answer that make the same certificates again (the thread's fix), when the post has one. */
  opensslFix?: string;
  conf?: string;
  sketch?: string;
  /** Code that is no whole sketch (an ESP-IDF config, a snippet, a sketch cut short): read for names, never run. */
  code?: string;
  /** Lines the user saw (serial, broker log, PC client output), verbatim. */
  saw: string[];
  /** The poster's own words (the question and the poster's follow-ups), for what it says about boards and PCs. */
  prose?: string;
  /** Other people's turns in the thread: the answers. */
  answer?: string;
  /** Files the post fetched over the network (`openssl s_client -connect host:port ... > file`). */
  fetched?: { file: string; host: string }[];
  link?: string;
}

const SECTION =
  /^#{3}\s*(openssl|certs?|script|mosquitto\.conf|conf|broker|sketch|ino|code|saw|error|errors|log|broker log|serial|output|link|source)\s*$/i;

type Part = 'openssl' | 'conf' | 'sketch' | 'saw' | 'link';

function partOf(header: string): Part {
  const h = header.toLowerCase();
  if (/^(openssl|certs?|script)$/.test(h)) return 'openssl';
  if (/log|serial|output/.test(h)) return 'saw';
  if (/conf|broker/.test(h)) return 'conf';
  if (/sketch|ino|code/.test(h)) return 'sketch';
  if (/link|source/.test(h)) return 'link';
  return 'saw';
}

/** True when the text uses "### part" headers. */
function hasSections(text: string): boolean {
  return text.split('\n').some((l) => SECTION.test(l.trim()));
}

function splitSections(text: string): ForumParts {
  const buckets: Record<Part, string[]> = { openssl: [], conf: [], sketch: [], saw: [], link: [] };
  let current: Part | undefined;
  for (const raw of text.split('\n')) {
    const m = SECTION.exec(raw.trim());
    if (m) {
      current = partOf(m[1]!);
      continue;
    }
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
const CONF_KEYS = new Set([
  'listener',
  'port',
  'cafile',
  'capath',
  'certfile',
  'keyfile',
  'require_certificate',
  'allow_anonymous',
  'password_file',
  'acl_file',
  'per_listener_settings',
  'tls_version',
  'log_type',
  'log_dest',
  'persistence',
  'persistence_location',
  'pid_file',
  'include_dir',
  'connection_messages',
  'protocol',
  'use_identity_as_username',
  'use_subject_as_username',
  'ciphers',
  'ciphers_tls1.3',
  'crlfile',
  'dhparamfile',
  'psk_file',
  'psk_hint',
  'bind_address',
  'max_connections',
  'user',
  'log_timestamp',
  'autosave_interval',
  'socket_domain',
  'mount_point',
]);

function confKey(line: string): string | undefined {
  const m = /^\s*([a-z_][a-z0-9_.]*)(\s|$)/.exec(line);
  return m && CONF_KEYS.has(m[1]!) ? m[1] : undefined;
}

interface ConfRun {
  from: number;
  to: number;
  keys: string[];
}

/** Every run of at least two mosquitto directives (comments and blank lines may sit between them). */
function confRuns(lines: string[]): ConfRun[] {
  const runs: ConfRun[] = [];
  let i = 0;
  while (i < lines.length) {
    if (!confKey(lines[i]!)) {
      i++;
      continue;
    }
    const from = i;
    let to = i;
    const keys: string[] = [];
    let j = i;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      const k = confKey(l);
      if (k) {
        keys.push(k);
        to = j;
        continue;
      }
      if (!l.trim() || /^\s*#/.test(l)) continue;
      break;
    }
    if (keys.length >= 2) runs.push({ from, to, keys });
    i = Math.max(j, i + 1);
  }
  return runs;
}

/**
 * The conf: the largest run of mosquitto directives, plus the runs before `before` (the sketch: what the
 * poster set up, not an answer's conf) whose directives it does not have yet, in the post's order — tutorials
 * give the TLS listener and the password lines as separate snippets.
 */
function findConf(lines: string[], before = lines.length): { text: string; ranges: [number, number][] } | undefined {
  const runs = confRuns(lines);
  if (runs.length === 0) return undefined;
  const best = runs.reduce((a, b) => (b.keys.length > a.keys.length ? b : a));
  const keys = new Set(best.keys);
  const picked = [best];
  for (const r of runs) {
    if (r === best || r.to >= before || r.keys.some((k) => keys.has(k))) continue;
    picked.push(r);
    for (const k of r.keys) keys.add(k);
  }
  picked.sort((a, b) => a.from - b.from);
  return {
    text: picked.map((r) => lines.slice(r.from, r.to + 1).join('\n')).join('\n'),
    ranges: picked.map((r) => [r.from, r.to]),
  };
}

const CODE_START = /^\s*(#include\b|#define\b|(static\s+)?const\s+(char|uint8_t|unsigned)\b)/;
const CODE_LINE =
  /[;{}]\s*(\/\/.*)?$|^\s*(#|\/\/|\/\*|\*)|^\s*(void|int|bool|long|unsigned|char|const|static|String|float|double|uint\d+_t)\b|^\s*[A-Z][A-Za-z0-9_:]*\s+\*?[A-Za-z_][A-Za-z0-9_]*\s*[(=;[]/;

/** One code block: from an include/const declaration line to where prose starts again at brace depth 0. */
function codeBlock(lines: string[], from: number): { text: string; from: number; to: number } {
  let depth = 0;
  let rawEnd: string | undefined; // inside R"DELIM( ... )DELIM"
  let last = from;
  for (let i = from; i < lines.length; i++) {
    const l = lines[i]!;
    if (rawEnd) {
      if (l.includes(rawEnd)) rawEnd = undefined;
      last = i;
      continue;
    }
    const raw = /R"([A-Za-z0-9_]*)\(/.exec(l);
    if (raw && !l.includes(`)${raw[1]}"`)) {
      rawEnd = `)${raw[1]}"`;
      last = i;
      continue;
    }
    const code = l
      .replace(/\/\/.*$/, '')
      .replace(/"(?:[^"\\]|\\.)*"/g, '""')
      .replace(/'(?:[^'\\]|\\.)*'/g, "''");
    if (depth === 0 && l.trim() && !CODE_LINE.test(l) && !/^\s*"/.test(l)) break;
    for (const ch of code) {
      if (ch === '{') depth++;
      else if (ch === '}') depth = Math.max(0, depth - 1);
    }
    if (l.trim()) last = i;
  }
  return { text: lines.slice(from, last + 1).join('\n'), from, to: last };
}

/** A block a board can run: it defines both setup() and loop(). */
function isCompleteSketch(text: string): boolean {
  return /\bvoid\s+setup\s*\(/.test(text) && /\bvoid\s+loop\s*\(/.test(text);
}

/**
 * The sketch: of the post's code blocks, the largest complete one (with setup() and loop()); without such a
 * block, the largest. Tutorials show two-line snippets (`const char* ca_cert = ...`) before the sketch.
 */
function findSketch(lines: string[]): { text: string; from: number; to: number } | undefined {
  const blocks: { text: string; from: number; to: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!CODE_START.test(lines[i]!)) continue;
    const b = codeBlock(lines, i);
    blocks.push(b);
    i = b.to;
  }
  if (blocks.length === 0) return undefined;
  const complete = blocks.filter((b) => isCompleteSketch(b.text));
  const pool = complete.length ? complete : blocks;
  return pool.reduce((a, b) => (b.to - b.from > a.to - a.from ? b : a));
}

const OPENSSL_LINE = /^\s*(sudo\s+)?openssl\s+(genrsa|genpkey|req|x509|ecparam|ca|rsa|ec|pkey)\b/;
const SHELL_VAR = /^\s*[A-Z_][A-Z0-9_]*=("[^"]*"|'[^']*'|\S*)\s*(#.*)?$/;

interface ScriptItem {
  text: string;
  cmd?: OpensslCommand;
}

/** openssl commands with their continuation lines, and the shell variables they use, in the post's order. */
function scriptItems(lines: string[]): ScriptItem[] {
  const out: ScriptItem[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (SHELL_VAR.test(l)) {
      // Variables the commands (or other kept variables) use, e.g. SUBJECT_CA="/C=SE/.../CN=$IP".
      const name = l.trim().split('=')[0]!;
      const use = new RegExp(`\\$\\{?${name}\\b`);
      if (lines.some((x) => use.test(x)) && !seen.has(l.trim())) {
        out.push({ text: l.trim() });
        seen.add(l.trim());
      }
      continue;
    }
    if (!OPENSSL_LINE.test(l)) continue;
    const cmd = [l.trim()];
    while (/\\\s*(#.*)?$/.test(lines[i]!) && i + 1 < lines.length) cmd.push(lines[++i]!.trim());
    const text = cmd.join('\n');
    if (seen.has(text)) continue; // posts repeat commands in prose
    seen.add(text);
    const parsed = parseOpenssl(text);
    out.push(parsed ? { text, cmd: parsed } : { text });
  }
  return out;
}

/** True when every file the commands read is made by an earlier one of them. */
function selfContained(items: ScriptItem[]): boolean {
  const made = new Set<string>();
  for (const { cmd } of items) {
    if (!cmd) continue;
    if (cmd.inputs.some((f) => !made.has(f))) return false;
    for (const o of cmd.outputs) made.add(o);
  }
  return true;
}

export interface OpensslParts {
  script?: string;
  fix?: string;
}

/**
 * The post's openssl commands, split where a later command makes a certificate the earlier ones already
 * made: from there on it is an answer's fix (with the variables written just before it), not the poster's
 * setup. A fix that needs files only the setup makes is given as setup + fix, so it runs on its own.
 */
function findOpenssl(lines: string[]): OpensslParts {
  const items = scriptItems(lines);
  const made = new Set<string>();
  let split = -1;
  for (let k = 0; k < items.length && split < 0; k++) {
    const c = items[k]!.cmd;
    if (!c?.makesCert) continue;
    if (c.outputs.some((o) => made.has(o))) split = k;
    for (const o of c.outputs) made.add(o);
  }
  const join = (xs: ScriptItem[]) => (xs.length ? xs.map((x) => x.text).join('\n') : undefined);
  if (split < 0) return { ...(items.length ? { script: join(items)! } : {}) };
  // The fix starts after the setup's last command: variables in between belong to the fix.
  let start = split;
  while (start > 0 && !items[start - 1]!.cmd) start--;
  const setup = items.slice(0, start);
  const fix = items.slice(start);
  return { script: join(setup)!, fix: join(selfContained(fix) ? fix : [...setup, ...fix])! };
}

/** Complete code: setup() and loop(), with its braces closed (a paste cut short is no sketch to build). */
function runnable(text: string): boolean {
  const code = text
    .replace(/\/\/.*$/gm, '')
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '""')
    .replace(/'(?:[^'\\]|\\.)*'/g, "''");
  const open = (code.match(/\{/g) ?? []).length;
  const close = (code.match(/\}/g) ?? []).length;
  return isCompleteSketch(text) && open === close;
}

/** `openssl s_client -connect host:port ... > file`: a certificate fetched over the network. */
function fetchedFiles(lines: string[]): { file: string; host: string }[] {
  const out: { file: string; host: string }[] = [];
  for (const l of lines) {
    const m = /\bopenssl\s+s_client\b.*?-connect\s+\[?([^\s:\]]+)\]?(?::\d+)?.*?>\s*([^\s;|&<>]+)\s*$/.exec(l);
    // Both go into a command the PKI sandbox runs: plain names only, nothing the shell would expand.
    if (m && /^[A-Za-z0-9.-]+$/.test(m[1]!) && /^[\w.-]+$/.test(m[2]!)) out.push({ host: m[1]!, file: m[2]! });
  }
  return out;
}

/** Whole-post extraction: the poster's conf, sketch (or code), openssl commands and lines; answers apart. */
export function extractFromPost(text: string): ForumParts {
  const post = readPost(text);
  const lines = posterLines(post);
  const block = findSketch(lines);
  const sketch = block && runnable(block.text) ? block : undefined;
  const conf = findConf(
    lines.map((l, i) => (block && i >= block.from && i <= block.to ? '' : l)),
    block?.from,
  );
  const outside = (i: number) =>
    !(block && i >= block.from && i <= block.to) && !conf?.ranges.some(([a, b]) => i >= a && i <= b);
  const rest = lines.filter((_, i) => outside(i));
  const openssl = findOpenssl(rest);
  const answer = answerText(post);
  // An answer's own commands that make certificates are the thread's fix (unless the poster's already split one).
  const answerOpenssl = answer ? findOpenssl(answer.split('\n')) : {};
  const answerFix = answerOpenssl.script && /\b(?:x509\s.*-req|req\s.*-x509|ca)\b/.test(answerOpenssl.script);
  const fix = openssl.fix ?? (answerFix ? answerOpenssl.script : undefined);
  const saw = rest.filter((l) => l.trim() && !OPENSSL_LINE.test(l)).map((l) => l.trim());
  const prose = rest.filter((l) => !/^\s*(#include|const |#define|openssl )/.test(l)).join('\n');
  const fetched = fetchedFiles(lines);
  return {
    ...(openssl.script ? { openssl: openssl.script } : {}),
    ...(fix ? { opensslFix: fix } : {}),
    ...(conf ? { conf: conf.text } : {}),
    ...(sketch ? { sketch: sketch.text } : block ? { code: block.text } : {}),
    saw,
    prose,
    ...(answer.trim() ? { answer } : {}),
    ...(fetched.length ? { fetched } : {}),
    ...(post.link
      ? { link: post.link }
      : /https?:\/\/[^\s)>\]"']+/.exec(text)
        ? { link: /https?:\/\/[^\s)>\]"']+/.exec(text)![0] }
        : {}),
  };
}

export function extractParts(text: string): ForumParts {
  return hasSections(text) ? splitSections(text) : extractFromPost(text);
}
