// The board's mbedTLS as its firmware built it (world "tls", rig/scenario/tls-build.ts; docs/tls-build.md): curves,
// DES, the input buffer, max fragment length, the RSA limit and the suite list, applied at run time on Debian's
// mbedTLS 2.28, which has everything, so that what the board's build lacks fails with the board's own code.
#pragma once
#include "ssl_client.h"

// CONFIG_MBEDTLS_ECP_DP_<X>_ENABLED: is this group in the build (true for every group when unset).
bool esp32_curve_in_build(mbedtls_ecp_group_id id);
// mbedtls_x509_crt_parse as the board's build answers it: a certificate whose key is on a curve the build lacks does
// not parse (-0x3A00 MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE, counted like any failed PEM block).
int esp32_crt_parse(mbedtls_x509_crt* chain, const unsigned char* buf, size_t len);
// mbedtls_pk_parse_key as the board's build answers it: no DES (idf_pk.h) unless tls.des, and its curves.
int esp32_pk_parse_key(mbedtls_pk_context* pk, const unsigned char* key, size_t keylen, const unsigned char* pwd,
                       size_t pwdlen);
// Called from the verify callback for each certificate of the peer's chain: records -0x3A00 in ssl->buildError when
// a sent certificate's key is on a curve the build lacks (the board fails parsing it, before any verification).
void esp32_check_peer_chain(sslclient_context* ssl);
// The handshake's result as the board's build returns it (buildError in place of the verify failure it caused).
int esp32_build_result(sslclient_context* ssl, int ret);
// Is this suite in the build (DES, the tls.ciphers list)?
bool esp32_suite_in_build(const char* name);
// Largest RSA operand the build takes (SOC_RSA_MAX_BIT_LEN 4096, or tls.rsaMaxBits); 0 = no limit.
size_t esp32_rsa_max_bits();
// Curves and max fragment length on the config (after mbedtls_ssl_config_defaults).
void esp32_build_conf(mbedtls_ssl_config* conf);
// mbedtls_ssl_set_bio through the board build's input buffer limit (tls.inContentLen).
void esp32_build_set_bio(sslclient_context* ssl);
