// A small C program the rig ships as source (the sandbox relay, the spawner): compiled with gcc at first use and
// cached by the source's hash, so an edited source is rebuilt and parallel rigs share one binary.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

const building = new Map<string, Promise<string>>();

/** The binary of `source` under cacheDir (`<name>-<hash>`), built once per process and source. */
export function cProgram(source: string, name: string, cacheDir: string): Promise<string> {
  const key = `${source}\0${cacheDir}`;
  let p = building.get(key);
  if (!p) {
    p = build(source, name, cacheDir);
    building.set(key, p);
    p.catch(() => building.delete(key));
  }
  return p;
}

async function build(source: string, name: string, cacheDir: string): Promise<string> {
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16);
  const bin = path.join(cacheDir, `${name}-${hash}`);
  if (existsSync(bin)) return bin;
  mkdirSync(cacheDir, { recursive: true });
  // Written aside and renamed: another rig building the same source at once never runs a half-written file.
  const tmp = `${bin}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const r = await execa('gcc', ['-O2', '-o', tmp, source], { reject: false, all: true });
  if (r.exitCode !== 0) throw new Error(`cannot build ${name}: ${r.all ?? r.message}`);
  chmodSync(tmp, 0o755);
  renameSync(tmp, bin);
  return bin;
}
