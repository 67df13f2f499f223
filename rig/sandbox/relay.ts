// A sandbox with its own network namespace reaches the broker, and only the broker, through a relay: inside,
// relay.c listens on 127.0.0.1:PORT for each broker port and passes connections to a Unix socket bound into the
// sandbox; outside, the rig accepts on that socket and connects to the broker's host and port. Chosen over
// slirp4netns/pasta (a whole user-mode network, every host port reachable unless filtered) because it can reach
// nothing but the ports it was given, and needs nothing beyond gcc, which twins need anyway.
import { chmodSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cProgram } from '../process/index.ts';

const SOURCE = fileURLToPath(new URL('./relay.c', import.meta.url));

/** The relay program, compiled once per source (cached by its hash under cacheDir). */
export function relayBinary(cacheDir: string): Promise<string> {
  return cProgram(SOURCE, 'relay', cacheDir);
}

export interface PortRelay {
  /** The relay's arguments inside: PORT=SOCKET for each port, SOCKET as the sandbox sees it. */
  args(insideDir: string): string[];
  close(): Promise<void>;
}

function pipeBoth(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const end = (): void => {
    a.destroy();
    b.destroy();
  };
  a.on('error', end);
  b.on('error', end);
  a.on('close', end);
  b.on('close', end);
}

/** Outside end: a Unix socket per port in `dir`, each connection passed on to host:port (the broker). */
export async function relayPorts(dir: string, ports: number[], host: string): Promise<PortRelay> {
  const servers: Server[] = [];
  const open = new Set<Socket>();
  const track = (s: Socket): Socket => {
    open.add(s);
    s.on('close', () => open.delete(s));
    return s;
  };
  for (const port of ports) {
    // noDelay: as in relay.c, a piece is not held behind the broker's delayed ACK (Nagle).
    const server = createServer((inside) => pipeBoth(track(inside), track(connect({ port, host, noDelay: true }))));
    const file = path.join(dir, `${port}.sock`);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => resolve());
    });
    // The sandbox user connects to it (connect needs write permission on the socket).
    chmodSync(file, 0o666);
    servers.push(server);
  }
  return {
    args: (insideDir) => ports.map((p) => `${p}=${path.posix.join(insideDir, `${p}.sock`)}`),
    close: async () => {
      for (const s of open) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    },
  };
}
