// Reads what one openssl command of a forum post takes and writes, so a post's commands can be sorted into
// the poster's setup, a later answer's fix, and troubleshooting lines that cannot run (their input files
// were never made). Pure string work on one command (continuation lines joined).

export interface OpensslCommand {
  /** The subcommand: req, x509, genrsa, ca, ... */
  tool: string;
  /** Files the command reads (-in, -key, -CA, -CAkey, ...); values with shell variables are left out. */
  inputs: string[];
  /** The same inputs with the option that names each ("-CAkey", "-CA", "-in", "-key", …). */
  inputsByOpt: { opt: string; file: string }[];
  /** Files the command writes (-out, -keyout). */
  outputs: string[];
  /** Makes a certificate (req -x509, x509 -req, ca) rather than converting or printing one. */
  makesCert: boolean;
  /** Only prints (-noout, -text without -out): nothing a PKI needs. */
  inspects: boolean;
}

const INPUT_OPTS = ['-in', '-key', '-CA', '-CAkey', '-signkey', '-inkey', '-cert'];
const OUTPUT_OPTS = ['-out', '-keyout'];

/** Splits a command line into words, honouring quotes (no expansion). */
function words(cmd: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const m of cmd.replace(/\\\n/g, ' ').matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** The openssl command in a line (after `sudo`), or undefined when the line is not one. */
export function parseOpenssl(cmd: string): OpensslCommand | undefined {
  const w = words(cmd.replace(/\s#.*$/gm, ''));
  let i = 0;
  if (w[i] === 'sudo') i++;
  if (w[i] !== 'openssl' || !w[i + 1]) return undefined;
  const tool = w[i + 1]!;
  const args = w.slice(i + 2);
  const value = (opts: string[]) => args.flatMap((a, k) => (opts.includes(a) && args[k + 1] ? [args[k + 1]!] : []));
  // A value built from shell variables cannot be checked here; treat it as present.
  const files = (opts: string[]) => value(opts).filter((f) => !f.includes('$') && !f.startsWith('<('));
  const has = (o: string) => args.includes(o);
  const outputs = files(OUTPUT_OPTS);
  const inputsByOpt = args.flatMap((a, k) =>
    INPUT_OPTS.includes(a) && args[k + 1] && !args[k + 1]!.includes('$') && !args[k + 1]!.startsWith('<(')
      ? [{ opt: a, file: args[k + 1]! }]
      : [],
  );
  return {
    tool,
    inputs: files(INPUT_OPTS),
    inputsByOpt,
    outputs,
    makesCert: (tool === 'req' && has('-x509')) || (tool === 'x509' && has('-req')) || tool === 'ca',
    inspects: has('-noout') || (has('-text') && outputs.length === 0),
  };
}
