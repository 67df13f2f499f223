// Tasmota's MqttFingerprint of a certificate's RSA public key, as its tls_mini client computes it
// (arendst/Tasmota lib/lib_ssl/tls_mini/src/WiFiClientSecureLightBearSSL.cpp @ 0119132,
// pubkeyfingerprint_pubkey_fingerprint): SHA-1 over "ssh-rsa", e and n, each with a big-endian u32 length, the
// integers without leading zero bytes (as BearSSL's decoder hands them over). Printed as Tasmota's commands take it:
// upper-case hex pairs separated by spaces.
import { createHash, X509Certificate } from 'node:crypto';

/** The fingerprint of the certificate's key, "AA BB .." (20 pairs); throws for a key that is not RSA. */
export function tasmotaFingerprint(certPem: string): string {
  const key = new X509Certificate(certPem).publicKey;
  if (key.asymmetricKeyType !== 'rsa')
    throw new Error(`Tasmota fingerprints RSA keys only (this key is ${key.asymmetricKeyType})`);
  const jwk = key.export({ format: 'jwk' });
  const sha = createHash('sha1');
  for (const part of [Buffer.from('ssh-rsa'), unsigned(jwk.e!), unsigned(jwk.n!)]) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(part.length);
    sha.update(len).update(part);
  }
  return (sha.digest('hex').toUpperCase().match(/../g) ?? []).join(' ');
}

function unsigned(b64url: string): Buffer {
  const b = Buffer.from(b64url, 'base64url');
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}
