// Odd TLS peers for failure rows the broker cannot play: `openssl s_server` with chosen options, a silent TCP peer.
import net from 'node:net';
import { freePort } from '../twin/helpers.ts';
import { startManaged } from '../../rig/process/index.ts';

export interface OddServer {
  port: number;
  stop(): Promise<void>;
}

/** `openssl s_server` on 127.0.0.1 with extra options (e.g. ['-tls1_3']); resolves once it prints ACCEPT. */
export async function startSServer(cert: string, key: string, extra: string[]): Promise<OddServer> {
  const port = await freePort();
  const proc = await startManaged({
    command: 'openssl',
    args: ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', cert, '-key', key, ...extra],
    stdin: 'pipe',
    ready: { line: /ACCEPT/, timeoutMs: 10_000 },
  });
  return {
    port,
    stop: async () => {
      await proc.stop();
    },
  };
}

/** Accepts TCP connections and never sends a byte. */
export async function startSilentPeer(): Promise<OddServer> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', () => resolve()));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}
