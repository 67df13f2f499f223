// BearSSL::WiFiClientSecure (ESP8266 core 2.4.2-3.1.x) on Debian libbearssl 0.6.
// Behaviour from libraries/ESP8266WiFi/src/WiFiClientSecureBearSSL.cpp @3.1.2 as summarised in
// docs/tls-bearssl.md §1 (own code; line refs are to that file); what older releases print or do differently
// (debug lines, alert prefixes, the handshake timeout) comes from the version row (boards/twin/versions/esp8266.yaml).
#include "WiFiClientSecureBearSSL.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "bearssl_build.h"
#include "bearssl_errors.h"
#include "esp8266_time.h"
#include "twin_world.h"

namespace {
// DEBUG_BSSL (cpp:62-66): "BSSL:" + the release's text (bearssl.debug.<key>, "" where the release prints nothing),
// only in builds with the SSL debug level and a debug port (FQBN dbg=Serial,lvl=SSL).
void bsslDebug(const char* key, const char* arg = "") {
#if defined(DEBUG_ESP_SSL) && defined(DEBUG_ESP_PORT)
  std::string k = std::string("bearssl.debug.") + key;
  const char* fmt = twin::rowStr(k.c_str());
  if (!*fmt) return;
  char line[320];
  snprintf(line, sizeof line, fmt, arg);  // formats checked in rig/boards/version-values.ts (none or one %s)
  DEBUG_ESP_PORT.printf("BSSL:%s\n", line);
#else
  (void)key; (void)arg;
#endif
}
}  // namespace

namespace BearSSL {

namespace {
// Leaf-only validator for setInsecure / setFingerprint / allowSelfSignedCerts (br_x509_insecure, cpp:690-800):
// fingerprint = SHA-1 of the leaf DER, self-signed = subject DN == issuer DN; no signature, date or name check.
struct InsecureValidator {
  const br_x509_class* vtable;
  bool checkFingerprint;
  bool checkSelfSigned;
  uint8_t fingerprint[20];
  int certs;
  std::vector<uint8_t> leaf;
  std::vector<std::vector<uint8_t>>* record;  // axTLS model: every certificate the server sent
  br_x509_decoder_context dec;
  br_x509_pkey pkey;
  std::vector<uint8_t> k1, k2;
};

void ivStartChain(const br_x509_class** ctx, const char*) {
  auto* v = reinterpret_cast<InsecureValidator*>(ctx);
  v->certs = 0;
  v->leaf.clear();
  if (v->record) v->record->clear();
}
void ivStartCert(const br_x509_class** ctx, uint32_t) {
  auto* v = reinterpret_cast<InsecureValidator*>(ctx);
  v->certs++;
  if (v->record) v->record->emplace_back();
}
void ivAppend(const br_x509_class** ctx, const unsigned char* buf, size_t len) {
  auto* v = reinterpret_cast<InsecureValidator*>(ctx);
  if (v->certs == 1) v->leaf.insert(v->leaf.end(), buf, buf + len);
  if (v->record && !v->record->empty()) v->record->back().insert(v->record->back().end(), buf, buf + len);
}
void ivEndCert(const br_x509_class**) {}
unsigned ivEndChain(const br_x509_class** ctx) {
  auto* v = reinterpret_cast<InsecureValidator*>(ctx);
  if (v->certs == 0) return BR_ERR_X509_EMPTY_CHAIN;
  br_x509_decoder_init(&v->dec, nullptr, nullptr);
  br_x509_decoder_push(&v->dec, v->leaf.data(), v->leaf.size());
  const br_x509_pkey* pk = br_x509_decoder_get_pkey(&v->dec);
  if (!pk) return br_x509_decoder_last_error(&v->dec) ? (unsigned)br_x509_decoder_last_error(&v->dec) : BR_ERR_X509_TRUNCATED;
  v->pkey = *pk;
  if (v->checkFingerprint) {
    br_sha1_context sh;
    uint8_t digest[20];
    br_sha1_init(&sh);
    br_sha1_update(&sh, v->leaf.data(), v->leaf.size());
    br_sha1_out(&sh, digest);
    if (memcmp(digest, v->fingerprint, 20) != 0) return BR_ERR_X509_NOT_TRUSTED;
  }
  if (v->checkSelfSigned) {
    std::vector<uint8_t> issuer, subject;
    if (!detail::certIssuerSubject(v->leaf.data(), v->leaf.size(), issuer, subject)) return BR_ERR_X509_NOT_TRUSTED;
    if (issuer != subject) return BR_ERR_X509_NOT_TRUSTED;
  }
  return 0;
}
const br_x509_pkey* ivGetPkey(const br_x509_class* const* ctx, unsigned* usages) {
  auto* v = reinterpret_cast<const InsecureValidator*>(ctx);
  if (usages) *usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
  return &v->pkey;
}
const br_x509_class kInsecureVtable = {sizeof(InsecureValidator), ivStartChain, ivStartCert, ivAppend,
                                       ivEndCert, ivEndChain, ivGetPkey};

// getLastSSLError's table (cpp:1348-1434): the allocation failure, then BearSSL's own texts.
const char* errorText(int err) {
  return err == -1000 ? "Unable to allocate memory for SSL structures and buffers." : twin::bearsslErrorText(err);
}

void fillEntropy(uint8_t* buf, size_t len) {
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  size_t got = 0;
  if (fd >= 0) {
    ssize_t n = ::read(fd, buf, len);
    if (n > 0) got = (size_t)n;
    close(fd);
  }
  for (size_t i = got; i < len; i++) buf[i] = (uint8_t)random(256);
}
// MFLN code the server confirmed in its ServerHello (first record of `rx`), 0 when absent, -1 when `rx` does
// not start with a complete ServerHello record. Record: type 22, version, length; handshake: type 2, length(3),
// version(2), random(32), session id, suite(2), compression(1), extensions.
int serverHelloMfln(const uint8_t* rx, size_t n) {
  if (n < 5) return -1;
  size_t recLen = (size_t)((rx[3] << 8) | rx[4]);
  if (n < 5 + recLen || rx[0] != 22 || recLen < 4 || rx[5] != 2) return -1;
  const uint8_t* h = rx + 9;
  const uint8_t* end = rx + 5 + recLen;
  size_t pos = 2 + 32;
  if (h + pos >= end) return -1;
  pos += 1 + h[pos];  // session id
  pos += 3;           // suite + compression
  if (h + pos + 2 > end) return 0;
  size_t extEnd = pos + 2 + (size_t)((h[pos] << 8) | h[pos + 1]);
  pos += 2;
  while (h + pos + 4 <= end && pos + 4 <= extEnd) {
    unsigned type = (h[pos] << 8) | h[pos + 1];
    size_t elen = (size_t)((h[pos + 2] << 8) | h[pos + 3]);
    if (type == 1 && elen == 1 && h + pos + 5 <= end) return h[pos + 4];
    pos += 4 + elen;
  }
  return 0;
}
}  // namespace

struct WiFiClientSecure::Engine {
  br_ssl_client_context sc;
  br_x509_minimal_context xm;
  br_x509_knownkey_context kk;
  InsecureValidator iv;
  std::vector<uint8_t> in, out;
  std::vector<uint8_t> sniff;  // first bytes from the server, for getMFLNStatus() (Debian has no mfln getter)
};

WiFiClientSecure::WiFiClientSecure() = default;

void WiFiClientSecure::debugLine(const char* key, const char* arg) const {
  if (!recordChain_) bsslDebug(key, arg);  // axTLS (the model) prints no BSSL lines
}
WiFiClientSecure::~WiFiClientSecure() { stop(); }

void WiFiClientSecure::freeSSL() {
  e_.reset();
  handshakeDone_ = false;
  // 15 s in the handshake since 2.6.0; 2.4.2-2.5.x had no timeout at all (bearssl.handshakeTimeoutMs 0). The axTLS
  // model keeps axTLS's own 15 s (WiFiClientSecureAxTLS.cpp@2.4.2 _timeout).
  timeoutMs_ = recordChain_ ? 15000 : (uint32_t)twin::rowInt("bearssl.handshakeTimeoutMs");
}

void WiFiClientSecure::stop() {
  // WiFiClient::stop() then _freeSSL(): no close_notify, and getLastSSLError() reads 0 afterwards.
  WiFiClient::stop();
  freeSSL();
}

int WiFiClientSecure::connect(IPAddress ip, uint16_t port) {
  if (!WiFiClient::connect(ip, port)) { twin::fact("tcp-errno:%d", lastConnectErrno()); return 0; }
  return connectSSL(nullptr) ? 1 : 0;  // no SNI, no name check (cpp:211-233)
}

int WiFiClientSecure::connect(const char* name, uint16_t port) {
  IPAddress remote;
  if (!twin::resolve(name, remote)) {
    twin::fact("dns-failed:%s", name ? name : "");
    debugLine("nameLookup");  // cpp:221
    return 0;
  }
  if (!WiFiClient::connect(remote, port)) {
    twin::fact("tcp-errno:%d", lastConnectErrno());
    debugLine("tcpFail");  // cpp:225
    return 0;
  }
  return connectSSL(name) ? 1 : 0;  // the string is SNI and the checked name, also a dotted quad
}

bool WiFiClientSecure::connectSSL(const char* hostName) {
  debugLine("start");  // cpp:1124, every attempt
  twin::ReplyAwaited handshaking;
  freeSSL();
  oom_ = false;
  // cpp:1130 also asks for a CertStore; the twin has none, so !_certStore always holds.
  if (!insecure_ && !useFingerprint_ && !selfSigned_ && !knownKey_ && !ta_) debugLine("willFail");
  e_.reset(new Engine());
  Engine& e = *e_;
  // The firmware's own MFLN choice (tls.maxFragmentLength) sizes the buffers the way its build does.
  e.in.resize(twin::bearsslBuildInBuf() ? twin::bearsslBuildInBuf() : (size_t)iobufIn_);
  e.out.resize(twin::bearsslBuildOutBuf() ? twin::bearsslBuildOutBuf() : (size_t)iobufOut_);
  const br_x509_trust_anchor* tas = (ta_ && ta_->getCount()) ? ta_->getTrustAnchors() : nullptr;
  size_t nTas = tas ? ta_->getCount() : 0;
  br_ssl_client_init_full(&e.sc, &e.xm, tas, nTas);  // BearSSL full-client suite order = suites_P (cpp:833)
  br_ssl_engine_add_flags(&e.sc.eng, BR_OPT_NO_RENEGOTIATION);
  br_ssl_engine_set_versions(&e.sc.eng, tlsMin_, tlsMax_);
  twin::bearsslBuildSuites(&e.sc.eng);  // the firmware's build (tls.ciphers); a sketch's setCiphers() comes after
  if (!ciphers_.empty()) br_ssl_engine_set_suites(&e.sc.eng, ciphers_.data(), ciphers_.size());
  twin::bearsslBuildRsa(&e.sc, &e.xm);  // tls.rsaMaxBits (BR_MAX_RSA_SIZE)
  if (const br_x509_class** own = ownX509Engine()) {
    br_ssl_engine_set_x509(&e.sc.eng, own);
  } else if (insecure_ || useFingerprint_ || selfSigned_) {
    e.iv.vtable = &kInsecureVtable;
    e.iv.checkFingerprint = useFingerprint_;
    e.iv.checkSelfSigned = selfSigned_;
    e.iv.record = recordChain_ ? &peerChain_ : nullptr;
    memcpy(e.iv.fingerprint, fingerprint_, 20);
    br_ssl_engine_set_x509(&e.sc.eng, &e.iv.vtable);
  } else if (knownKey_) {
    if (knownKey_->isRSA()) br_x509_knownkey_init_rsa(&e.kk, knownKey_->getRSA(), knownKeyUsages_);
    else if (knownKey_->isEC()) br_x509_knownkey_init_ec(&e.kk, knownKey_->getEC(), knownKeyUsages_);
    br_ssl_engine_set_x509(&e.sc.eng, &e.kk.vtable);
  } else {
    // The fork calls time(NULL) (board clock) when setX509Time was not used; Debian's would use the host
    // clock, so the twin always sets the time explicitly (docs/tls-bearssl.md §1 "Shim rule").
    int64_t t = now_ ? (int64_t)now_ : (int64_t)twin_esp8266_time(nullptr);
    br_x509_minimal_set_time(&e.xm, (uint32_t)(719528 + t / 86400), (uint32_t)(t % 86400));
  }
  br_ssl_engine_set_buffers_bidi(&e.sc.eng, e.in.data(), e.in.size(), e.out.data(), e.out.size());
  uint8_t seed[32];
  fillEntropy(seed, sizeof seed);
  br_ssl_engine_inject_entropy(&e.sc.eng, seed, sizeof seed);
  if (chain_ && sk_ && chain_->getCount()) {
    if (sk_->isRSA()) {
      br_ssl_client_set_single_rsa(&e.sc, chain_->getX509Certs(), chain_->getCount(), sk_->getRSA(),
                                   br_rsa_pkcs1_sign_get_default());
    } else if (sk_->isEC()) {
      br_ssl_client_set_single_ec(&e.sc, chain_->getX509Certs(), chain_->getCount(), sk_->getEC(), allowedUsages_,
                                  certIssuerKeyType_, br_ec_get_default(), br_ecdsa_sign_asn1_get_default());
    }
  }
  if (!br_ssl_client_reset(&e.sc, hostName, 0)) {
    int err = br_ssl_engine_last_error(&e.sc.eng);
    twin::fact("bearssl:%d", err);
    freeSSL();  // names >= 256 bytes: BAD_PARAM and the engine is freed
    debugLine("resetFail");  // cpp:1190
    return false;
  }
  twin::fact("tls-name:%s", hostName ? hostName : "");
  bool ok = waitForHandshake();
  if (!ok) {
    char err[256];
    int code = getLastSSLError(err, sizeof err);
    (void)code;
    debugLine("couldntConnect", err);  // cpp:1199
    twin::fact("bearssl:%d", e_ ? br_ssl_engine_last_error(&e_->sc.eng) : 0);
    return false;
  }
  debugLine("connected");
  timeoutMs_ = 5000;
  return true;
}

bool WiFiClientSecure::waitForHandshake() {
  handshakeDone_ = false;
  while (!handshakeDone_ && socketConnected()) {
    if (runUntil(BR_SSL_SENDAPP) < 0) {
      debugLine("handshakeFailed");  // cpp:610
      break;
    }
    if (br_ssl_engine_current_state(&e_->sc.eng) & BR_SSL_SENDAPP) handshakeDone_ = true;
  }
  return handshakeDone_;
}

// _run_until: pumps records between the engine and the socket until `target` is reached. Blocking calls
// give up after the client timeout (15 s in the handshake) without an engine error, like the core.
int WiFiClientSecure::runUntil(unsigned target, bool blocking) {
  if (!e_) return -1;
  br_ssl_engine_context* eng = &e_->sc.eng;
  uint64_t deadline = twin::millisSinceBoot() + timeoutMs_;
  for (;;) {
    if (fd_ < 0) return -1;
    unsigned st = br_ssl_engine_current_state(eng);
    if (st & BR_SSL_CLOSED) return -1;
    if (st & BR_SSL_SENDREC) {
      size_t len;
      unsigned char* buf = br_ssl_engine_sendrec_buf(eng, &len);
      ssize_t w = send(fd_, buf, len, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && (errno == EPIPE || errno == ECONNRESET)) {
        // lwIP's tcp_write() queues and returns; a reset surfaces later on the receive side, after the bytes
        // already received (e.g. the broker's alert). Drop the record and go on reading.
        br_ssl_engine_sendrec_ack(eng, len);
        continue;
      }
      if (w <= 0) return -1;
      br_ssl_engine_sendrec_ack(eng, (size_t)w);
      continue;
    }
    if (st & target) return 0;
    if ((st & BR_SSL_RECVAPP) && !(target & BR_SSL_RECVAPP)) return -1;  // "Fatal protocol state"
    if (st & BR_SSL_RECVREC) {
      size_t len;
      unsigned char* buf = br_ssl_engine_recvrec_buf(eng, &len);
      ssize_t r = recv(fd_, buf, len, MSG_DONTWAIT);
      if (r > 0) {
        if (!handshakeDone_ && e_->sniff.size() < 4096) e_->sniff.insert(e_->sniff.end(), buf, buf + r);
        br_ssl_engine_recvrec_ack(eng, (size_t)r);
        continue;
      }
      if (r == 0) return -1;  // peer closed: no engine error is set (row 10: 0 "Unknown error code.")
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return -1;
      if (!blocking) return -1;
      uint64_t now = twin::millisSinceBoot();
      if (timeoutMs_ && now >= deadline) {
        twin::fact("tls-handshake-timeout");
        debugLine("timeout");  // cpp:493
        return -1;
      }
      twin::waitReadable(fd_, timeoutMs_ ? (uint32_t)std::min<uint64_t>(50, deadline - now) : 50);
      continue;
    }
    return -1;
  }
}

size_t WiFiClientSecure::pendingApp() {
  if (!e_) return 0;
  if (!(br_ssl_engine_current_state(&e_->sc.eng) & BR_SSL_RECVAPP)) return 0;
  size_t len = 0;
  br_ssl_engine_recvapp_buf(&e_->sc.eng, &len);
  return len;
}

int WiFiClientSecure::available() {
  if (!e_ || !handshakeDone_) return 0;
  size_t n = pendingApp();
  if (n) return (int)n;
  runUntil(BR_SSL_RECVAPP, false);
  return (int)pendingApp();
}

int WiFiClientSecure::read(uint8_t* buf, size_t size) {
  if (!e_ || !handshakeDone_) return -1;
  size_t avail = (size_t)available();
  if (!avail) return -1;
  size_t len;
  unsigned char* app = br_ssl_engine_recvapp_buf(&e_->sc.eng, &len);
  size_t n = std::min(size, len);
  memcpy(buf, app, n);
  br_ssl_engine_recvapp_ack(&e_->sc.eng, n);
  return (int)n;
}

int WiFiClientSecure::read() {
  uint8_t c;
  return read(&c, 1) == 1 ? c : -1;
}

int WiFiClientSecure::peek() {
  if (!available()) return -1;
  size_t len;
  unsigned char* app = br_ssl_engine_recvapp_buf(&e_->sc.eng, &len);
  return len ? app[0] : -1;
}

size_t WiFiClientSecure::peekBytes(uint8_t* buffer, size_t length) {
  if (!available()) return 0;
  size_t len;
  unsigned char* app = br_ssl_engine_recvapp_buf(&e_->sc.eng, &len);
  size_t n = std::min(length, len);
  memcpy(buffer, app, n);
  return n;
}

size_t WiFiClientSecure::write(const uint8_t* buf, size_t size) {
  if (!e_ || !handshakeDone_) return 0;
  size_t sent = 0;
  while (size > 0) {
    if (runUntil(BR_SSL_SENDAPP) < 0) break;
    if (!(br_ssl_engine_current_state(&e_->sc.eng) & BR_SSL_SENDAPP)) break;
    size_t len;
    unsigned char* app = br_ssl_engine_sendapp_buf(&e_->sc.eng, &len);
    size_t n = std::min(size, len);
    memcpy(app, buf, n);
    br_ssl_engine_sendapp_ack(&e_->sc.eng, n);
    br_ssl_engine_flush(&e_->sc.eng, 0);
    runUntil(BR_SSL_SENDAPP);
    buf += n;
    size -= n;
    sent += n;
  }
  return sent;
}

void WiFiClientSecure::flush() {
  if (e_ && handshakeDone_) {
    br_ssl_engine_flush(&e_->sc.eng, 0);
    runUntil(BR_SSL_SENDAPP);
  }
}

uint8_t WiFiClientSecure::connected() {
  if (available() || (socketConnected() && handshakeDone_ && e_ &&
                      br_ssl_engine_current_state(&e_->sc.eng) != BR_SSL_CLOSED)) return 1;
  return 0;
}

void WiFiClientSecure::setInsecure() {
  insecure_ = true; useFingerprint_ = false; selfSigned_ = false; knownKey_ = nullptr; ta_ = nullptr;
}

bool WiFiClientSecure::setFingerprint(const uint8_t fingerprint[20]) {
  insecure_ = false; selfSigned_ = false; knownKey_ = nullptr; ta_ = nullptr;
  useFingerprint_ = true;
  memcpy(fingerprint_, fingerprint, 20);
  return true;
}

bool WiFiClientSecure::setFingerprint(const char* fpStr) {
  uint8_t fp[20];
  int idx = 0;
  const char* p = fpStr;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  while (*p) {
    if (*p == ' ' || *p == ':') { p++; continue; }
    int hi = hex(p[0]);
    int lo = p[1] ? hex(p[1]) : -1;
    if (hi < 0 || lo < 0 || idx >= 20) return false;
    fp[idx++] = (uint8_t)(hi * 16 + lo);
    p += 2;
  }
  if (idx != 20) return false;
  return setFingerprint(fp);
}

void WiFiClientSecure::allowSelfSignedCerts() {
  insecure_ = false; useFingerprint_ = false; knownKey_ = nullptr; ta_ = nullptr;
  selfSigned_ = true;
}

void WiFiClientSecure::setKnownKey(const PublicKey* pk, unsigned usages) {
  insecure_ = false; useFingerprint_ = false; selfSigned_ = false; ta_ = nullptr;
  knownKey_ = pk;
  knownKeyUsages_ = usages;
}

void WiFiClientSecure::setTrustAnchors(const X509List* ta) {
  insecure_ = false; useFingerprint_ = false; selfSigned_ = false; knownKey_ = nullptr;
  ta_ = ta;
}

void WiFiClientSecure::setClientRSACert(const X509List* cert, const PrivateKey* sk) {
  chain_ = cert;
  sk_ = sk;
}

void WiFiClientSecure::setClientECCert(const X509List* cert, const PrivateKey* sk, unsigned allowed_usages,
                                       unsigned cert_issuer_key_type) {
  chain_ = cert;
  sk_ = sk;
  allowedUsages_ = allowed_usages;
  certIssuerKeyType_ = cert_issuer_key_type;
}

void WiFiClientSecure::setBufferSizes(int recv, int xmit) {
  // cpp:178: clamp to 512..16384, then add the record overheads.
  recv = std::max(512, std::min(16384, recv));
  xmit = std::max(512, std::min(16384, xmit));
  iobufIn_ = recv + 325;
  iobufOut_ = xmit + 85;
}

bool WiFiClientSecure::setSSLVersion(uint32_t min, uint32_t max) {
  auto ok = [](uint32_t v) { return v == BR_TLS10 || v == BR_TLS11 || v == BR_TLS12; };
  if (!ok(min) || !ok(max) || max < min) return false;
  tlsMin_ = (uint16_t)min;
  tlsMax_ = (uint16_t)max;
  return true;
}

bool WiFiClientSecure::setCiphers(const uint16_t* cipherAry, int cipherCount) {
  ciphers_.assign(cipherAry, cipherAry + cipherCount);
  return true;
}

bool WiFiClientSecure::setCiphersLessSecure() {
  static const uint16_t kLess[] = {BR_TLS_RSA_WITH_AES_128_CBC_SHA256, BR_TLS_RSA_WITH_AES_256_CBC_SHA256,
                                   BR_TLS_RSA_WITH_AES_128_CBC_SHA, BR_TLS_RSA_WITH_AES_256_CBC_SHA};
  return setCiphers(kLess, 4);
}

int WiFiClientSecure::getLastSSLError(char* dest, size_t len) {
  int err = 0;
  if (oom_) err = -1000;
  else if (e_) err = br_ssl_engine_last_error(&e_->sc.eng);
  const char* prefix = "";
  // The alert prefixes and the stripped value came with 3.0.0 (cfdcff102); before, a raw 296 printed
  // "Unknown error code." (bearssl.alertPrefix).
  const bool prefixes = twin::rowBool("bearssl.alertPrefix");
  if (prefixes && err > 0 && (err & BR_ERR_RECV_FATAL_ALERT)) {
    prefix = "SSL received fatal alert - ";
    err &= ~BR_ERR_RECV_FATAL_ALERT;
  } else if (prefixes && err > 0 && (err & BR_ERR_SEND_FATAL_ALERT)) {
    prefix = "SSL sent fatal alert - ";
    err &= ~BR_ERR_SEND_FATAL_ALERT;
  }
  // Quirk kept from the core: the bare alert number is looked up in the BR_ERR table.
  if (dest && len) snprintf(dest, len, "%s%s", prefix, errorText(err));
  return err;
}

int WiFiClientSecure::rawLastError() const {
  if (oom_) return -1000;
  return e_ ? br_ssl_engine_last_error(&e_->sc.eng) : 0;
}

bool WiFiClientSecure::getMFLNStatus() {
  if (!connected() || !e_) return false;
  int advertised = e_->sc.eng.log_max_frag_len - 8;  // 9..12 -> MFLN codes 1..4; 14 (16 KiB) is not advertised
  return advertised >= 1 && advertised <= 4 && serverHelloMfln(e_->sniff.data(), e_->sniff.size()) == advertised;
}

bool WiFiClientSecure::probeMaxFragmentLength(const char* hostname, uint16_t port, uint16_t len) {
  IPAddress ip;
  if (!twin::resolve(hostname, ip)) return false;
  return probeMaxFragmentLength(ip, port, len);
}

bool WiFiClientSecure::probeMaxFragmentLength(IPAddress ip, uint16_t port, uint16_t len) {
  // MFLN codes (RFC 6066): 1=512, 2=1024, 3=2048, 4=4096; anything else is refused without a connection.
  int code = len == 512 ? 1 : len == 1024 ? 2 : len == 2048 ? 3 : len == 4096 ? 4 : 0;
  if (!code) return false;
  int fd = twin::tcpConnect(ip, port, 5000);
  if (fd < 0) return false;
  // BearSSL writes the ClientHello (it advertises MFLN = len when the buffers are that small); the
  // ServerHello is then parsed by hand, like the core's probe does, and the connection dropped.
  std::unique_ptr<Engine> e(new Engine());
  e->in.resize(len + 325u);
  e->out.resize(len + 85u);
  br_ssl_client_init_full(&e->sc, &e->xm, nullptr, 0);
  br_ssl_engine_set_buffers_bidi(&e->sc.eng, e->in.data(), e->in.size(), e->out.data(), e->out.size());
  uint8_t seed[32];
  fillEntropy(seed, sizeof seed);
  br_ssl_engine_inject_entropy(&e->sc.eng, seed, sizeof seed);
  bool ok = false;
  if (br_ssl_client_reset(&e->sc, nullptr, 0)) {
    while (br_ssl_engine_current_state(&e->sc.eng) & BR_SSL_SENDREC) {
      size_t n;
      unsigned char* buf = br_ssl_engine_sendrec_buf(&e->sc.eng, &n);
      ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
      if (w <= 0) break;
      br_ssl_engine_sendrec_ack(&e->sc.eng, (size_t)w);
    }
    std::vector<uint8_t> rx;
    uint64_t deadline = twin::millisSinceBoot() + 5000;
    while (twin::millisSinceBoot() < deadline) {
      if (rx.size() >= 5 && rx.size() >= 5u + (size_t)((rx[3] << 8) | rx[4])) break;
      if (!twin::waitReadable(fd, 100)) continue;
      uint8_t chunk[1024];
      ssize_t r = recv(fd, chunk, sizeof chunk, 0);
      if (r <= 0) break;
      rx.insert(rx.end(), chunk, chunk + r);
    }
    ok = serverHelloMfln(rx.data(), rx.size()) == code;
  }
  close(fd);
  return ok;
}


// axTLS compatibility (WiFiClientSecureBearSSL.cpp:1580-1652 at 2.7.4): note setCACert() only swaps the trust anchors;
// the validation mode the sketch chose before (setInsecure, a fingerprint) is what setTrustAnchors() would clear.
bool WiFiClientSecure::setCACert(const uint8_t* pk, size_t size) {
  ownTa_ = std::make_shared<X509List>(pk, size);
  ta_ = ownTa_.get();
  return ta_ != nullptr;
}
bool WiFiClientSecure::setCertificate(const uint8_t* pk, size_t size) {
  ownChain_ = std::make_shared<X509List>(pk, size);
  chain_ = ownChain_.get();
  return chain_ != nullptr;
}
bool WiFiClientSecure::setPrivateKey(const uint8_t* pk, size_t size) {
  ownSk_ = std::make_shared<PrivateKey>(pk, size);
  sk_ = ownSk_.get();
  return sk_ != nullptr;
}

namespace {
// _streamLoad: exactly size bytes, or nothing.
std::vector<uint8_t> streamLoad(Stream& stream, size_t size) {
  std::vector<uint8_t> dest(size);
  if (stream.readBytes((char*)dest.data(), size) != size) dest.clear();
  return dest;
}
}  // namespace

bool WiFiClientSecure::loadCACert(Stream& stream, size_t size) {
  std::vector<uint8_t> d = streamLoad(stream, size);
  return !d.empty() && setCACert(d.data(), d.size());
}
bool WiFiClientSecure::loadCertificate(Stream& stream, size_t size) {
  std::vector<uint8_t> d = streamLoad(stream, size);
  return !d.empty() && setCertificate(d.data(), d.size());
}
bool WiFiClientSecure::loadPrivateKey(Stream& stream, size_t size) {
  std::vector<uint8_t> d = streamLoad(stream, size);
  return !d.empty() && setPrivateKey(d.data(), d.size());
}

}  // namespace BearSSL
