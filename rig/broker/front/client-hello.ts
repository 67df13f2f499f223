// Reads what a TLS front needs from a ClientHello before any handshake: the server name (SNI) and the ALPN list.
// RFC 8446 §4.1.2 / RFC 5246 §7.4.1.2 layout; RFC 6066 §3 (server_name, type 0), RFC 7301 §3.1 (ALPN, type 16).

export interface ClientHelloInfo {
  sni?: string;
  alpn: string[];
}

/** Bytes still needed before the first record is whole (0 = enough), or -1 when this is no TLS handshake. */
export function helloBytesMissing(buf: Buffer): number {
  if (buf.length < 5) return 5 - buf.length;
  if (buf[0] !== 22) return -1;
  return Math.max(0, 5 + buf.readUInt16BE(3) - buf.length);
}

/** The SNI and ALPN of the ClientHello in the first record; undefined when the record holds no ClientHello. */
export function parseClientHello(buf: Buffer): ClientHelloInfo | undefined {
  if (buf.length < 9 || buf[0] !== 22 || buf[5] !== 1) return undefined;
  const end = Math.min(buf.length, 5 + buf.readUInt16BE(3));
  let p = 9 + 2 + 32; // handshake header, client_version, random
  const skip = (lenBytes: number): boolean => {
    if (p + lenBytes > end) return false;
    const n = lenBytes === 1 ? buf[p]! : buf.readUInt16BE(p);
    p += lenBytes + n;
    return p <= end;
  };
  if (!skip(1) || !skip(2) || !skip(1)) return undefined; // session_id, cipher_suites, compression_methods
  const info: ClientHelloInfo = { alpn: [] };
  if (p + 2 > end) return info; // no extensions at all
  const extEnd = Math.min(end, p + 2 + buf.readUInt16BE(p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = buf.readUInt16BE(p);
    const len = buf.readUInt16BE(p + 2);
    const body = buf.subarray(p + 4, Math.min(extEnd, p + 4 + len));
    if (type === 0 && body.length >= 5 && body[2] === 0)
      info.sni = body.subarray(5, 5 + body.readUInt16BE(3)).toString('latin1');
    if (type === 16) info.alpn = alpnList(body);
    p += 4 + len;
  }
  return info;
}

function alpnList(body: Buffer): string[] {
  const out: string[] = [];
  for (let q = 2; q < body.length; q += 1 + body[q]!)
    out.push(body.subarray(q + 1, q + 1 + body[q]!).toString('latin1'));
  return out;
}
