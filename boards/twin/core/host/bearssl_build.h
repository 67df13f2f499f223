// BearSSL as a firmware built it (world "tls", rig/scenario/tls-build.ts; docs/tls-build.md), for the BearSSL boards
// (ESP8266 core, ArduinoBearSSL): the suite subset, BR_MAX_RSA_SIZE and the max fragment length, applied at run time
// on Debian's libbearssl (BR_MAX_RSA_SIZE 4096). Needs <bearssl.h> before it.
#pragma once
#include <stddef.h>

namespace twin {
// Restricts the engine's suites to tls.ciphers (IANA names, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256); unset: unchanged.
void bearsslBuildSuites(br_ssl_engine_context* eng);
// tls.rsaMaxBits below the library's 4096: RSA public-key operations on a longer modulus fail the way
// br_rsa_i15_public fails them on the board (returns 0: the BearSSL build's own check "nlen > BR_MAX_RSA_SIZE >> 3"),
// for the server's signature, RSA key exchange and the chain's signatures.
void bearsslBuildRsa(br_ssl_client_context* sc, br_x509_minimal_context* xm);
// tls.maxFragmentLength: the buffer sizes that make BearSSL ask for it (in 2^u+325, out 2^u+85), or 0 when unset.
size_t bearsslBuildInBuf();
size_t bearsslBuildOutBuf();
}  // namespace twin
