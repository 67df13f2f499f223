// g++ for a sketch (a stranger's code: `#include "/etc/…"` or `.incbin "/root/…"` must find nothing) runs in the
// sandbox seeing /usr, the folders its -I/-isystem/-L options name, its input files and the folder of its -o
// output (writable), and nothing else of the machine. With the rig as root the output folder is handed to the
// sandbox user for the compile, and what it wrote is given back to the rig's user afterwards.
import { chownSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { NOBODY, rigIsRoot, sandboxCommand, type Mount } from './command.ts';

const COMPILER_LIMITS = { processes: 256, memoryMb: 4096, cpuSeconds: 600, fileMb: 512, openFiles: 1024 };
const DIR_OPTIONS = ['-I', '-isystem', '-iquote', '-idirafter', '-L'];

/** What a compiler command line reads (folders and files) and the folder it writes. */
export function compilerPaths(args: string[], cwd: string): { readOnly: string[]; outDir: string | undefined } {
  const read = new Set<string>();
  let out: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const opt = DIR_OPTIONS.find((o) => a === o || (a.startsWith(o) && a.length > o.length));
    if (opt) {
      const dir = a === opt ? args[++i] : a.slice(opt.length);
      if (dir) read.add(path.resolve(cwd, dir));
    } else if (a === '-o') {
      out = path.dirname(path.resolve(cwd, args[++i] ?? '.'));
    } else if (!a.startsWith('-') && existsSync(path.resolve(cwd, a))) {
      read.add(path.resolve(cwd, a));
    }
  }
  return { readOnly: [...read].filter((p) => existsSync(p)), outDir: out };
}

export interface SandboxedCompiler {
  command: string;
  args: string[];
  /** Gives what the compile wrote back to the rig's user (the rig as root). */
  done(): void;
}

/** The sandboxed command line for `g++ args` run in cwd. */
export function sandboxedCompiler(compiler: string, args: string[], cwd: string): SandboxedCompiler {
  const { readOnly, outDir } = compilerPaths(args, cwd);
  const writable: Mount[] = [];
  const work = outDir ?? cwd;
  writable.push(work);
  const handBack: string[] = [];
  if (rigIsRoot()) {
    const st = statSync(work);
    if (st.uid !== NOBODY.uid) chownSync(work, NOBODY.uid, NOBODY.gid);
    const o = args.indexOf('-o');
    if (o >= 0) handBack.push(path.resolve(cwd, args[o + 1]!));
  }
  // Inputs inside the writable folder are already there; binding them again is harmless but noisy.
  const ro = readOnly.filter((p) => p !== work && !p.startsWith(`${work}/`));
  const { command, args: bwrapArgs } = sandboxCommand({
    argv: [compiler, ...args],
    readOnly: ro,
    writable,
    cwd: existsSync(cwd) && (cwd === work || cwd.startsWith(`${work}/`) || ro.includes(cwd)) ? cwd : work,
    env: { LC_ALL: 'C' },
    network: 'none',
    limits: COMPILER_LIMITS,
    etc: [],
  });
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  return {
    command,
    args: bwrapArgs,
    done: () => {
      for (const f of handBack) if (existsSync(f)) chownSync(f, uid, gid);
    },
  };
}
