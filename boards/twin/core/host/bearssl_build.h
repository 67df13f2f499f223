// BearSSL as a firmware built it (world "tls", rig/scenario/tls-build.ts; docs/tls-build.md), for the BearSSL boards
// (ESP8266 core, ArduinoBearSSL): the suite subset, BR_MAX_RSA_SIZE and the max fragment length, applied at run time
// on Debian's libbearssl (BR_MAX_RSA_SIZE 4096).
// Header-only (inline): the host core library is built for every board and only BearSSL boards link libbearssl.
// BR_MAX_RSA_SIZE: BearSSL src/inner.h (default 4096); the check itself is in
// src/rsa/rsa_i15_pub.c and rsa_i31_pub.c ("if (nlen == 0 || nlen > (BR_MAX_RSA_SIZE >> 3) || xlen != nlen) return 0").
// Buffer sizes and MFLN: src/ssl/ssl_engine.c br_ssl_engine_set_buffers_bidi picks the largest 2^u with
// out >= 2^u + 85 and in >= 2^u + 325 and sends max_fragment_length when 2^u < 16384.
#pragma once
#include <bearssl.h>
#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "twin_world.h"

namespace twin {
namespace bearssl_build_detail {
struct SuiteName {
  const char* name;
  uint16_t id;
};
inline const SuiteName kSuites[] = {
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", BR_TLS_RSA_WITH_AES_128_GCM_SHA256},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", BR_TLS_RSA_WITH_AES_256_GCM_SHA384},
    {"TLS_RSA_WITH_AES_128_CBC_SHA256", BR_TLS_RSA_WITH_AES_128_CBC_SHA256},
    {"TLS_RSA_WITH_AES_256_CBC_SHA256", BR_TLS_RSA_WITH_AES_256_CBC_SHA256},
    {"TLS_RSA_WITH_AES_128_CBC_SHA", BR_TLS_RSA_WITH_AES_128_CBC_SHA},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", BR_TLS_RSA_WITH_AES_256_CBC_SHA},
    {"TLS_RSA_WITH_3DES_EDE_CBC_SHA", BR_TLS_RSA_WITH_3DES_EDE_CBC_SHA},
};

inline bool tooLong(const unsigned char* n, size_t nlen) {
  while (nlen > 0 && *n == 0) {
    n++;
    nlen--;
  }
  long limit = tlsInt("rsaMaxBits", 4096);
  if (nlen * 8 <= (size_t)limit) return false;
  fact("tls-build-rsa-too-long:%zu", nlen * 8);
  return true;
}

inline uint32_t limitedVrfy(const unsigned char* x, size_t xlen, const unsigned char* hash_oid, size_t hash_len,
                     const br_rsa_public_key* pk, unsigned char* hash_out) {
  if (tooLong(pk->n, pk->nlen)) return 0;
  return br_rsa_pkcs1_vrfy_get_default()(x, xlen, hash_oid, hash_len, pk, hash_out);
}

inline uint32_t limitedPublic(unsigned char* x, size_t xlen, const br_rsa_public_key* pk) {
  if (tooLong(pk->n, pk->nlen)) return 0;
  return br_rsa_public_get_default()(x, xlen, pk);
}

inline size_t mflPower() {
  long mfl = tlsInt("maxFragmentLength", 0);
  return mfl == 512 || mfl == 1024 || mfl == 2048 || mfl == 4096 ? (size_t)mfl : 0;
}
}  // namespace bearssl_build_detail

inline void bearsslBuildSuites(br_ssl_engine_context* eng) {
  using namespace bearssl_build_detail;
  if (!tlsOption("ciphers")) return;
  static std::vector<uint16_t> ids;
  if (ids.empty()) {
    for (const auto& s : kSuites) {
      std::string dashed = s.name;  // the list may use mbedTLS's dashes as well
      for (char& c : dashed)
        if (c == '_') c = '-';
      if (tlsListHas("ciphers", s.name) || tlsListHas("ciphers", dashed.c_str())) ids.push_back(s.id);
    }
  }
  if (!ids.empty()) br_ssl_engine_set_suites(eng, ids.data(), ids.size());
}

inline void bearsslBuildRsa(br_ssl_client_context* sc, br_x509_minimal_context* xm) {
  using namespace bearssl_build_detail;
  if (tlsInt("rsaMaxBits", 4096) >= 4096) return;
  br_ssl_engine_set_rsavrfy(&sc->eng, limitedVrfy);
  br_ssl_client_set_rsapub(sc, limitedPublic);
  if (xm) br_x509_minimal_set_rsa(xm, limitedVrfy);
}

inline size_t bearsslBuildInBuf() { return bearssl_build_detail::mflPower() ? bearssl_build_detail::mflPower() + 325 : 0; }
inline size_t bearsslBuildOutBuf() { return bearssl_build_detail::mflPower() ? bearssl_build_detail::mflPower() + 85 : 0; }
}  // namespace twin
