// Process-tree helpers for cleanup tests: who a process started, and who of them still lives.
import { execFileSync } from 'node:child_process';

export interface Proc {
  pid: number;
  args: string;
}

export function descendants(root: number): Proc[] {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l)!;
      return { pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! };
    });
  const out: Proc[] = [];
  const walk = (p: number): void => {
    for (const r of rows)
      if (r.ppid === p) {
        out.push({ pid: r.pid, args: r.args });
        walk(r.pid);
      }
  };
  walk(root);
  return out;
}

export function alive(procs: Proc[]): Proc[] {
  return procs.filter((k) => {
    try {
      process.kill(k.pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The processes of `procs` still alive after a bounded wait. tsx's esbuild service ends when its stdin closes,
 * a moment after the rig; a survivor is still there after the wait.
 */
export async function aliveAfter(procs: Proc[], ms = 5000): Promise<Proc[]> {
  for (let waited = 0; waited < ms && alive(procs).length; waited += 100) await new Promise((r) => setTimeout(r, 100));
  return alive(procs);
}
