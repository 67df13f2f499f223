// Reads the first MQTT packet a client sends through the front (after TLS), a CONNECT, without trusting it: every
// length is checked against the bytes present, the packet against the front's size limit, before anything is read.
// MQTT 3.1.1 §3.1 (OASIS mqtt-v3.1.1-os) and MQTT 5 §3.1 (properties skipped); 3.1 (level 3, "MQIsdp") alike.

export interface MqttConnect {
  /** Bytes of the whole packet (fixed header included). */
  size: number;
  level: number;
  clientId: string;
  username?: string;
  /** Only whether one was sent and how long: the front never keeps or logs a password. */
  passwordLength?: number;
  /** The password's leading word when it has one ("SharedAccessSignature" of a SAS token): no secret. */
  passwordScheme?: string;
}

export type ConnectRead =
  | { state: 'more' }
  | { state: 'too-large'; size: number }
  | { state: 'malformed'; why: string }
  | { state: 'ok'; connect: MqttConnect };

/** The whole CONNECT once `buf` holds it; `max` bounds what the front will buffer (the packet's declared size). */
export function readConnect(buf: Buffer, max: number): ConnectRead {
  if (buf.length < 2) return { state: 'more' };
  if (buf[0] !== 0x10) return { state: 'malformed', why: `first packet is type ${buf[0]! >> 4}, not CONNECT` };
  let remaining = 0;
  let p = 1;
  for (let mult = 1; ; mult *= 128) {
    if (p >= buf.length) return { state: 'more' };
    const b = buf[p++]!;
    remaining += (b & 127) * mult;
    if (!(b & 128)) break;
    if (p > 4) return { state: 'malformed', why: 'remaining length over 4 bytes' };
  }
  const size = p + remaining;
  if (size > max) return { state: 'too-large', size };
  if (buf.length < size) return { state: 'more' };
  try {
    return { state: 'ok', connect: parseBody(buf.subarray(p, size), size) };
  } catch (e) {
    return { state: 'malformed', why: (e as Error).message };
  }
}

function parseBody(b: Buffer, size: number): MqttConnect {
  let p = 0;
  const need = (n: number): void => {
    if (p + n > b.length) throw new Error('a length runs past the packet');
  };
  const str = (): Buffer => {
    need(2);
    const n = b.readUInt16BE(p);
    need(2 + n);
    const s = b.subarray(p + 2, p + 2 + n);
    p += 2 + n;
    return s;
  };
  const protocol = str().toString('latin1');
  if (protocol !== 'MQTT' && protocol !== 'MQIsdp') throw new Error('protocol name is not MQTT');
  need(4);
  const level = b[p]!;
  const flags = b[p + 1]!;
  p += 4; // level, flags, keep alive
  if (level === 5) p += varint(b, () => p, need); // CONNECT properties
  const clientId = str().toString('utf8');
  if (flags & 0x04) {
    if (level === 5) p += varint(b, () => p, need); // will properties
    str();
    str();
  }
  const username = flags & 0x80 ? str().toString('utf8') : undefined;
  const password = flags & 0x40 ? str() : undefined;
  const passwordScheme = password && /^([A-Za-z]{1,40}) /.exec(password.subarray(0, 41).toString('latin1'))?.[1];
  const passwordLength = password?.length;
  return {
    size,
    level,
    clientId,
    ...(username !== undefined ? { username } : {}),
    ...(passwordLength !== undefined ? { passwordLength } : {}),
    ...(passwordScheme ? { passwordScheme } : {}),
  };
}

/** The length of an MQTT 5 property block (its varint and contents) starting at `at()`. */
function varint(b: Buffer, at: () => number, need: (n: number) => void): number {
  let len = 0;
  let i = 0;
  for (let mult = 1; i < 4; mult *= 128) {
    need(i + 1);
    const x = b[at() + i++]!;
    len += (x & 127) * mult;
    if (!(x & 128)) break;
  }
  need(i + len);
  return i + len;
}

/** A CONNACK refusing with this MQTT 3.1.1 return code (MQTT 5: the matching reason code), then the front closes. */
export function connack(level: number, rc: number): Buffer {
  if (level !== 5) return Buffer.from([0x20, 0x02, 0x00, rc]);
  // MQTT 5 §3.2.2.2: 0x85 client identifier not valid, 0x86 bad user name or password, 0x87 not authorized,
  // 0x95 packet too large.
  const v5: Record<number, number> = { 2: 0x85, 4: 0x86, 5: 0x87 };
  return Buffer.from([0x20, 0x03, 0x00, v5[rc] ?? 0x80, 0x00]);
}
