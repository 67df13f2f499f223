// See ssl_client.h. Step numbers refer to docs/tls-esp32.md §1.2. Line numbers of E-level lines are the board's
// (2.0.14, from the spec); those of D/V-level lines (Core Debug Level 4-5 only) are approximate.
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
#include "twin_world.h"

namespace {
using twin::esp32::logAt;
using twin::esp32::coreMajor;
using twin::esp32::coreBefore;

const char* kPers = "esp32-tls";
// lwIP hands out socket numbers from LWIP_SOCKET_OFFSET; logs show fd 48.., never 3.
const int kBoardFd = 48;

// Board line numbers. 2.0.x: 2.0.14 as read for docs/tls-esp32.md; 3.x: §2. 1.0.x changed within its patch releases:
//  - before 1.0.4, handle_error() printed two lines (ssl_client.cpp:33 and :35, seed 000's 2019 log);
//  - 1.0.4 printed "_handle_error(): [start_ssl_client():122]: (-8576) ..." at ssl_client.cpp:33 (the forum
//    corpus' arduino-esp32 #3248 log);
//  - 1.0.5/1.0.6 print it at ssl_client.cpp:36, the handshake error at start_ssl_client():216, "Connect to Server
//    failed!" at ssl_client.cpp:98 and WiFiClientSecure.cpp:133 (a 1.0.x board log in a public project's notes).
// Other 1.0.x numbers were not seen in a log and are the 1.0.5 ones or 2.0.14's: unverified.
struct Lines {
  int handleErrorLog;     // log_e inside _handle_error / handle_error
  int drbgSeed, configDefaults, caParse, certParse, keyParse, setHostname, sslSetup, handshake;
  int socketError, connectOnFd, selectOnFd, selectTimeout;
  int dataToRead;         // unverified: not in the spec
  const char* handshakeFunc;
};
const Lines kLines2 = {37, 152, 161, 187, 240, 248, 258, 264, 273, 129, 99, 107, 112, 359, "start_ssl_client"};
const Lines kLines3 = {36, 152, 161, 187, 240, 248, 258, 264, 317, 129, 99, 107, 112, 380, "ssl_starttls_handshake"};
const Lines kLines104 = {33, 152, 161, 122, 240, 248, 258, 264, 216, 98, 99, 107, 112, 359, "start_ssl_client"};
const Lines kLines105 = {36, 152, 161, 187, 240, 248, 258, 264, 216, 98, 99, 107, 112, 359, "start_ssl_client"};
const Lines& lines() {
  if (coreMajor() >= 3) return kLines3;
  if (coreMajor() == 2) return kLines2;
  return coreBefore("1.0.5") ? kLines104 : kLines105;
}

int handleError(int err, const char* function, int line) {
  if (err == -30848) return err;  // MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY is silent on the board
  char buf[100];
  esp32_strerror(err, buf, sizeof buf);  // 100-byte buffer: cut to 99 characters like the board
  twin::fact("mbedtls:%d", err);
  if (coreBefore("1.0.4")) {
    // handle_error() before 1.0.4: two lines, as in seed 000 (ssl_client.cpp:33 and :35).
    logAt(1, "ssl_client.cpp", 33, "handle_error", "%s", buf);
    logAt(1, "ssl_client.cpp", 35, "handle_error", "MbedTLS message code: %d", err);
  } else {
    logAt(1, "ssl_client.cpp", lines().handleErrorLog, "_handle_error", "[%s():%d]: (%d) %s", function, line, err, buf);
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
  ssl->ignoredFlags |= *flags & dateFlags;
  *flags &= ~dateFlags;
  if (depth == 0 && (*flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) && twin::coreVersionCode() >= 301 &&
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
    const bool noDhm = coreMajor() >= 3;
    for (const int* id = mbedtls_ssl_list_ciphersuites(); *id; id++) {
      const char* name = mbedtls_ssl_get_ciphersuite_name(*id);
      if (name && strstr(name, "CHACHA20")) continue;
      if (name && noDhm && strncmp(name, "TLS-DHE-", 8) == 0) continue;
      list.push_back(*id);
    }
    list.push_back(0);
  }
  return list.data();
}

// Step 2: non-blocking connect with select-like wait. Returns the fd or -1 after the board's log line.
int openSocket(const IPAddress& ip, uint32_t port, int timeoutMs) {
  if (timeoutMs <= 0) timeoutMs = 30000;
  int fd = twin::tcpConnect(ip, (uint16_t)port, (uint32_t)timeoutMs);
  if (fd >= 0) return fd;
  int err = -fd;
  twin::fact("tcp-errno:%d", err);
  const Lines& L = lines();
  if (err == ETIMEDOUT) {
    logAt(3, "ssl_client.cpp", L.selectTimeout, "start_ssl_client", "select returned due to timeout %d ms for fd %d", timeoutMs, kBoardFd);
    return -1;
  }
  int code; const char* text;
  boardErrno(err, code, text);
  if (coreMajor() == 1) {
    // 1.0.x used a blocking lwip_connect and printed only this (line 98 seen on 1.0.5+; 77 before: unverified).
    logAt(1, "ssl_client.cpp", coreBefore("1.0.4") ? 77 : L.socketError, "start_ssl_client", "Connect to Server failed!");
  } else {
    logAt(1, "ssl_client.cpp", L.socketError, "start_ssl_client", "socket error on fd %d, errno: %d, \"%s\"", kBoardFd, code, text);
  }
  return -1;
}
}  // namespace

void esp32_board_tls_config(sslclient_context* ssl) {
  esp32_hw_mpi_link();
  mbedtls_ssl_conf_ciphersuites(&ssl->ssl_conf, boardCiphersuites());
  mbedtls_ssl_conf_verify(&ssl->ssl_conf, boardVerify, ssl);
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

int start_ssl_client(sslclient_context* ssl, const IPAddress& ip, uint32_t port, const char* hostname, int timeoutMs,
                     const char* rootCA, bool useRootCABundle, const char* cliCert, const char* cliKey,
                     const char* pskIdent, const char* psKey, bool insecure, const char** alpnProtos) {
  const Lines& L = lines();
  // Step 1: no trust configured -> -1 before any socket (cores >= 1.0.5). Older cores went on without
  // verification (VERIFY_NONE) and said so at Info level (docs/tls-esp32.md §1.2): a sketch that forgot setCACert()
  // connected to anything.
  const bool noTrust = rootCA == nullptr && pskIdent == nullptr && psKey == nullptr && !insecure && !useRootCABundle;
  const bool legacyNoTrust = noTrust && coreMajor() == 1 && coreBefore("1.0.5");
  if (legacyNoTrust) {
    twin::fact("tls-no-trust-verify-none");
  } else if (noTrust) {
    twin::fact("tls-no-trust");
    return -1;
  }
  if (useRootCABundle && rootCA == nullptr && !insecure) {
    // The twin has no certificate bundle; say so rather than pretend.
    fprintf(stderr, "twin: WiFiClientSecure CA bundle is not emulated\n");
  }
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
  if (ret < 0) return handleError(ret, "start_ssl_client", L.drbgSeed);

  logAt(5, "ssl_client.cpp", 155, "start_ssl_client", "Setting up the SSL/TLS structure...");
  ret = mbedtls_ssl_config_defaults(&ssl->ssl_conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
  if (ret != 0) return handleError(ret, "start_ssl_client", L.configDefaults);
  esp32_board_tls_config(ssl);
  if (alpnProtos) {
    ret = mbedtls_ssl_conf_alpn_protocols(&ssl->ssl_conf, alpnProtos);
    if (ret != 0) return handleError(ret, "start_ssl_client", 167);
  }

  // Step 5: auth mode.
  if (legacyNoTrust) {
    mbedtls_ssl_conf_authmode(&ssl->ssl_conf, MBEDTLS_SSL_VERIFY_NONE);
    // Line 156 from an old core's verbose log (version not recorded there).
    logAt(3, "ssl_client.cpp", 156, "start_ssl_client", "WARNING: Use certificates for a more secure communication!");
  } else if (insecure) {
    mbedtls_ssl_conf_authmode(&ssl->ssl_conf, MBEDTLS_SSL_VERIFY_NONE);
    logAt(4, "ssl_client.cpp", 176, "start_ssl_client", "WARNING: Skipping SSL Verification. INSECURE!");
  } else if (rootCA) {
    logAt(5, "ssl_client.cpp", 178, "start_ssl_client", "Loading CA cert");
    mbedtls_ssl_conf_authmode(&ssl->ssl_conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    ret = mbedtls_x509_crt_parse(&ssl->ca_cert, (const unsigned char*)rootCA, strlen(rootCA) + 1);
    mbedtls_ssl_conf_ca_chain(&ssl->ssl_conf, &ssl->ca_cert, nullptr);
    if (ret < 0) return handleError(ret, "start_ssl_client", L.caParse);
  } else if (pskIdent && psKey) {
    size_t n = strlen(psKey);
    if ((n & 1) || n > 2 * MBEDTLS_PSK_MAX_LEN) {
      logAt(1, "ssl_client.cpp", 203, "start_ssl_client", "pre-shared key not valid hex or too long");
      return -1;
    }
    unsigned char psk[MBEDTLS_PSK_MAX_LEN];
    for (size_t j = 0; j < n; j += 2) {
      unsigned v;
      if (sscanf(psKey + j, "%2x", &v) != 1) return -1;
      psk[j / 2] = (unsigned char)v;
    }
    ret = mbedtls_ssl_conf_psk(&ssl->ssl_conf, psk, n / 2, (const unsigned char*)pskIdent, strlen(pskIdent));
    if (ret != 0) return handleError(ret, "start_ssl_client", 226);
  } else if (!useRootCABundle) {
    return -1;
  } else {
    mbedtls_ssl_conf_authmode(&ssl->ssl_conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  }

  // Step 6: client certificate and key.
  if (!insecure && cliCert && cliKey) {
    logAt(5, "ssl_client.cpp", 236, "start_ssl_client", "Loading CRT cert");
    ret = mbedtls_x509_crt_parse(&ssl->client_cert, (const unsigned char*)cliCert, strlen(cliCert) + 1);
    if (ret < 0) return handleError(ret, "start_ssl_client", L.certParse);
    logAt(5, "ssl_client.cpp", 244, "start_ssl_client", "Loading private key");
    ret = mbedtls_pk_parse_key(&ssl->client_key, (const unsigned char*)cliKey, strlen(cliKey) + 1, nullptr, 0);
    if (ret != 0) return handleError(ret, "start_ssl_client", L.keyParse);
    mbedtls_ssl_conf_own_cert(&ssl->ssl_conf, &ssl->client_cert, &ssl->client_key);
  }

  // Step 7: the name is always set: the sketch's host string, or the dotted quad for connect(IPAddress).
  logAt(5, "ssl_client.cpp", 254, "start_ssl_client", "Setting hostname for TLS session...");
  String dotted = ip.toString();
  const char* name = hostname ? hostname : dotted.c_str();
  twin::fact("tls-name:%s", name);
  snprintf(ssl->hostname, sizeof ssl->hostname, "%s", name);
  ret = mbedtls_ssl_set_hostname(&ssl->ssl_ctx, name);
  if (ret != 0) return handleError(ret, "start_ssl_client", L.setHostname);

  mbedtls_ssl_conf_rng(&ssl->ssl_conf, mbedtls_ctr_drbg_random, &ssl->drbg_ctx);
  ret = mbedtls_ssl_setup(&ssl->ssl_ctx, &ssl->ssl_conf);
  if (ret != 0) return handleError(ret, "start_ssl_client", L.sslSetup);
  mbedtls_ssl_set_bio(&ssl->ssl_ctx, &ssl->net, mbedtls_net_send, mbedtls_net_recv, nullptr);

  // Step 9: handshake loop on the non-blocking socket.
  logAt(5, "ssl_client.cpp", 269, "start_ssl_client", "Performing the SSL/TLS handshake...");
  unsigned long start = millis();
  while ((ret = mbedtls_ssl_handshake(&ssl->ssl_ctx)) != 0) {
    if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
      uint32_t flags = mbedtls_ssl_get_verify_result(&ssl->ssl_ctx);
      if (flags != 0xFFFFFFFFu) twin::fact("mbedtls-flags:0x%x", flags);
      if (ssl->ignoredFlags) twin::fact("mbedtls-ignored-flags:0x%x", ssl->ignoredFlags);
      return handleError(ret, L.handshakeFunc, L.handshake);
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
    return handleError(ret, "data_to_read", lines().dataToRead);
  }
  return res;
}

int send_ssl_data(sslclient_context* ssl, const uint8_t* data, size_t len) {
  int ret;
  while ((ret = mbedtls_ssl_write(&ssl->ssl_ctx, data, len)) <= 0) {
    if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE && ret < 0) {
      return handleError(ret, "send_ssl_data", 339);
    }
    delay(2);
  }
  return ret;
}

int get_ssl_receive(sslclient_context* ssl, uint8_t* data, int length) {
  return mbedtls_ssl_read(&ssl->ssl_ctx, data, (size_t)length);
}
