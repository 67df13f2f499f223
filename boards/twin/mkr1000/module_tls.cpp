// See module_tls.h. One TLS connection per client, blocking handshake on the module's socket (WiFi101 waits for the
// module's answer; WiFiNINA's firmware loops on mbedtls_ssl_handshake), then non-blocking reads.
#include "module_tls.h"

#include <errno.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_internal.h>
#include <mbedtls/x509_crt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "twin_world.h"

namespace twin {
namespace {

[[noreturn]] void settingError(const char* what) {
  fprintf(stderr, "twin: world module: %s\n", what);
  exit(78);
}

bool flag(const char* key) { return std::string(moduleSetting(key)) == "true"; }

int minorOf(const char* key) {
  std::string v = moduleSetting(key);
  if (v == "1.0") return MBEDTLS_SSL_MINOR_VERSION_1;
  if (v == "1.1") return MBEDTLS_SSL_MINOR_VERSION_2;
  if (v == "1.2") return MBEDTLS_SSL_MINOR_VERSION_3;
  settingError((std::string(key) + " must be 1.0, 1.1 or 1.2").c_str());
}

// Words (joined by ':') of suite names the firmware is built without.
bool excluded(const char* name) {
  std::string words = moduleSetting("excludeSuites");
  size_t at = 0;
  while (at < words.size()) {
    size_t end = words.find(':', at);
    if (end == std::string::npos) end = words.size();
    if (end > at && strstr(name, words.substr(at, end - at).c_str())) return true;
    at = end + 1;
  }
  return false;
}

// The offered suites: the table's list (mbedTLS names joined by ':'), or mbedTLS's own list for "default", less the
// excluded ones.
const int* offeredSuites() {
  static std::vector<int> ids;
  if (!ids.empty()) return ids.data();
  std::string list = moduleSetting("ciphersuites");
  if (list == "default" || list.empty()) {
    for (const int* id = mbedtls_ssl_list_ciphersuites(); *id; id++) {
      const char* name = mbedtls_ssl_get_ciphersuite_name(*id);
      if (name && !excluded(name)) ids.push_back(*id);
    }
  } else {
    size_t at = 0;
    while (at <= list.size()) {
      size_t end = list.find(':', at);
      std::string name = list.substr(at, end == std::string::npos ? std::string::npos : end - at);
      int id = mbedtls_ssl_get_ciphersuite_id(name.c_str());
      if (id == 0) settingError(("unknown mbedTLS suite " + name).c_str());
      ids.push_back(id);
      if (end == std::string::npos) break;
      at = end + 1;
    }
  }
  ids.push_back(0);
  return ids.data();
}

int sendFd(void* ctx, const unsigned char* buf, size_t len) {
  int fd = *(int*)ctx;
  ssize_t n = ::send(fd, buf, len, MSG_NOSIGNAL);
  if (n >= 0) return (int)n;
  if (errno == EAGAIN || errno == EWOULDBLOCK) return MBEDTLS_ERR_SSL_WANT_WRITE;
  return MBEDTLS_ERR_NET_SEND_FAILED;
}

// timeout 0 = do not wait (after the handshake: reads are polled by available()).
int recvFd(void* ctx, unsigned char* buf, size_t len, uint32_t timeoutMs) {
  int fd = *(int*)ctx;
  struct pollfd p = {fd, POLLIN, 0};
  int r = poll(&p, 1, (int)timeoutMs);
  if (r == 0) return timeoutMs ? MBEDTLS_ERR_SSL_TIMEOUT : MBEDTLS_ERR_SSL_WANT_READ;
  if (r < 0) return MBEDTLS_ERR_NET_RECV_FAILED;
  ssize_t n = ::recv(fd, buf, len, 0);
  if (n >= 0) return (int)n;
  if (errno == EAGAIN || errno == EWOULDBLOCK) return MBEDTLS_ERR_SSL_WANT_READ;
  return MBEDTLS_ERR_NET_RECV_FAILED;
}

// The WINC1500 sets SNI without asking the firmware to check the name (WiFi101 socket.c @0.16.1:600): mbedTLS's name
// check is cleared here; every other verification flag stays.
int keepNameUnchecked(void*, mbedtls_x509_crt*, int depth, uint32_t* flags) {
  if (depth == 0) *flags &= ~MBEDTLS_X509_BADCERT_CN_MISMATCH;
  return 0;
}
}  // namespace

struct ModuleTlsState {
  int fd = -1;
  bool open = false;
  mbedtls_ssl_context ssl;
  mbedtls_ssl_config conf;
  mbedtls_x509_crt roots;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  std::vector<uint8_t> rx;
  uint32_t recvTimeoutMs = 20000;
};

const char* moduleFirmware() { return moduleSetting("firmware"); }

ModuleTlsClient::ModuleTlsClient() : s_(new ModuleTlsState) {}
ModuleTlsClient::~ModuleTlsClient() {
  stop();
  delete s_;
}

int ModuleTlsClient::connect(IPAddress ip, uint16_t port) { return open(ip, port, nullptr); }

int ModuleTlsClient::connect(const char* host, uint16_t port) {
  IPAddress ip;
  if (!resolve(host, ip)) {
    fact("dns-failed:%s", host);
    return 0;
  }
  return open(ip, port, host);
}

namespace {
// The module's root store: the PEM file the rig wrote from `module.roots` (the whole store), else the factory store,
// whose public roots sign no scenario's CA (an empty chain here).
int loadRoots(mbedtls_x509_crt* roots) {
  std::string file = moduleSetting("roots");
  if (file.empty()) {
    fact("module-roots:factory");
    return 0;
  }
  std::string full = std::string(flashDir()) + "/" + file;
  struct stat st;
  if (stat(full.c_str(), &st) != 0) settingError(("cannot read the module's roots " + full).c_str());
  if (st.st_size == 0) {  // an upload whose every root the updater refused
    fact("module-roots:0");
    return 0;
  }
  int ret = mbedtls_x509_crt_parse_file(roots, full.c_str());
  if (ret < 0) settingError(("cannot read the module's roots " + full).c_str());
  int n = 0;
  for (mbedtls_x509_crt* c = roots; c && c->raw.len; c = c->next) n++;
  fact("module-roots:%d", n);
  return n;
}

// Steps the handshake so the module's limits apply where the firmware meets them: the DH prime in ServerKeyExchange
// and the answer to a CertificateRequest. Returns 0 or an mbedTLS error (-1 for a limit of the module).
int handshake(mbedtls_ssl_context* ssl) {
  twin::ReplyAwaited handshaking;
  const long dheMax = atol(moduleSetting("dheMaxBits"));
  const bool answers = flag("answersCertificateRequest");
  while (ssl->state != MBEDTLS_SSL_HANDSHAKE_OVER) {
    int ret = mbedtls_ssl_handshake_step(ssl);
    if (ret != 0) return ret;
    if (dheMax > 0 && ssl->state == MBEDTLS_SSL_CERTIFICATE_REQUEST && ssl->handshake) {
      long bits = (long)ssl->handshake->dhm_ctx.len * 8;
      if (bits > dheMax) {
        fact("module-dhe-too-large:%ld", bits);
        return -1;
      }
    }
    // Firmware that does not answer a CertificateRequest goes on with ClientKeyExchange, as if none had come.
    if (!answers && ssl->state == MBEDTLS_SSL_SERVER_HELLO_DONE && ssl->client_auth) {
      fact("module-no-certificate-answer");
      ssl->client_auth = 0;
    }
  }
  return 0;
}
}  // namespace

int ModuleTlsClient::open(const IPAddress& ip, uint16_t port, const char* host) {
  stop();
  if (!hasModule()) settingError("the world models no module (rig/target/twin.ts writes it for WiFiSSLClient boards)");
  fact("module:%s %s", moduleSetting("name"), moduleSetting("firmware"));
  int fd = tcpConnect(ip, port, 10000);
  if (fd < 0) {
    fact("tcp-errno:%d", -fd);
    return 0;
  }
  ModuleTlsState& s = *s_;
  s.fd = fd;
  s.open = true;
  mbedtls_ssl_init(&s.ssl);
  mbedtls_ssl_config_init(&s.conf);
  mbedtls_x509_crt_init(&s.roots);
  mbedtls_entropy_init(&s.entropy);
  mbedtls_ctr_drbg_init(&s.drbg);
  mbedtls_ctr_drbg_seed(&s.drbg, mbedtls_entropy_func, &s.entropy, nullptr, 0);
  mbedtls_ssl_config_defaults(&s.conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
  mbedtls_ssl_conf_rng(&s.conf, mbedtls_ctr_drbg_random, &s.drbg);
  mbedtls_ssl_conf_authmode(&s.conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_min_version(&s.conf, MBEDTLS_SSL_MAJOR_VERSION_3, minorOf("tlsMin"));
  mbedtls_ssl_conf_max_version(&s.conf, MBEDTLS_SSL_MAJOR_VERSION_3, minorOf("tlsMax"));
  mbedtls_ssl_conf_ciphersuites(&s.conf, offeredSuites());
  mbedtls_ssl_conf_read_timeout(&s.conf, s.recvTimeoutMs);
  if (loadRoots(&s.roots) > 0) mbedtls_ssl_conf_ca_chain(&s.conf, &s.roots, nullptr);
  if (!flag("checksName")) mbedtls_ssl_conf_verify(&s.conf, keepNameUnchecked, nullptr);
  mbedtls_ssl_setup(&s.ssl, &s.conf);
  // SNI (and, through it, mbedTLS's name check) only when the sketch connected by name and the firmware sends it.
  if (host && flag("sni")) mbedtls_ssl_set_hostname(&s.ssl, host);
  mbedtls_ssl_set_bio(&s.ssl, &s.fd, sendFd, nullptr, recvFd);
  int ret = handshake(&s.ssl);
  if (ret != 0) {
    if (ret != -1) fact("module-tls:%d", ret);
    uint32_t flags = mbedtls_ssl_get_verify_result(&s.ssl);
    if (flags && flags != (uint32_t)-1) fact("module-tls-flags:0x%x", flags);
    stop();
    return 0;
  }
  fact("tls-ciphersuite:%s", mbedtls_ssl_get_ciphersuite(&s.ssl));
  mbedtls_ssl_conf_read_timeout(&s.conf, 0);
  return 1;
}

// Decrypts what has arrived into rx without waiting. False once the connection is gone.
bool ModuleTlsClient::fill() {
  ModuleTlsState& s = *s_;
  if (!s.open) return false;
  uint8_t buf[1024];
  int n = mbedtls_ssl_read(&s.ssl, buf, sizeof buf);
  if (n > 0) {
    s.rx.insert(s.rx.end(), buf, buf + n);
    return true;
  }
  if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE || n == MBEDTLS_ERR_SSL_TIMEOUT) return true;
  s.open = false;
  return false;
}

size_t ModuleTlsClient::write(const uint8_t* buf, size_t size) {
  ModuleTlsState& s = *s_;
  if (!s.open || size == 0) return 0;
  size_t done = 0;
  while (done < size) {
    int n = mbedtls_ssl_write(&s.ssl, buf + done, size - done);
    if (n == MBEDTLS_ERR_SSL_WANT_WRITE || n == MBEDTLS_ERR_SSL_WANT_READ) continue;
    if (n <= 0) {
      s.open = false;
      return done;
    }
    done += (size_t)n;
  }
  return done;
}

int ModuleTlsClient::available() {
  if (s_->rx.empty()) fill();
  return (int)s_->rx.size();
}

int ModuleTlsClient::read() {
  uint8_t b;
  return read(&b, 1) == 1 ? b : -1;
}

int ModuleTlsClient::read(uint8_t* buf, size_t size) {
  if (s_->rx.empty()) fill();
  if (s_->rx.empty()) return -1;
  size_t n = size < s_->rx.size() ? size : s_->rx.size();
  memcpy(buf, s_->rx.data(), n);
  s_->rx.erase(s_->rx.begin(), s_->rx.begin() + (long)n);
  return (int)n;
}

int ModuleTlsClient::peek() {
  if (s_->rx.empty()) fill();
  return s_->rx.empty() ? -1 : s_->rx[0];
}

uint8_t ModuleTlsClient::connected() {
  if (!s_->rx.empty()) return 1;
  if (s_->fd < 0) return 0;
  fill();
  return s_->open || !s_->rx.empty();
}

void ModuleTlsClient::stop() {
  ModuleTlsState& s = *s_;
  if (s.fd < 0) return;
  if (s.open) mbedtls_ssl_close_notify(&s.ssl);
  mbedtls_ssl_free(&s.ssl);
  mbedtls_ssl_config_free(&s.conf);
  mbedtls_x509_crt_free(&s.roots);
  mbedtls_ctr_drbg_free(&s.drbg);
  mbedtls_entropy_free(&s.entropy);
  ::close(s.fd);
  s.fd = -1;
  s.open = false;
  s.rx.clear();
}
}  // namespace twin
