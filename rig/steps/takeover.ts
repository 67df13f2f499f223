// Dropping one client's connection. Mosquitto 2.0 has no admin command for it; a session takeover is the documented
// way: a CONNECT with a client id that is already connected makes the broker close the old connection ("Client <id>
// already connected, closing old connection.", src/handle_connect.c:128 at v2.0.11; MQTT 3.1.1 §3.1.4). The rig
// sends that CONNECT itself on a raw socket and leaves as soon as the CONNACK arrives, without reading further: with
// clean session 0 a persistent session is kept, and a QoS 1 message the broker sends the taker stays unacknowledged,
// so the broker sends it again to the board when it is back (mqtt.js would acknowledge it and the board lose it).
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import type { StepMqttOptions } from './mqtt.ts';

export type TakeoverOptions = Omit<StepMqttOptions, 'subscribe'> & { timeoutMs?: number };

/** What the takeover did: the local port of its connection (the broker logs "New client connected from h:port"). */
export interface Takeover {
  localPort: number;
  /** The CONNACK return code (0: accepted). */
  returnCode: number;
}

/** An MQTT 3.1.1 CONNECT: clean session 0, keep-alive 0, the client id and the credentials when given. Pure. */
export function connectPacket(clientId: string, username?: string, password?: string): Buffer {
  const str = (v: string): Buffer => {
    const b = Buffer.from(v, 'utf8');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(b.length);
    return Buffer.concat([len, b]);
  };
  const flags = (username !== undefined ? 0x80 : 0) | (username !== undefined && password !== undefined ? 0x40 : 0);
  const body = Buffer.concat([
    str('MQTT'),
    Buffer.from([4, flags, 0, 0]),
    str(clientId),
    ...(username !== undefined ? [str(username)] : []),
    ...(username !== undefined && password !== undefined ? [str(password)] : []),
  ]);
  const remaining: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    remaining.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x10, ...remaining]), body]);
}

/** Connects as `clientId`, waits for the CONNACK and closes the socket at once. */
export async function takeOverSession(o: TakeoverOptions, clientId: string): Promise<Takeover> {
  const [cert, key] = await Promise.all([
    o.certFile ? readFile(o.certFile) : undefined,
    o.keyFile ? readFile(o.keyFile) : undefined,
  ]);
  const timeoutMs = o.timeoutMs ?? 5000;
  return new Promise<Takeover>((resolve, reject) => {
    // Not under test: it trusts whatever the broker presents, as the rig's step client does.
    const sock: net.Socket = o.tls
      ? tls.connect({ host: o.host, port: o.port, rejectUnauthorized: false, ...(cert && key ? { cert, key } : {}) })
      : net.connect({ host: o.host, port: o.port });
    let settled = false;
    const done = (e: Error | undefined, t?: Takeover): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.removeAllListeners('data');
      sock.destroy();
      if (e) reject(e);
      else resolve(t!);
    };
    const timer = setTimeout(() => done(new Error(`no CONNACK within ${timeoutMs} ms`)), timeoutMs);
    let got = Buffer.alloc(0);
    sock.once(o.tls ? 'secureConnect' : 'connect', () => sock.write(connectPacket(clientId, o.username, o.password)));
    sock.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length < 4) return;
      if (got[0] !== 0x20) return done(new Error(`the broker answered packet type ${got[0]! >> 4}, not CONNACK`));
      done(undefined, { localPort: sock.localPort ?? 0, returnCode: got[3]! });
    });
    sock.on('error', (e) => done(e));
    sock.on('close', () => done(new Error('the broker closed the connection before its CONNACK')));
  });
}
