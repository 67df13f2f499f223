// Makes a forum post's openssl commands runnable without a terminal (rig/pki/verbatim.ts runs them with
// stdin closed): an `openssl req` that would prompt for the subject gets -subj, one that would prompt for
// a passphrase of a key it generates gets -nodes. Commands that cannot run because their input files were
// never made (a tutorial's "convert server.pem to DER" aside) and commands that only print are left out.
// Everything else stays as the user wrote it.
import { parseOpenssl } from './openssl-commands.ts';

export interface FixedScript {
  script: string;
  notes: string[];
}

/** What the post tells about the subjects the poster typed at the prompts. */
export interface SubjectHints {
  /** The CA's subject ("/C=TV/.../CN=home"), e.g. from the CA certificate pasted into the sketch. */
  ca?: string;
  /** The server's subject: what the poster most likely typed (the name the sketch connects to). */
  server?: string;
}

/** Subject for a request writing `out` (the CSR/cert file name says which certificate it is). */
function subjectFor(out: string | undefined, selfSigned: boolean, hints: SubjectHints): string {
  const stem = (out ?? '')
    .replace(/^.*\//, '')
    .replace(/\.(csr|crt|pem|cer|req)$/, '')
    .toLowerCase();
  if (selfSigned || /\bca\b|^ca|root/.test(stem)) return hints.ca ?? '/CN=Forum CA';
  if (/client|device|esp|mkr|node/.test(stem)) return '/CN=client';
  return hints.server ?? '/CN={{broker.ip}}';
}

function fixCommand(cmd: string, notes: string[], hints: SubjectHints): string {
  if (!/\bopenssl\s+req\b/.test(cmd)) return cmd;
  let out = cmd;
  const selfSigned = /\s-x509\b/.test(cmd);
  const outFile = /\s-out\s+(\S+)/.exec(cmd)?.[1];
  if (!/\s-subj\b/.test(cmd) && !/\s-batch\b/.test(cmd)) {
    const subj = subjectFor(outFile, selfSigned, hints);
    out = appendArgs(out, `-subj "${subj}"`);
    notes.push(`-subj "${subj}" added to \`${firstLine(cmd)}\`: put what was typed at the prompts`);
  }
  const makesKey =
    /\s-newkey\b/.test(cmd) ||
    (/\s-keyout\b/.test(cmd) && !/\s-key\s/.test(cmd)) ||
    (selfSigned && !/\s-key\s/.test(cmd));
  if (makesKey && !/\s-(nodes|noenc)\b/.test(cmd) && !/\s-passout\b/.test(cmd)) {
    out = appendArgs(out, '-nodes');
    notes.push(`-nodes added to \`${firstLine(cmd)}\`: the key would have asked for a passphrase`);
  }
  return out;
}

function firstLine(cmd: string): string {
  return cmd
    .split('\n')[0]!
    .replace(/\s*\\$/, '')
    .trim();
}

/** Appends arguments to a (possibly multi-line, possibly commented) command. */
function appendArgs(cmd: string, args: string): string {
  const lines = cmd.split('\n');
  const last = lines.length - 1;
  const m = /^(.*?)(\s+#.*)?$/.exec(lines[last]!)!;
  lines[last] = `${m[1]} ${args}${m[2] ?? ''}`;
  return lines.join('\n');
}

/** Files a shell line (of a whole script file) writes: `> f`, `>> f`, `tee f`, `cp a f`, `mv a f`. */
function shellWrites(line: string): string[] {
  const out = [...line.matchAll(/>>?\s*([^\s;|&<>]+)/g)].map((m) => m[1]!);
  const cp = /^\s*(?:sudo\s+)?(?:cp|mv)\s+(?:-\w+\s+)*\S+\s+([^\s;|&]+)\s*$/.exec(line);
  if (cp) out.push(cp[1]!);
  const tee = /\btee\s+(?:-a\s+)?([^\s;|&]+)/.exec(line);
  if (tee) out.push(tee[1]!);
  return out;
}

export function fixOpensslScript(script: string, hints: SubjectHints = {}): FixedScript {
  const notes: string[] = [];
  const made = new Set<string>();
  const lines = script.replace(/\r/g, '').split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    // Values masked for the post ("****") would make openssl reject the subject.
    const masked = /^(\s*[A-Z_][A-Z0-9_]*=)(["']?)\*{2,}\2(\s*(#.*)?)$/.exec(lines[i]!);
    if (masked) {
      out.push(`${masked[1]}"XX"${masked[3] ?? ''}`);
      notes.push(`${lines[i]!.trim().split('=')[0]}: masked value "****" replaced by "XX": put the real one`);
      continue;
    }
    const cmd = [lines[i]!];
    while (/\\\s*$/.test(cmd[cmd.length - 1]!) && i + 1 < lines.length) cmd.push(lines[++i]!);
    const text = cmd.join('\n');
    const parsed = parseOpenssl(text);
    if (!parsed) for (const f of shellWrites(text)) made.add(f);
    if (parsed?.inspects) {
      notes.push(`left out \`${firstLine(text)}\`: it only prints`);
      continue;
    }
    const missing = parsed?.inputs.filter((f) => !made.has(f)) ?? [];
    if (missing.length) {
      notes.push(`left out \`${firstLine(text)}\`: ${missing.join(', ')} is made by no command before it`);
      continue;
    }
    for (const o of parsed?.outputs ?? []) made.add(o);
    out.push(fixCommand(text, notes, hints));
  }
  return { script: `${out.join('\n').replace(/\n*$/, '')}\n`, notes };
}
