// See tls_build.h. Codes and limits read from Mbed-TLS/mbedtls v2.28 (ESP-IDF 4.4's branch):
// - curves: a group the build lacks has no OID (library/oid.c oid_ecp_grp is built from MBEDTLS_ECP_DP_*_ENABLED), so
//   pk_use_ecparams() returns MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE (-0x3A00, library/pkparse.c) for a certificate's
//   key, and ssl_parse_certificate_chain() sends a bad_certificate alert and returns that code (library/ssl_tls.c);
// - the input buffer: mbedtls_ssl_fetch_input() refuses a record that does not fit MBEDTLS_SSL_IN_BUFFER_LEN with
//   MBEDTLS_ERR_SSL_BAD_INPUT_DATA (-0x7100, "requesting more data than fits", library/ssl_msg.c), and a record whose
//   content is longer than MBEDTLS_SSL_IN_CONTENT_LEN fails with MBEDTLS_ERR_SSL_INVALID_RECORD (-0x7200, "bad
//   message length", ssl_msg.c ssl_prepare_record_content). The buffer holds the content plus
//   MBEDTLS_SSL_PAYLOAD_OVERHEAD (IV 16 + MAC 48 + CBC padding 256 = 320, library/ssl_misc.h / ssl_internal.h) after
//   the 8-byte counter; with CONFIG_MBEDTLS_DYNAMIC_BUFFER (ESP-IDF port/dynamic) it is sized per record, so only
//   the content check is left.
#include "tls_build.h"

#include <errno.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <string.h>

#include <string>
#include <vector>

#include "idf_pk.h"
#include "twin_world.h"

namespace {
struct CurveName {
  const char* name;
  mbedtls_ecp_group_id id;
};
const CurveName kCurves[] = {
    {"secp192r1", MBEDTLS_ECP_DP_SECP192R1}, {"secp224r1", MBEDTLS_ECP_DP_SECP224R1},
    {"secp256r1", MBEDTLS_ECP_DP_SECP256R1}, {"secp384r1", MBEDTLS_ECP_DP_SECP384R1},
    {"secp521r1", MBEDTLS_ECP_DP_SECP521R1}, {"secp192k1", MBEDTLS_ECP_DP_SECP192K1},
    {"secp224k1", MBEDTLS_ECP_DP_SECP224K1}, {"secp256k1", MBEDTLS_ECP_DP_SECP256K1},
    {"bp256r1", MBEDTLS_ECP_DP_BP256R1},     {"bp384r1", MBEDTLS_ECP_DP_BP384R1},
    {"bp512r1", MBEDTLS_ECP_DP_BP512R1},     {"x25519", MBEDTLS_ECP_DP_CURVE25519},
};

const char* curveName(mbedtls_ecp_group_id id) {
  for (const auto& c : kCurves)
    if (c.id == id) return c.name;
  return "?";
}

// The key's curve when it is one the build lacks, else MBEDTLS_ECP_DP_NONE.
mbedtls_ecp_group_id missingCurve(const mbedtls_pk_context* pk) {
  if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_ECKEY)) return MBEDTLS_ECP_DP_NONE;
  mbedtls_ecp_group_id id = mbedtls_pk_ec(*pk)->grp.id;
  return esp32_curve_in_build(id) ? MBEDTLS_ECP_DP_NONE : id;
}

const size_t kPayloadOverhead = 16 + 48 + 256;  // MBEDTLS_SSL_PAYLOAD_OVERHEAD, see above
const size_t kGcmExpansion = 8 + 16;            // explicit nonce + tag: the AES-GCM suites Mosquitto picks

// The verdict on a record header, as the board's buffer takes it; 0 = it fits.
int recordVerdict(size_t len, bool encrypted) {
  const long contentLen = twin::tlsInt("inContentLen", 16384);
  const bool dynamic = twin::tlsBool("dynamicBuffer", false);
  if (!dynamic && len > (size_t)contentLen + kPayloadOverhead) return MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
  size_t content = encrypted && len > kGcmExpansion ? len - kGcmExpansion : len;
  if (content > (size_t)contentLen) return MBEDTLS_ERR_SSL_INVALID_RECORD;
  return 0;
}

// Reads no further than the current header or body, so a header's verdict comes before its body is handed on (the
// board fails right after reading the header, or after the body for a content that is too long: same code).
int guardedRecv(void* ctx, unsigned char* buf, size_t len) {
  auto* g = static_cast<esp32_record_guard*>(ctx);
  size_t want = g->bodyLeft > 0 ? (len < g->bodyLeft ? len : g->bodyLeft) : (len < 5 - g->have ? len : 5 - g->have);
  int n = mbedtls_net_recv(g->net, buf, want);
  if (n <= 0) return n;
  if (g->bodyLeft > 0) {
    g->bodyLeft -= (size_t)n;
    if (g->bodyLeft == 0 && g->ccsSeen) g->encrypted = true;
    return n;
  }
  memcpy(g->hdr + g->have, buf, (size_t)n);
  g->have += (size_t)n;
  if (g->have < 5) return n;
  g->have = 0;
  g->bodyLeft = ((size_t)g->hdr[3] << 8) | g->hdr[4];
  if (g->hdr[0] == MBEDTLS_SSL_MSG_CHANGE_CIPHER_SPEC) g->ccsSeen = true;
  int verdict = recordVerdict(g->bodyLeft, g->encrypted);
  if (verdict != 0) {
    twin::fact("tls-build-record-too-large:%s\ta %zu-byte record > CONFIG_MBEDTLS_SSL_IN_CONTENT_LEN %ld",
               twin::tlsBool("dynamicBuffer", false) ? "dynamic" : "static", g->bodyLeft, twin::tlsInt("inContentLen", 16384));
    return verdict;
  }
  return n;
}

// mbedtls_net_send (library/net_sockets.c, mbedtls-2.28.x) with its return codes, on twin::sendBeforeReset: a
// flight write that a rejecting broker's reset overtook counts as sent while its alert waits unread.
int boardSend(void* ctx, const unsigned char* buf, size_t len) {
  ssize_t n = twin::sendBeforeReset(static_cast<mbedtls_net_context*>(ctx)->fd, buf, len);
  if (n >= 0) return (int)n;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_WRITE;
  if (errno == ECONNRESET || errno == EPIPE) return MBEDTLS_ERR_NET_CONN_RESET;
  return MBEDTLS_ERR_NET_SEND_FAILED;
}

int guardedSend(void* ctx, const unsigned char* buf, size_t len) {
  return boardSend(static_cast<esp32_record_guard*>(ctx)->net, buf, len);
}

// "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" (IANA) and "TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256" (mbedTLS) are one name.
std::string dashed(std::string s) {
  for (char& ch : s)
    if (ch == '_') ch = '-';
  return s;
}
}  // namespace

bool esp32_curve_in_build(mbedtls_ecp_group_id id) { return twin::tlsListHas("curves", curveName(id)); }

int esp32_crt_parse(mbedtls_x509_crt* chain, const unsigned char* buf, size_t len) {
  if (!twin::tlsOption("curves")) return mbedtls_x509_crt_parse(chain, buf, len);
  mbedtls_x509_crt all;
  mbedtls_x509_crt_init(&all);
  int ret = mbedtls_x509_crt_parse(&all, buf, len);
  if (ret < 0) {
    mbedtls_x509_crt_free(&all);
    return ret;
  }
  // Rebuild the chain the board would have: certificates on a missing curve are failed blocks (x509_crt.c
  // mbedtls_x509_crt_parse: first_error, total_failed; DER input is one certificate, its error returned as is).
  const bool pem = len > 0 && buf[len - 1] == '\0' && strstr((const char*)buf, "-----BEGIN CERTIFICATE-----");
  int failed = ret, ok = 0, firstError = 0;
  for (mbedtls_x509_crt* c = &all; c && c->raw.p; c = c->next) {
    mbedtls_ecp_group_id missing = missingCurve(&c->pk);
    if (missing != MBEDTLS_ECP_DP_NONE) {
      twin::fact("tls-build-curve-missing:%s", curveName(missing));
      failed++;
      if (!firstError) firstError = MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE;
      continue;
    }
    if (mbedtls_x509_crt_parse_der(chain, c->raw.p, c->raw.len) == 0) ok++;
  }
  mbedtls_x509_crt_free(&all);
  if (!pem) return firstError;
  if (ok > 0) return failed;
  return firstError ? firstError : MBEDTLS_ERR_X509_CERT_UNKNOWN_FORMAT;
}

int esp32_pk_parse_key(mbedtls_pk_context* pk, const unsigned char* key, size_t keylen, const unsigned char* pwd,
                       size_t pwdlen) {
  int ret = twin::tlsBool("des", false) ? mbedtls_pk_parse_key(pk, key, keylen, pwd, pwdlen)
                                        : idf_pk_parse_key(pk, key, keylen, pwd, pwdlen);
  if (ret != 0) return ret;
  mbedtls_ecp_group_id missing = missingCurve(pk);
  if (missing == MBEDTLS_ECP_DP_NONE) return 0;
  twin::fact("tls-build-curve-missing:%s", curveName(missing));
  mbedtls_pk_free(pk);
  mbedtls_pk_init(pk);
  return MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE;
}

void esp32_check_peer_chain(sslclient_context* ssl) {
  if (ssl->buildError || !twin::tlsOption("curves") || !ssl->ssl_ctx.session_negotiate) return;
  for (const mbedtls_x509_crt* c = ssl->ssl_ctx.session_negotiate->peer_cert; c && c->raw.p; c = c->next) {
    mbedtls_ecp_group_id missing = missingCurve(&c->pk);
    if (missing == MBEDTLS_ECP_DP_NONE) continue;
    twin::fact("tls-build-curve-missing:%s", curveName(missing));
    ssl->buildError = MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE;
    return;
  }
}

int esp32_build_result(sslclient_context* ssl, int ret) {
  return ssl->buildError && ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED ? ssl->buildError : ret;
}

bool esp32_suite_in_build(const char* name) {
  if (!twin::tlsBool("des", false) && (strstr(name, "-3DES-") || strstr(name, "-DES-"))) return false;
  const char* list = twin::tlsOption("ciphers");
  if (!list) return true;
  return ("," + dashed(list) + ",").find("," + dashed(name) + ",") != std::string::npos;
}

size_t esp32_rsa_max_bits() { return (size_t)twin::tlsInt("rsaMaxBits", 4096); }

void esp32_build_conf(mbedtls_ssl_config* conf) {
  if (twin::tlsOption("curves")) {
    static std::vector<mbedtls_ecp_group_id> groups;
    if (groups.empty()) {
      // mbedTLS's own preference order, less what the build lacks.
      for (const mbedtls_ecp_curve_info* c = mbedtls_ecp_curve_list(); c->grp_id != MBEDTLS_ECP_DP_NONE; c++)
        if (esp32_curve_in_build(c->grp_id)) groups.push_back(c->grp_id);
      groups.push_back(MBEDTLS_ECP_DP_NONE);
    }
    mbedtls_ssl_conf_curves(conf, groups.data());
  }
  switch (twin::tlsInt("maxFragmentLength", 0)) {
    case 512: mbedtls_ssl_conf_max_frag_len(conf, MBEDTLS_SSL_MAX_FRAG_LEN_512); break;
    case 1024: mbedtls_ssl_conf_max_frag_len(conf, MBEDTLS_SSL_MAX_FRAG_LEN_1024); break;
    case 2048: mbedtls_ssl_conf_max_frag_len(conf, MBEDTLS_SSL_MAX_FRAG_LEN_2048); break;
    case 4096: mbedtls_ssl_conf_max_frag_len(conf, MBEDTLS_SSL_MAX_FRAG_LEN_4096); break;
    default: break;
  }
}

void esp32_build_set_bio(sslclient_context* ssl) {
  ssl->buildError = 0;
  ssl->guard = esp32_record_guard{};
  ssl->guard.net = &ssl->net;
  if (!twin::tlsOption("inContentLen")) {
    mbedtls_ssl_set_bio(&ssl->ssl_ctx, &ssl->net, boardSend, mbedtls_net_recv, nullptr);
    return;
  }
  mbedtls_ssl_set_bio(&ssl->ssl_ctx, &ssl->guard, guardedSend, guardedRecv, nullptr);
}
