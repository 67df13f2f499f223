// Makes a forum post's openssl commands runnable without a terminal (rig/pki/verbatim.ts runs them with
// stdin closed): an `openssl req` that would prompt for the subject gets -subj, one that would prompt for
// a passphrase of a key it generates gets -nodes. Commands that cannot run because their input files were
// never made (a tutorial's "convert server.pem to DER" aside) and commands that only print are left out.
// Everything else stays as the user wrote it.
import { parseOpenssl, type OpensslCommand } from './openssl-commands.ts';

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

/**
 * The commands that make what a signing command reads but the recipe never made: a key (-key, -signkey, -CAkey),
 * the CA certificate (-CA), the request (-in of `x509 -req`). Undefined when something else is missing.
 */
function completeInputs(
  cmd: OpensslCommand,
  made: Set<string>,
  hints: SubjectHints,
  notes: string[],
): string[] | undefined {
  const signs = cmd.makesCert || cmd.tool === 'req';
  const missing = cmd.inputsByOpt.filter((i) => !made.has(i.file));
  if (!signs || missing.some((i) => !['-key', '-signkey', '-CAkey', '-CA', '-in'].includes(i.opt))) return undefined;
  if (missing.some((i) => i.opt === '-in' && !(cmd.tool === 'x509' || cmd.tool === 'ca'))) return undefined;
  const out: string[] = [];
  const keyOf = (opt: string) => cmd.inputsByOpt.find((i) => i.opt === opt)?.file;
  const add = (line: string, file: string, why: string) => {
    out.push(line);
    made.add(file);
    notes.push(`added \`${line}\`: ${why}`);
  };
  for (const m of missing.filter((i) => /key$/i.test(i.opt)))
    add(
      `openssl genrsa -out ${m.file} 2048`,
      m.file,
      m.opt === '-CAkey'
        ? `the CA key the recipe assumes (it signs with ${m.file} but never makes it)`
        : `the recipe uses ${m.file} but never makes it (key generation left out)`,
    );
  const ca = missing.find((i) => i.opt === '-CA');
  if (ca) {
    const caKey = keyOf('-CAkey') ?? `${ca.file.replace(/\.(crt|pem|cer)$/, '')}.key`;
    if (!made.has(caKey)) add(`openssl genrsa -out ${caKey} 2048`, caKey, `the CA key the recipe assumes`);
    const subj = hints.ca ?? '/CN=Forum CA';
    add(
      `openssl req -x509 -new -key ${caKey} -days 3650 -subj "${subj}" -out ${ca.file}`,
      ca.file,
      `the recipe signs with the CA ${ca.file} but never makes it (the CA the recipe assumes)`,
    );
  }
  const csr = missing.find((i) => i.opt === '-in');
  if (csr) {
    const key = `${csr.file.replace(/\.(csr|req|pem)$/, '')}.key`;
    if (!made.has(key)) add(`openssl genrsa -out ${key} 2048`, key, `a key for the request ${csr.file}`);
    const subj = /client|device|esp|mkr|node/i.test(csr.file) ? '/CN=client' : (hints.server ?? '/CN={{broker.ip}}');
    add(
      `openssl req -new -key ${key} -subj "${subj}" -out ${csr.file}`,
      csr.file,
      `the recipe signs ${csr.file} but never makes the request`,
    );
  }
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
    if (missing.length && parsed) {
      // A signing command whose key, CA or request the recipe assumes gets them made first; anything else
      // (a conversion of a file the post never made) cannot run and is left out.
      const made0 = completeInputs(parsed, made, hints, notes);
      if (!made0) {
        notes.push(`left out \`${firstLine(text)}\`: ${missing.join(', ')} is made by no command before it`);
        continue;
      }
      out.push(...made0);
    }
    for (const o of parsed?.outputs ?? []) made.add(o);
    out.push(fixCommand(text, notes, hints));
  }
  return { script: `${out.join('\n').replace(/\n*$/, '')}\n`, notes };
}
