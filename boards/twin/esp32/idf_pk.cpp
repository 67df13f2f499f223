// The IDF build's cipher set for encrypted private keys (see idf_pk.h). What mbedTLS without MBEDTLS_DES_C returns,
// read from Mbed-TLS/mbedtls v2.28.3 (IDF 4.4's branch) and v3.6.2 (IDF 5.3's), which agree:
// - traditional PEM ("Proc-Type: 4,ENCRYPTED", "DEK-Info: DES-EDE3-CBC," or "DES-CBC,"): the cipher is looked up
//   before the password, so MBEDTLS_ERR_PEM_UNKNOWN_ENC_ALG (-0x1280) with or without one (library/pem.c:318-364
//   @v2.28.3, :344-389 @v3.6.2);
// - PKCS#8 "ENCRYPTED PRIVATE KEY": no password is MBEDTLS_ERR_PK_PASSWORD_REQUIRED first (pkparse.c
//   pk_parse_key_pkcs8_encrypted_der); PBES2 with a DES scheme has no cipher info, MBEDTLS_ERR_PKCS5_FEATURE_UNAVAILABLE
//   (-0x2E80, pkcs5.c:176 @v2.28.3, :187 @v3.6.2); PKCS#12 PBE with 3DES, MBEDTLS_ERR_PKCS12_FEATURE_UNAVAILABLE
//   (-0x1F00, pkcs12.c:193 @v2.28.3, :171 @v3.6.2).
// And what mbedTLS 3.6 (cores 3.x) reads that 2.28 does not: PKCS#8 PBES2 with an AES-CBC scheme, OpenSSL 3's
// default for an encrypted key (`openssl pkey -aes256`). 2.28 knows only DES schemes (library/oid.c oid_cipher_alg
// @v2.28.3: -0x2E80 on the board too), 3.6 adds aes128/192/256-cbc (oid.c oid_cipher_alg @v3.6.2) and decrypts with
// PBKDF2 and PKCS#7 padding, a padding error being MBEDTLS_ERR_PK_PASSWORD_MISMATCH (pkcs5.c:256 @v3.6.2, pkparse.c
// pk_parse_key_pkcs8_encrypted_der). The twin does that decryption itself with Debian's primitives.
// Everything else is Debian's mbedTLS 2.28 itself, the same code the board runs.
#include "idf_pk.h"

#include <mbedtls/asn1.h>
#include <mbedtls/cipher.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pem.h>
#include <mbedtls/pkcs12.h>
#include <mbedtls/pkcs5.h>
#include <string.h>

#include <vector>

#include "twin_world.h"

namespace {

bool contains(const unsigned char* key, size_t keylen, const char* text) {
  size_t n = strlen(text);
  for (size_t i = 0; i + n <= keylen; i++)
    if (memcmp(key + i, text, n) == 0) return true;
  return false;
}

bool oidIs(const mbedtls_asn1_buf& oid, const char* want, size_t len) {
  return oid.len == len && memcmp(oid.p, want, len) == 0;
}
#define OID_IS(oid, name) oidIs(oid, name, sizeof(name) - 1)

// EncryptedPrivateKeyInfo ::= SEQUENCE { encryptionAlgorithm AlgorithmIdentifier, encryptedData OCTET STRING },
// with PBES2-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, encryptionScheme AlgorithmIdentifier }.
struct Pkcs8 {
  mbedtls_asn1_buf alg{}, kdf{}, kdfParams{}, scheme{}, schemeParams{};
  bool pbes2 = false;
  const unsigned char* data = nullptr;
  size_t dataLen = 0;
};

bool readPkcs8(unsigned char* p, const unsigned char* end, Pkcs8& k) {
  size_t len;
  mbedtls_asn1_buf params;
  if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) return false;
  end = p + len;
  if (mbedtls_asn1_get_alg(&p, end, &k.alg, &params) != 0) return false;
  if (mbedtls_asn1_get_tag(&p, end, &k.dataLen, MBEDTLS_ASN1_OCTET_STRING) != 0) return false;
  k.data = p;
  if (!OID_IS(k.alg, MBEDTLS_OID_PKCS5_PBES2) || params.tag != (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
    return true;
  unsigned char* q = params.p;
  const unsigned char* qend = params.p + params.len;
  k.pbes2 = mbedtls_asn1_get_alg(&q, qend, &k.kdf, &k.kdfParams) == 0 &&
            mbedtls_asn1_get_alg(&q, qend, &k.scheme, &k.schemeParams) == 0;
  return true;
}

// The error a DES-less build returns for this algorithm, or 0 when DES is not involved.
int desError(const Pkcs8& k) {
  if (OID_IS(k.alg, MBEDTLS_OID_PKCS12_PBE_SHA1_DES3_EDE_CBC) || OID_IS(k.alg, MBEDTLS_OID_PKCS12_PBE_SHA1_DES2_EDE_CBC))
    return MBEDTLS_ERR_PKCS12_FEATURE_UNAVAILABLE;
  if (k.pbes2 && (OID_IS(k.scheme, MBEDTLS_OID_DES_CBC) || OID_IS(k.scheme, MBEDTLS_OID_DES_EDE3_CBC)))
    return MBEDTLS_ERR_PKCS5_FEATURE_UNAVAILABLE;
  return 0;
}

// aes128-CBC / aes192-CBC / aes256-CBC: { aes 2 }, { aes 22 }, { aes 42 } (NIST CSOR).
mbedtls_cipher_type_t aesCbc(const mbedtls_asn1_buf& oid) {
  if (OID_IS(oid, MBEDTLS_OID_AES "\x02")) return MBEDTLS_CIPHER_AES_128_CBC;
  if (OID_IS(oid, MBEDTLS_OID_AES "\x16")) return MBEDTLS_CIPHER_AES_192_CBC;
  if (OID_IS(oid, MBEDTLS_OID_AES "\x2a")) return MBEDTLS_CIPHER_AES_256_CBC;
  return MBEDTLS_CIPHER_NONE;
}

// PBKDF2-params ::= SEQUENCE { salt OCTET STRING, iterationCount INTEGER, keyLength INTEGER OPTIONAL,
// prf AlgorithmIdentifier DEFAULT hmacWithSHA1 }.
bool pbkdf2Params(const mbedtls_asn1_buf& params, mbedtls_asn1_buf& salt, int& iterations, mbedtls_md_type_t& md) {
  unsigned char* p = params.p;
  const unsigned char* end = params.p + params.len;
  if (mbedtls_asn1_get_tag(&p, end, &salt.len, MBEDTLS_ASN1_OCTET_STRING) != 0) return false;
  salt.p = p;
  p += salt.len;
  if (mbedtls_asn1_get_int(&p, end, &iterations) != 0) return false;
  int keyLength;
  if (p < end && *p == MBEDTLS_ASN1_INTEGER && mbedtls_asn1_get_int(&p, end, &keyLength) != 0) return false;
  md = MBEDTLS_MD_SHA1;
  if (p == end) return true;
  mbedtls_asn1_buf prf, prfParams;
  return mbedtls_asn1_get_alg(&p, end, &prf, &prfParams) == 0 && mbedtls_oid_get_md_hmac(&prf, &md) == 0;
}

// mbedTLS 3.6's PBES2 with an AES-CBC scheme, then the decrypted PrivateKeyInfo as 3.6 parses it.
int pbes2Aes(mbedtls_pk_context* pk, const Pkcs8& k, const unsigned char* pwd, size_t pwdlen) {
  mbedtls_asn1_buf salt{};
  int iterations = 0;
  mbedtls_md_type_t md;
  const mbedtls_cipher_info_t* cipher = mbedtls_cipher_info_from_type(aesCbc(k.scheme));
  const mbedtls_md_info_t* mdInfo = nullptr;
  if (!OID_IS(k.kdf, MBEDTLS_OID_PKCS5_PBKDF2) || !pbkdf2Params(k.kdfParams, salt, iterations, md) ||
      (mdInfo = mbedtls_md_info_from_type(md)) == nullptr || cipher == nullptr)
    return MBEDTLS_ERR_PKCS5_FEATURE_UNAVAILABLE;
  if (k.schemeParams.tag != MBEDTLS_ASN1_OCTET_STRING || k.schemeParams.len != cipher->iv_size)
    return MBEDTLS_ERR_PKCS5_INVALID_FORMAT;
  unsigned char key[32];
  const size_t keyLen = cipher->key_bitlen / 8;
  mbedtls_md_context_t mdCtx;
  mbedtls_md_init(&mdCtx);
  int ret = mbedtls_md_setup(&mdCtx, mdInfo, 1);
  if (ret == 0) ret = mbedtls_pkcs5_pbkdf2_hmac(&mdCtx, pwd, pwdlen, salt.p, salt.len, (unsigned)iterations, (uint32_t)keyLen, key);
  mbedtls_md_free(&mdCtx);
  if (ret != 0) return ret;
  std::vector<unsigned char> out(k.dataLen + cipher->block_size);
  size_t outLen = 0;
  mbedtls_cipher_context_t c;
  mbedtls_cipher_init(&c);
  ret = mbedtls_cipher_setup(&c, cipher);
  if (ret == 0) ret = mbedtls_cipher_setkey(&c, key, (int)(8 * keyLen), MBEDTLS_DECRYPT);
  if (ret == 0 && mbedtls_cipher_crypt(&c, k.schemeParams.p, k.schemeParams.len, k.data, k.dataLen, out.data(), &outLen) != 0)
    ret = MBEDTLS_ERR_PK_PASSWORD_MISMATCH;
  mbedtls_cipher_free(&c);
  memset(key, 0, sizeof key);
  if (ret != 0) return ret;
  ret = mbedtls_pk_parse_key(pk, out.data(), outLen, nullptr, 0);
  memset(out.data(), 0, out.size());
  return ret;
}

}  // namespace

int idf_pk_parse_key(mbedtls_pk_context* pk, const unsigned char* key, size_t keylen, const unsigned char* pwd,
                     size_t pwdlen) {
  if (contains(key, keylen, "Proc-Type: 4,ENCRYPTED") &&
      (contains(key, keylen, "DEK-Info: DES-EDE3-CBC,") || contains(key, keylen, "DEK-Info: DES-CBC,")))
    return MBEDTLS_ERR_PEM_UNKNOWN_ENC_ALG;
  // No password: MBEDTLS_ERR_PK_PASSWORD_REQUIRED before the algorithm is looked at, as Debian's mbedTLS says it.
  if (pwdlen > 0 && keylen > 0 && key[keylen - 1] == '\0' && contains(key, keylen, "-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
    mbedtls_pem_context pem;
    mbedtls_pem_init(&pem);
    size_t used;
    Pkcs8 k;
    bool answered = false;  // the IDF build answers differently from Debian's mbedTLS
    int ret = 0;
    if (mbedtls_pem_read_buffer(&pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----", "-----END ENCRYPTED PRIVATE KEY-----",
                                key, nullptr, 0, &used) == 0 &&
        readPkcs8(pem.buf, pem.buf + pem.buflen, k)) {
      ret = desError(k);
      answered = ret != 0;
      // Cores 3.x run mbedTLS 3.6, which reads AES-CBC PBES2 keys (see the header).
      if (!answered && twin::coreVersionCode() >= 300 && k.pbes2 && aesCbc(k.scheme) != MBEDTLS_CIPHER_NONE) {
        ret = pbes2Aes(pk, k, pwd, pwdlen);
        answered = true;
      }
    }
    mbedtls_pem_free(&pem);
    if (answered) return ret;
  }
  return mbedtls_pk_parse_key(pk, key, keylen, pwd, pwdlen);
}
