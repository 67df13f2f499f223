// Behaviour from docs/tls-esp32.md §1.1 (arduino-esp32 WiFiClientSecure.cpp); the log lines' files, numbers and texts
// come from the imitated core's version row (boards/twin/versions/esp32.yaml).
#include "WiFiClientSecure.h"

#include <stdlib.h>
#include <string.h>

#include "twin_world.h"

using twin::rowBool;
using twin::rowInt;
using twin::rowStr;

WiFiClientSecure::WiFiClientSecure() {}
WiFiClientSecure::~WiFiClientSecure() { stop(); }

void WiFiClientSecure::stop() {
  stop_ssl_socket(&ssl_);
  connected_ = false;
  peeked_ = -1;
}

int WiFiClientSecure::connect(IPAddress ip, uint16_t port) {
  // Pre-shared keys take the PSK path; otherwise CA/cert/key as set.
  if (pskIdent_ && psKey_) return connect(ip, port, pskIdent_, psKey_);
  return connectImpl(ip, port, nullptr, CA_, cert_, key_, nullptr, nullptr);
}
int WiFiClientSecure::connect(IPAddress ip, uint16_t port, int32_t timeout) { timeoutMs_ = timeout; return connect(ip, port); }
int WiFiClientSecure::connect(const char* host, uint16_t port) {
  if (pskIdent_ && psKey_) return connect(host, port, pskIdent_, psKey_);
  return connect(host, port, CA_, cert_, key_);
}
int WiFiClientSecure::connect(const char* host, uint16_t port, int32_t timeout) { timeoutMs_ = timeout; return connect(host, port); }
int WiFiClientSecure::connect(IPAddress ip, uint16_t port, const char* rootCA, const char* cliCert, const char* cliKey) {
  return connectImpl(ip, port, nullptr, rootCA, cliCert, cliKey, nullptr, nullptr);
}
int WiFiClientSecure::connect(const char* host, uint16_t port, const char* rootCA, const char* cliCert, const char* cliKey) {
  IPAddress ip;
  // 1.0.x/2.0.0 resolve inside start_ssl_client (dns.inStartSslClient). Later cores resolve here: a DNS failure
  // returns 0 at once, with no start_ssl_client line and lastError unchanged.
  if (!rowBool("dns.inStartSslClient") && !WiFi.hostByName(host, ip)) return 0;
  return connectImpl(ip, port, host, rootCA, cliCert, cliKey, nullptr, nullptr);
}
int WiFiClientSecure::connect(IPAddress ip, uint16_t port, const char* pskIdent, const char* psKey) {
  return connectImpl(ip, port, nullptr, nullptr, nullptr, nullptr, pskIdent, psKey);
}
int WiFiClientSecure::connect(const char* host, uint16_t port, const char* pskIdent, const char* psKey) {
  IPAddress ip;
  if (!rowBool("dns.inStartSslClient") && !WiFi.hostByName(host, ip)) return 0;
  return connectImpl(ip, port, host, nullptr, nullptr, nullptr, pskIdent, psKey);
}

int WiFiClientSecure::connectImpl(IPAddress ip, uint16_t port, const char* host, const char* rootCA, const char* cliCert,
                                  const char* cliKey, const char* pskIdent, const char* psKey) {
  stop();
  ssl_init(&ssl_);
  int ret = start_ssl_client(&ssl_, ip, port, host, timeoutMs_, rootCA, useBundle_, cliCert, cliKey, pskIdent, psKey,
                             insecure_, alpn_);
  twin::fact("start_ssl_client:%d", ret);
  // On success the board stores the socket number (lwIP fds start at 48), which lastError() then reports.
  lastError_ = ret >= 0 ? 48 : ret;
  if (ret < 0) {
    const bool psk = pskIdent != nullptr;
    const char* file = rowStr("connect.file");
    // 3.x logs at Info level that the TLS start was "postponed" whenever start_ssl_client() itself failed.
    if (!ssl_.handshakeStarted && rowInt("connect.postponedLine") > 0)
      twin::esp32::logFormat(3, file, (int)rowInt("connect.postponedLine"), rowStr("connect.func"), rowStr("connect.postponedText"));
    twin::esp32::logFormat(1, file, (int)rowInt(psk ? "connect.pskLine" : "connect.line"), rowStr("connect.func"),
                           rowStr(psk ? "connect.pskFormat" : "connect.format"), ret);
    stop();
    return 0;
  }
  connected_ = true;
  return 1;
}

size_t WiFiClientSecure::write(const uint8_t* buf, size_t size) {
  if (!connected_) return 0;
  int res = send_ssl_data(&ssl_, buf, size);
  if (res < 0) { stop(); res = 0; }
  return (size_t)res;
}

int WiFiClientSecure::read() {
  uint8_t c;
  return read(&c, 1) == 1 ? c : -1;
}

int WiFiClientSecure::read(uint8_t* buf, size_t size) {
  if (size == 0) return 0;
  int peeked = 0;
  if (peeked_ >= 0) {
    buf[0] = (uint8_t)peeked_;
    peeked_ = -1;
    buf++; size--; peeked = 1;
    if (size == 0) return 1;
  }
  if (available() <= 0) return peeked ? peeked : -1;
  int res = get_ssl_receive(&ssl_, buf, (int)size);
  if (res < 0) { stop(); return peeked ? peeked : res; }
  return res + peeked;
}

int WiFiClientSecure::peek() {
  if (peeked_ >= 0) return peeked_;
  if (available() <= 0) return -1;
  uint8_t c;
  if (get_ssl_receive(&ssl_, &c, 1) != 1) return -1;
  peeked_ = c;
  return c;
}

int WiFiClientSecure::available() {
  int peeked = peeked_ >= 0 ? 1 : 0;
  if (!connected_) return peeked;
  int res = data_to_read(&ssl_);
  if (res < 0) { stop(); return peeked; }
  return res + peeked;
}

uint8_t WiFiClientSecure::connected() {
  uint8_t dummy;
  read(&dummy, 0);
  if (connected_) available();  // notices a closed or failed connection, like the board's read(&dummy, 0)
  return connected_;
}

int WiFiClientSecure::lastError(char* buf, const size_t size) {
  // 3.x lost the check for 0 and always asks mbedtls_strerror (connect.lastErrorZeroIsEmpty).
  if (!lastError_ && rowBool("connect.lastErrorZeroIsEmpty")) return 0;
  esp32_strerror(lastError_, buf, size);
  return lastError_;
}

void WiFiClientSecure::setInsecure() {
  CA_ = cert_ = key_ = pskIdent_ = psKey_ = nullptr;
  insecure_ = true;
}
void WiFiClientSecure::setCACert(const char* rootCA) { CA_ = rootCA; insecure_ = false; }
void WiFiClientSecure::setCACertBundle(const uint8_t* bundle) { useBundle_ = bundle != nullptr; }
void WiFiClientSecure::setCertificate(const char* clientCA) { cert_ = clientCA; }
void WiFiClientSecure::setPrivateKey(const char* privateKey) { key_ = privateKey; }
void WiFiClientSecure::setPreSharedKey(const char* pskIdent, const char* psKey) { pskIdent_ = pskIdent; psKey_ = psKey; }
void WiFiClientSecure::setHandshakeTimeout(unsigned long seconds) { ssl_.handshake_timeout = seconds * 1000; }

// Certificates read from a stream. 1.0.0-1.0.4 kept ONE static buffer for all three loaders, freed it on the next load
// (while the setter called before still points at it) and gave it no terminating NUL (malloc(size),
// WiFiClientSecure.cpp:276-289 at 1.0.4): loading CA, certificate and key leaves the CA pointing at freed memory.
// 1.0.5 allocates size+1, terminates it and keeps each buffer (WiFiClientSecure.cpp:281-293 at 1.0.5); 2.0.x and 3.x
// load the same way (docs/upstream-sources.md §10; the version row's streamLoad.sharedBuffer).
char* WiFiClientSecure::streamLoad(Stream& stream, size_t size) {
  if (!rowBool("streamLoad.sharedBuffer")) {
    char* dest = (char*)malloc(size + 1);
    if (!dest) return nullptr;
    if (stream.readBytes(dest, size) != size) {
      free(dest);
      return nullptr;
    }
    dest[size] = 0;
    return dest;
  }
  static char* shared = nullptr;
  if (shared) {
    // The twin does not free it (that would make the bug undefined on the host too): it writes what a freed block
    // holds on the board, the heap's own link words over the first bytes, so the stale pointer still sees text,
    // just no longer a PEM header, and keeps the memory.
    memset(shared, 0xA5, 8);
  }
  // No room for a NUL: the twin adds one non-text byte and then one, so strlen() ends where it would on a board
  // whose next heap byte is a zero, deterministically.
  shared = (char*)malloc(size + 2);
  if (!shared) return nullptr;
  if (stream.readBytes(shared, size) != size) return shared = nullptr;
  shared[size] = (char)0xA5;
  shared[size + 1] = 0;
  return shared;
}

bool WiFiClientSecure::loadCACert(Stream& stream, size_t size) {
  char* dest = streamLoad(stream, size);
  if (dest) setCACert(dest);
  return dest != nullptr;
}
bool WiFiClientSecure::loadCertificate(Stream& stream, size_t size) {
  char* dest = streamLoad(stream, size);
  if (dest) setCertificate(dest);
  return dest != nullptr;
}
bool WiFiClientSecure::loadPrivateKey(Stream& stream, size_t size) {
  char* dest = streamLoad(stream, size);
  if (dest) setPrivateKey(dest);
  return dest != nullptr;
}
