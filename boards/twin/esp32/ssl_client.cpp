// See ssl_client.h. Step numbers refer to docs/tls-esp32.md §1.2. Line numbers and texts of E/W/I-level lines come
// from the version row of the imitated core (boards/twin/versions/esp32.yaml); those of D/V-level lines (Core Debug
// Level 4-5 only: heap, "Starting socket", ...) are 2.0.14's and approximate for other cores.
#include "ssl_client.h"

#include <errno.h>
#include <fcntl.h>
#include <mbedtls/error.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "Arduino.h"
#include "WiFi.h"
#include "tls_build.h"
#include "twin_world.h"

namespace {
using twin::esp32::logAt;
using twin::rowBool;
using twin::rowInt;
using twin::rowStr;

const char* kPers = "esp32-tls";

// Every number and text below comes from the version row of the core being imitated (boards/twin/versions/
// esp32.yaml): sites.* are the __LINE__ of each handle_error() call in start_ssl_client, as the one-line
// "_handle_error(): [start_ssl_client():N]" (1.0.4+) prints them.
int site(const char* key) { return (int)rowInt(key); }

int handleError(int err, const char* function, int line) {
  if (err == -30848) return err;  // MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY is silent on the board
  char buf[100];
  esp32_strerror(err, buf, sizeof buf);  // 100-byte buffer: cut to 99 characters like the board
  twin::fact("mbedtls:%d", err);
  const char* file = rowStr("handleError.file");
  const char* func = rowStr("handleError.func");
  if (rowBool("handleError.twoLines")) {
    // handle_error() before 1.0.4: the text, then the code, and no call site (seed 000's 2019 log).
    twin::esp32::logFormat(1, file, site("handleError.line"), func, rowStr("handleError.format"), buf);
    twin::esp32::logFormat(1, file, site("handleError.codeLine"), func, rowStr("handleError.codeFormat"), err);
  } else {
    twin::esp32::logFormat(1, file, site("handleError.line"), func, rowStr("handleError.format"), function, line, err, buf);
  }
  return err;
}

// Linux errno -> lwIP/newlib errno and text as the board reports a failed connect (docs/tls-esp32.md §6).
void boardErrno(int linuxErrno, int& code, const char*& text) {
  switch (linuxErrno) {
    case ECONNREFUSED:
    case ECONNRESET: code = 104; text = "Connection reset by peer"; break;
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ECONNABORTED: code = 113; text = "Software caused connection abort"; break;
    default: code = linuxErrno; text = strerror(linuxErrno); break;
  }
}

// True when the leaf has an iPAddress SAN equal to `host` (a dotted quad). mbedTLS 2.28 keeps such entries in
// subject_alt_names (tag [7]) but never matches them; mbedTLS >= 3.5 does (docs/tls-esp32.md §2).
bool sanIpMatches(const mbedtls_x509_crt* crt, const char* host) {
  IPAddress ip;
  if (!host || !ip.fromString(host)) return false;
  for (const mbedtls_x509_sequence* cur = &crt->subject_alt_names; cur && cur->buf.p; cur = cur->next) {
    if (cur->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && cur->buf.len == 4 && memcmp(cur->buf.p, ip.raw(), 4) == 0) return true;
  }
  return false;
}

// Per-certificate verify callback. The board has no MBEDTLS_HAVE_TIME_DATE: dates are never checked, but
// Debian's build checks them, so clear those flags (docs/tls-esp32.md §3) and remember them as a fact. Cores >= 3.1
// (IDF 5.3, mbedTLS 3.6) match iPAddress SANs: emulate that on the leaf.
int boardVerify(void* ctx, mbedtls_x509_crt* crt, int depth, uint32_t* flags) {
  const uint32_t dateFlags = MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE | MBEDTLS_X509_BADCRL_EXPIRED |
                             MBEDTLS_X509_BADCRL_FUTURE;
  auto* ssl = static_cast<sslclient_context*>(ctx);
  // A sent certificate on a curve the build lacks never parses on the board (tls_build.h): fail the verification
  // so mbedTLS sends the same bad_certificate alert, and report the board's code (esp32_build_result).
  esp32_check_peer_chain(ssl);
  if (ssl->buildError) *flags |= MBEDTLS_X509_BADCERT_BAD_KEY;
  ssl->ignoredFlags |= *flags & dateFlags;
  *flags &= ~dateFlags;
  if (depth == 0 && (*flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) && rowBool("mbedtls.sanIp") &&
      sanIpMatches(crt, ssl->hostname)) {
    *flags &= ~MBEDTLS_X509_BADCERT_CN_MISMATCH;
    twin::fact("tls-san-ip-match:%s", ssl->hostname);
  }
  return 0;
}

// The suites the board's mbedTLS offers (docs/tls-esp32.md §2, §4): arduino-esp32 is built without ChaCha20-Poly1305,
// and 3.x (esp32-arduino-libs sdkconfig: MBEDTLS_DHM_C not set) also without DHM, so no DHE-RSA/DHE-PSK suites:
// a broker that only accepts DHE finds no common suite and answers with a handshake_failure alert. 2.0.x has DHM
// (2.0.14 sdkconfig: CONFIG_MBEDTLS_KEY_EXCHANGE_DHE_RSA=1). The rest of mbedTLS's default list is offered.
const int* boardCiphersuites() {
  static std::vector<int> list;
  if (list.empty()) {
    const bool noDhm = !rowBool("mbedtls.dhm");
    for (const int* id = mbedtls_ssl_list_ciphersuites(); *id; id++) {
      const char* name = mbedtls_ssl_get_ciphersuite_name(*id);
      if (name && strstr(name, "CHACHA20")) continue;
      if (name && noDhm && strncmp(name, "TLS-DHE-", 8) == 0) continue;
      if (name && !esp32_suite_in_build(name)) continue;  // the firmware's own build (tls_build.h)
      list.push_back(*id);
    }
    list.push_back(0);
  }
  return list.data();
}

// Step 2: the TCP connect. Returns the fd or -1 after the board's log line: 1.0.x connected blocking and printed one
// line; 2.0.x+ connect non-blocking and select(), and name the socket and errno.
int openSocket(const IPAddress& ip, uint32_t port, int timeoutMs) {
  if (timeoutMs <= 0) timeoutMs = 30000;
  int fd = twin::tcpConnect(ip, (uint16_t)port, (uint32_t)timeoutMs);
  if (fd >= 0) return fd;
  int err = -fd;
  twin::fact("tcp-errno:%d", err);
  const char* func = rowStr("socket.func");
  const int boardFd = site("socket.fd");
  if (std::string(rowStr("socket.style")) == "blocking") {
    twin::esp32::logFormat(1, rowStr("sites.file"), site("socket.connectFailedLine"), func, rowStr("socket.connectFailedText"));
    return -1;
  }
  if (err == ETIMEDOUT) {
    twin::esp32::logFormat(3, rowStr("sites.file"), site("socket.selectTimeoutLine"), func, rowStr("socket.selectTimeoutFormat"),
                           timeoutMs, boardFd);
    return -1;
  }
  int code; const char* text;
  boardErrno(err, code, text);
  twin::esp32::logFormat(1, rowStr("sites.file"), site("socket.socketErrorLine"), func, rowStr("socket.socketErrorFormat"), boardFd,
                         code, text);
  return -1;
}
}  // namespace

void esp32_board_tls_config(sslclient_context* ssl) {
  esp32_hw_mpi_link();
  mbedtls_ssl_conf_ciphersuites(&ssl->ssl_conf, boardCiphersuites());
  mbedtls_ssl_conf_verify(&ssl->ssl_conf, boardVerify, ssl);
  esp32_build_conf(&ssl->ssl_conf);
}

void esp32_strerror(int err, char* buf, size_t size) {
  int code = err < 0 ? -err : err;
  if (code >= 0x40 && code <= 0x52) {
    // ESP builds #undef MBEDTLS_NET_C, so these low-level codes have no text there.
    snprintf(buf, size, "UNKNOWN ERROR CODE (%04X)", code);
    return;
  }
  // Not remapped: 0x30, which lastError() reports after a good connect (the socket number 48). IDF 4.x esp_config.h
  // keeps mbedTLS's "#define MBEDTLS_PADLOCK_C" (esp-idf#12081 asked in 2023 to drop it), so the board prints
  // "PADLOCK - Input data should be aligned" like Debian. (When IDF 5.x dropped it is unverified: 3.x keeps this.)
  mbedtls_strerror(err, buf, size);
}

void ssl_init(sslclient_context* ssl) {
  ssl->socket = -1;
  ssl->ignoredFlags = 0;
  mbedtls_net_init(&ssl->net);
  mbedtls_ssl_init(&ssl->ssl_ctx);
  mbedtls_ssl_config_init(&ssl->ssl_conf);
  mbedtls_ctr_drbg_init(&ssl->drbg_ctx);
  mbedtls_entropy_init(&ssl->entropy_ctx);
  mbedtls_x509_crt_init(&ssl->ca_cert);
  mbedtls_x509_crt_init(&ssl->client_cert);
  mbedtls_pk_init(&ssl->client_key);
  ssl->live = true;
}

int start_ssl_client(sslclient_context* ssl, const IPAddress& ipIn, uint32_t port, const char* hostname, int timeoutMs,
                     const char* rootCA, bool useRootCABundle, const char* cliCert, const char* cliKey,
                     const char* pskIdent, const char* psKey, bool insecure, const char** alpnProtos) {
  ssl->handshakeStarted = false;
  // Step 1: no trust configured -> -1 before any socket (cores >= 1.0.5, trust.noTrust "refuse"). Older cores went
  // on without verification (VERIFY_NONE) and said so at Info level (docs/tls-esp32.md §1.2): a sketch that forgot
  // setCACert() connected to anything.
  const bool noTrust = rootCA == nullptr && pskIdent == nullptr && psKey == nullptr && !insecure && !useRootCABundle;
  const bool legacyNoTrust = noTrust && std::string(rowStr("trust.noTrust")) == "verify-none";
  if (legacyNoTrust) {
    twin::fact("tls-no-trust-verify-none");
  } else if (noTrust) {
    twin::fact("tls-no-trust");
    return -1;
  }
  // 1.0.x and 2.0.0 resolve the name here (WiFiGenericClass::hostByName inside start_ssl_client): a failed lookup
  // prints the DNS line and returns -1, so the caller's "start_ssl_client: -1" follows (dns.inStartSslClient).
  IPAddress ip = ipIn;
  if (hostname && rowBool("dns.inStartSslClient") && !WiFi.hostByName(hostname, ip)) return -1;
  logAt(5, "ssl_client.cpp", 61, "start_ssl_client", "Free internal heap before TLS %u", 245000u);
  logAt(5, "ssl_client.cpp", 67, "start_ssl_client", "Starting socket");
  int fd = openSocket(ip, port, timeoutMs);
  if (fd < 0) return -1;
  ssl->socket = fd;
  ssl->net.fd = fd;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);

  int ret;
  logAt(5, "ssl_client.cpp", 146, "start_ssl_client", "Seeding the random number generator");
  ret = mbedtls_ctr_drbg_seed(&ssl->drbg_ctx, mbedtls_entropy_func, &ssl->entropy_ctx, (const unsigned char*)kPers, strlen(kPers));
  if (ret < 0) return handleError(ret, "start_ssl_client", site("sites.drbgSeed"));

  logAt(5, "ssl_client.cpp", 155, "start_ssl_client", "Setting up the SSL/TLS structure...");
  ret = mbedtls_ssl_config_defaults(&ssl->ssl_conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
  if (ret != 0) return handleError(ret, "start_ssl_client", site("sites.configDefaults"));
  esp32_board_tls_config(ssl);
  if (alpnProtos) {
    ret = mbedtls_ssl_conf_alpn_protocols(&ssl->ssl_conf, alpnProtos);
    if (ret != 0) return handleError(ret, "start_ssl_client", site("sites.alpn"));
  }

  // Step 5: auth mode.
  if (legacyNoTrust) {
    mbedtls_ssl_conf_authmode(&ssl->ssl_conf, MBEDTLS_SSL_VERIFY_NONE);
    twin::esp32::logFormat((int)rowInt("trust.noTrustLevel"), rowStr("sites.file"), site("trust.noTrustLine"), "start_ssl_client",
                           rowStr("trust.noTrustText"));
  } else if (insecure) {
    mbedtls_ssl_conf_authmode(&ssl->ssl_conf, MBEDTLS_SSL_VERIFY_NONE);
    twin::esp32::logFormat((int)rowInt("trust.insecureLevel"), rowStr("sites.file"), site("trust.insecureLine"), "start_ssl_client",
                           rowStr("trust.insecureText"));
  } else if (rootCA) {
    logAt(5, "ssl_client.cpp", 178, "start_ssl_client", "Loading CA cert");
    mbedtls_ssl_conf_authmode(&ssl->ssl_conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    ret = esp32_crt_parse(&ssl->ca_cert, (const unsigned char*)rootCA, strlen(rootCA) + 1);
    mbedtls_ssl_conf_ca_chain(&ssl->ssl_conf, &ssl->ca_cert, nullptr);
    if (ret < 0) return handleError(ret, "start_ssl_client", site("sites.caParse"));
  } else if (pskIdent && psKey) {
    size_t n = strlen(psKey);
    if ((n & 1) || n > 2 * MBEDTLS_PSK_MAX_LEN) {
      twin::esp32::logFormat(1, rowStr("sites.file"), site("sites.pskHexLine"), "start_ssl_client", rowStr("sites.pskHexText"));
      return -1;
    }
    unsigned char psk[MBEDTLS_PSK_MAX_LEN];
    for (size_t j = 0; j < n; j += 2) {
      unsigned v;
      if (sscanf(psKey + j, "%2x", &v) != 1) return -1;
      psk[j / 2] = (unsigned char)v;
    }
    ret = mbedtls_ssl_conf_psk(&ssl->ssl_conf, psk, n / 2, (const unsigned char*)pskIdent, strlen(pskIdent));
    if (ret != 0) return handleError(ret, "start_ssl_client", site("sites.pskConf"));
  } else if (!useRootCABundle) {
    return -1;
  } else {
    mbedtls_ssl_conf_authmode(&ssl->ssl_conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  }

  // Step 6: client certificate and key.
  if (!insecure && cliCert && cliKey) {
    logAt(5, "ssl_client.cpp", 236, "start_ssl_client", "Loading CRT cert");
    ret = esp32_crt_parse(&ssl->client_cert, (const unsigned char*)cliCert, strlen(cliCert) + 1);
    if (ret < 0) return handleError(ret, "start_ssl_client", site("sites.certParse"));
    logAt(5, "ssl_client.cpp", 244, "start_ssl_client", "Loading private key");
    ret = esp32_pk_parse_key(&ssl->client_key, (const unsigned char*)cliKey, strlen(cliKey) + 1, nullptr, 0);
    if (ret != 0) return handleError(ret, "start_ssl_client", site("sites.keyParse"));
    mbedtls_ssl_conf_own_cert(&ssl->ssl_conf, &ssl->client_cert, &ssl->client_key);
  }

  // Step 7: the name is always set: the sketch's host string, or the dotted quad for connect(IPAddress).
  logAt(5, "ssl_client.cpp", 254, "start_ssl_client", "Setting hostname for TLS session...");
  String dotted = ip.toString();
  const char* name = hostname ? hostname : dotted.c_str();
  twin::fact("tls-name:%s", name);
  snprintf(ssl->hostname, sizeof ssl->hostname, "%s", name);
  ret = mbedtls_ssl_set_hostname(&ssl->ssl_ctx, name);
  if (ret != 0) return handleError(ret, "start_ssl_client", site("sites.setHostname"));

  mbedtls_ssl_conf_rng(&ssl->ssl_conf, mbedtls_ctr_drbg_random, &ssl->drbg_ctx);
  ret = mbedtls_ssl_setup(&ssl->ssl_ctx, &ssl->ssl_conf);
  if (ret != 0) return handleError(ret, "start_ssl_client", site("sites.sslSetup"));
  esp32_build_set_bio(ssl);

  // Step 9: handshake loop on the non-blocking socket.
  logAt(5, "ssl_client.cpp", 269, "start_ssl_client", "Performing the SSL/TLS handshake...");
  unsigned long start = millis();
  ssl->handshakeStarted = true;  // 3.x: ssl_starttls_handshake(), after start_ssl_client() succeeded
  twin::ReplyAwaited handshaking;
  while ((ret = mbedtls_ssl_handshake(&ssl->ssl_ctx)) != 0) {
    if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
      ret = esp32_build_result(ssl, ret);
      uint32_t flags = ssl->buildError ? 0xFFFFFFFFu : mbedtls_ssl_get_verify_result(&ssl->ssl_ctx);
      if (flags != 0xFFFFFFFFu) twin::fact("mbedtls-flags:0x%x", flags);
      if (ssl->ignoredFlags) twin::fact("mbedtls-ignored-flags:0x%x", ssl->ignoredFlags);
      return handleError(ret, rowStr("sites.handshakeFunc"), site("sites.handshake"));
    }
    if (millis() - start > ssl->handshake_timeout) {
      twin::fact("tls-handshake-timeout");
      return -1;  // silent on the board
    }
    delay(2);  // vTaskDelay(2)
  }
  if (ssl->ignoredFlags) twin::fact("mbedtls-ignored-flags:0x%x", ssl->ignoredFlags);
  twin::fact("tls-ciphersuite:%s", mbedtls_ssl_get_ciphersuite(&ssl->ssl_ctx));

  if (cliCert && cliKey) {
    logAt(4, "ssl_client.cpp", 281, "start_ssl_client", "Protocol is %s Ciphersuite is %s", mbedtls_ssl_get_version(&ssl->ssl_ctx),
          mbedtls_ssl_get_ciphersuite(&ssl->ssl_ctx));
    int exp = mbedtls_ssl_get_record_expansion(&ssl->ssl_ctx);
    if (exp >= 0) logAt(4, "ssl_client.cpp", 283, "start_ssl_client", "Record expansion is %d", exp);
  }
  // Step 11: the (effectively dead) verify branch.
  logAt(5, "ssl_client.cpp", 290, "start_ssl_client", "Verifying peer X.509 certificate...");
  uint32_t flags = mbedtls_ssl_get_verify_result(&ssl->ssl_ctx);
  if (flags != 0) {
    char buf[512] = {0};
    mbedtls_x509_crt_verify_info(buf, sizeof buf, "  ! ", flags);
    twin::fact("mbedtls-flags:0x%x", flags);
    logAt(1, "ssl_client.cpp", 295, "start_ssl_client", "Failed to verify peer certificate! verification info: %s", buf);
    return handleError(ret, "start_ssl_client", 296);
  }
  logAt(5, "ssl_client.cpp", 298, "start_ssl_client", "Certificate verified.");
  logAt(5, "ssl_client.cpp", 313, "start_ssl_client", "Free internal heap after TLS %u", 243000u);
  return ssl->socket;
}

void stop_ssl_socket(sslclient_context* ssl) {
  if (ssl->socket >= 0) {
    close(ssl->socket);
    ssl->socket = -1;
  }
  if (!ssl->live) return;
  mbedtls_x509_crt_free(&ssl->ca_cert);
  mbedtls_x509_crt_free(&ssl->client_cert);
  mbedtls_pk_free(&ssl->client_key);
  mbedtls_ssl_free(&ssl->ssl_ctx);
  mbedtls_ssl_config_free(&ssl->ssl_conf);
  mbedtls_ctr_drbg_free(&ssl->drbg_ctx);
  mbedtls_entropy_free(&ssl->entropy_ctx);
  ssl->live = false;
}

int data_to_read(sslclient_context* ssl) {
  int ret = mbedtls_ssl_read(&ssl->ssl_ctx, nullptr, 0);
  int res = (int)mbedtls_ssl_get_bytes_avail(&ssl->ssl_ctx);
  if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE && ret < 0) {
    return handleError(ret, "data_to_read", site("sites.dataToRead"));
  }
  return res;
}

int send_ssl_data(sslclient_context* ssl, const uint8_t* data, size_t len) {
  int ret;
  while ((ret = mbedtls_ssl_write(&ssl->ssl_ctx, data, len)) <= 0) {
    if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE && ret < 0) {
      return handleError(ret, "send_ssl_data", site("sites.sendData"));
    }
    delay(2);
  }
  return ret;
}

int get_ssl_receive(sslclient_context* ssl, uint8_t* data, int length) {
  return mbedtls_ssl_read(&ssl->ssl_ctx, data, (size_t)length);
}
