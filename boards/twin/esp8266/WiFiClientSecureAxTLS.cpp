// The axTLS model (see WiFiClientSecureAxTLS.h). Behaviour and codes from esp8266/Arduino
// libraries/ESP8266WiFi/src/WiFiClientSecureAxTLS.cpp @2.4.2 (connect, verify :715, _verifyDN :756,
// verifyCertChain :785, 15 s handshake) and igrr/axtls-8266 (ssl/ssl.h error codes, ssl/tls1.c alerts returned as
// -alert, ssl/x509.c x509_verify order: dates, trusted issuer or self-signed, signature). Own code.
#include "WiFiClientSecureAxTLS.h"
#include "WiFiClientSecureBearSSL.h"

#include <bearssl/bearssl.h>
#include <string.h>
#include <time.h>

#include <string>

#include "ESP8266WiFi.h"
#include "esp8266_time.h"
#include "twin_world.h"

namespace axTLS {

namespace {
// igrr/axtls-8266 ssl/ssl.h, ssl/crypto_misc.h.
const int kNotOk = -1, kConnLost = -256, kInvalidHandshake = -260, kInvalidVersion = -263, kNoCipher = -266;
const int kX509 = -512;  // SSL_X509_ERROR(x) = -512 + x
const int kNoTrustedCert = kX509 - 2, kBadSignature = kX509 - 3, kNotYetValid = kX509 - 4, kExpired = kX509 - 5,
          kSelfSigned = kX509 - 6, kInvalidChain = kX509 - 7;

// axTLS's cipher suites (ssl/tls1.c ssl_prot_prefs): RSA key exchange, AES-CBC only.
const uint16_t kSuites[] = {BR_TLS_RSA_WITH_AES_128_CBC_SHA, BR_TLS_RSA_WITH_AES_128_CBC_SHA256,
                            BR_TLS_RSA_WITH_AES_256_CBC_SHA, BR_TLS_RSA_WITH_AES_256_CBC_SHA256};

// ---- a small DER reader for what axTLS looks at: validity, names ----
struct Tlv {
  uint8_t tag = 0;
  const uint8_t* p = nullptr;
  size_t len = 0;
};

bool readTlv(const uint8_t*& p, const uint8_t* end, Tlv& t) {
  if (end - p < 2) return false;
  t.tag = *p++;
  size_t len = *p++;
  if (len & 0x80) {
    int n = len & 0x7f;
    if (n < 1 || n > 3 || end - p < n) return false;
    len = 0;
    while (n--) len = (len << 8) | *p++;
  }
  if ((size_t)(end - p) < len) return false;
  t.p = p;
  t.len = len;
  p += len;
  return true;
}

struct CertInfo {
  std::vector<uint8_t> issuer, subject;
  time_t notBefore = 0, notAfter = 0;
  std::string cn;
  std::vector<std::string> dnsNames;
};

time_t derTime(const Tlv& t) {
  std::string s((const char*)t.p, t.len);
  struct tm tm {};
  int y;
  size_t off;
  if (t.tag == 0x17 && s.size() >= 12) {  // UTCTime YYMMDDHHMMSSZ
    y = std::stoi(s.substr(0, 2));
    y += y < 50 ? 2000 : 1900;
    off = 2;
  } else if (t.tag == 0x18 && s.size() >= 14) {  // GeneralizedTime
    y = std::stoi(s.substr(0, 4));
    off = 4;
  } else {
    return 0;
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = std::stoi(s.substr(off, 2)) - 1;
  tm.tm_mday = std::stoi(s.substr(off + 2, 2));
  tm.tm_hour = std::stoi(s.substr(off + 4, 2));
  tm.tm_min = std::stoi(s.substr(off + 6, 2));
  tm.tm_sec = std::stoi(s.substr(off + 8, 2));
  return timegm(&tm);
}

// The subject's commonName (OID 2.5.4.3) as text.
std::string commonName(const std::vector<uint8_t>& name) {
  static const uint8_t kCn[] = {0x55, 0x04, 0x03};
  const uint8_t* p = name.data();
  const uint8_t* end = p + name.size();
  Tlv seq, set, atv, oid, val;
  if (!readTlv(p, end, seq)) return "";
  for (const uint8_t* q = seq.p; q < seq.p + seq.len && readTlv(q, seq.p + seq.len, set);) {
    const uint8_t* r = set.p;
    if (!readTlv(r, set.p + set.len, atv)) continue;
    const uint8_t* a = atv.p;
    if (readTlv(a, atv.p + atv.len, oid) && oid.len == 3 && !memcmp(oid.p, kCn, 3) && readTlv(a, atv.p + atv.len, val))
      return std::string((const char*)val.p, val.len);
  }
  return "";
}

void sanDnsNames(const Tlv& extensions, std::vector<std::string>& out) {
  static const uint8_t kSan[] = {0x55, 0x1d, 0x11};
  const uint8_t* p = extensions.p;
  Tlv seq, ext, oid, f, names, gn;
  if (!readTlv(p, extensions.p + extensions.len, seq)) return;
  for (const uint8_t* q = seq.p; q < seq.p + seq.len && readTlv(q, seq.p + seq.len, ext);) {
    const uint8_t* e = ext.p;
    const uint8_t* eend = ext.p + ext.len;
    if (!readTlv(e, eend, oid) || oid.len != 3 || memcmp(oid.p, kSan, 3)) continue;
    while (readTlv(e, eend, f) && f.tag != 0x04) {}  // skip `critical`, stop at the OCTET STRING
    const uint8_t* v = f.p;
    if (f.tag != 0x04 || !readTlv(v, f.p + f.len, names)) continue;
    for (const uint8_t* g = names.p; g < names.p + names.len && readTlv(g, names.p + names.len, gn);)
      if (gn.tag == 0x82) out.emplace_back((const char*)gn.p, gn.len);
  }
}

bool parseCert(const std::vector<uint8_t>& der, CertInfo& ci) {
  const uint8_t* p = der.data();
  const uint8_t* end = p + der.size();
  Tlv cert, tbs, f;
  if (!readTlv(p, end, cert)) return false;
  p = cert.p;
  if (!readTlv(p, cert.p + cert.len, tbs)) return false;
  const uint8_t* q = tbs.p;
  const uint8_t* tend = tbs.p + tbs.len;
  if (!readTlv(q, tend, f)) return false;
  if (f.tag == 0xa0 && !readTlv(q, tend, f)) return false;  // [0] version, then serial
  Tlv sigAlg, issuer, validity, subject, nb, na;
  const uint8_t* issuerStart;
  if (!readTlv(q, tend, sigAlg)) return false;
  issuerStart = q;
  if (!readTlv(q, tend, issuer)) return false;
  ci.issuer.assign(issuerStart, q);
  if (!readTlv(q, tend, validity)) return false;
  const uint8_t* v = validity.p;
  if (!readTlv(v, validity.p + validity.len, nb) || !readTlv(v, validity.p + validity.len, na)) return false;
  ci.notBefore = derTime(nb);
  ci.notAfter = derTime(na);
  const uint8_t* subjectStart = q;
  if (!readTlv(q, tend, subject)) return false;
  ci.subject.assign(subjectStart, q);
  ci.cn = commonName(ci.subject);
  while (q < tend && readTlv(q, tend, f))
    if (f.tag == 0xa3) sanDnsNames(f, ci.dnsNames);
  return true;
}

// WiFiClientSecureAxTLS.cpp matchName (@2.4.2 :697): exact, or "*." as the whole first label.
bool matchName(const std::string& name, const std::string& domain) {
  size_t star = name.find('*');
  if (star == std::string::npos) return name == domain;
  size_t dot = name.find('.');
  if (star > dot || star != 0 || dot != 1) return false;
  size_t ddot = domain.find('.');
  return ddot != std::string::npos && domain.substr(ddot) == name.substr(dot);
}

std::string lower(std::string s) {
  for (char& c : s) c = (char)tolower((unsigned char)c);
  return s;
}

// A BearSSL engine error after a failed handshake, as axTLS's ssl_read would have returned it.
int axtlsCode(int bearssl, bool stillConnected) {
  if (bearssl == 0) return stillConnected ? kNotOk : kConnLost;  // timed out (status still SSL_NOT_OK), or closed
  if (bearssl & BR_ERR_RECV_FATAL_ALERT) return -(bearssl & 0xff);  // ssl/tls1.c: ret = -buf[1]
  if (bearssl == BR_ERR_UNSUPPORTED_VERSION || bearssl == BR_ERR_BAD_VERSION) return kInvalidVersion;
  if (bearssl == BR_ERR_BAD_CIPHER_SUITE) return kNoCipher;
  return kInvalidHandshake;
}
}  // namespace

WiFiClientSecure::WiFiClientSecure() = default;
WiFiClientSecure::~WiFiClientSecure() { stop(); }

int WiFiClientSecure::connect(IPAddress ip, uint16_t port) {
  tls_.reset(new BearSSL::WiFiClientSecure());
  tls_->recordChain_ = true;
  if (!tls_->WiFiClient::connect(ip, port)) {
    twin::fact("tcp-errno:%d", tls_->lastConnectErrno());
    return 0;
  }
  return connectSSL(nullptr);
}

int WiFiClientSecure::connect(const char* name, uint16_t port) {
  IPAddress remote;
  if (!WiFi.hostByName(name, remote)) return 0;
  tls_.reset(new BearSSL::WiFiClientSecure());
  tls_->recordChain_ = true;
  if (!tls_->WiFiClient::connect(remote, port)) {
    twin::fact("tcp-errno:%d", tls_->lastConnectErrno());
    return 0;
  }
  return connectSSL(name);
}

int WiFiClientSecure::connectSSL(const char* hostName) {
  twin::fact("twin-model:axtls");
  BearSSL::WiFiClientSecure& t = *tls_;
  t.insecure_ = true;  // SSL_SERVER_VERIFY_LATER: the chain is only looked at by verify()/verifyCertChain()
  t.setCiphers(kSuites, (int)(sizeof kSuites / sizeof kSuites[0]));
  if (clientChain_ && clientKey_) t.setClientRSACert(clientChain_.get(), clientKey_.get());
  ok_ = t.connectSSL(hostName);
  if (!ok_) {
    int code = axtlsCode(t.rawLastError(), t.socketConnected());
    twin::fact("axtls:%d", code);
    return 0;
  }
  return 1;
}

bool WiFiClientSecure::verify(const char* fp, const char* domainName) {
  if (!ok_ || tls_->peerChain_.empty()) return false;
  uint8_t want[20];
  size_t n = 0;
  for (const char* c = fp; *c && n < 20;) {
    if (*c == ' ' || *c == ':') { c++; continue; }
    unsigned v;
    if (!c[1] || sscanf(c, "%2x", &v) != 1) return false;
    want[n++] = (uint8_t)v;
    c += 2;
  }
  if (n != 20) return false;
  const std::vector<uint8_t>& leaf = tls_->peerChain_.front();
  br_sha1_context sh;
  uint8_t got[20];
  br_sha1_init(&sh);
  br_sha1_update(&sh, leaf.data(), leaf.size());
  br_sha1_out(&sh, got);
  if (memcmp(got, want, 20) != 0) return false;  // "fingerprint doesn't match" (DEBUGV only)
  return verifyDN(domainName);
}

bool WiFiClientSecure::verifyCertChain(const char* domainName) {
  if (!ok_) return false;
  const auto& chain = tls_->peerChain_;
  int code = 0;
  std::vector<CertInfo> infos(chain.size());
  for (size_t i = 0; i < chain.size() && !code; i++)
    if (!parseCert(chain[i], infos[i])) code = kNoTrustedCert;
  CertInfo ca;
  const bool haveCa = !ca_.empty() && parseCert(ca_, ca);
  const time_t now = (time_t)twin_esp8266_time(nullptr);  // gettimeofday(): the board clock
  for (size_t i = 0; i < infos.size() && !code; i++) {
    const CertInfo& c = infos[i];
    const bool selfSigned = c.issuer == c.subject;
    if (now < c.notBefore) code = kNotYetValid;
    else if (now > c.notAfter) code = kExpired;
    else if (i + 1 < infos.size()) code = c.issuer == infos[i + 1].subject ? 0 : kInvalidChain;
    else if (!(haveCa && c.issuer == ca.subject)) code = selfSigned ? kSelfSigned : kNoTrustedCert;
  }
  if (chain.empty()) code = kNoTrustedCert;
  if (!code) {
    // The signatures, against the stored CA (BearSSL checks them; a mismatch is axTLS's BAD_SIGNATURE).
    BearSSL::X509List anchor(ca_.data(), ca_.size());
    br_x509_minimal_context xc;
    br_x509_minimal_init_full(&xc, anchor.getTrustAnchors(), anchor.getCount());
    br_x509_minimal_set_time(&xc, (uint32_t)(719528 + now / 86400), (uint32_t)(now % 86400));
    xc.vtable->start_chain(&xc.vtable, nullptr);
    for (const auto& der : chain) {
      xc.vtable->start_cert(&xc.vtable, (uint32_t)der.size());
      xc.vtable->append(&xc.vtable, der.data(), der.size());
      xc.vtable->end_cert(&xc.vtable);
    }
    if (xc.vtable->end_chain(&xc.vtable) != 0) code = kBadSignature;
  }
  if (code == kSelfSigned && selfSigned_) code = 0;  // allowSelfSignedCerts()
  if (code) {
    twin::fact("axtls:%d", code);
    return false;
  }
  return verifyDN(domainName);
}

bool WiFiClientSecure::verifyDN(const char* domainName) {
  if (tls_->peerChain_.empty()) return false;
  CertInfo c;
  if (!parseCert(tls_->peerChain_.front(), c)) return false;
  std::string domain = lower(domainName ? domainName : "");
  for (const std::string& san : c.dnsNames)
    if (matchName(lower(san), domain)) return true;
  // Unlike BearSSL and mbedTLS, axTLS also tries the CN when SAN entries exist (:772).
  return !c.cn.empty() && matchName(lower(c.cn), domain);
}

uint8_t WiFiClientSecure::connected() { return tls_ && ok_ ? tls_->connected() : 0; }
size_t WiFiClientSecure::write(const uint8_t* buf, size_t size) { return tls_ && ok_ ? tls_->write(buf, size) : 0; }
int WiFiClientSecure::read(uint8_t* buf, size_t size) { return tls_ && ok_ ? tls_->read(buf, size) : -1; }
int WiFiClientSecure::read() { return tls_ && ok_ ? tls_->read() : -1; }
int WiFiClientSecure::peek() { return tls_ && ok_ ? tls_->peek() : -1; }
size_t WiFiClientSecure::peekBytes(uint8_t* buffer, size_t length) { return tls_ && ok_ ? tls_->peekBytes(buffer, length) : 0; }
int WiFiClientSecure::available() { return tls_ && ok_ ? tls_->available() : 0; }
void WiFiClientSecure::flush() {
  if (tls_ && ok_) tls_->flush();
}
void WiFiClientSecure::stop() {
  if (tls_) tls_->stop();
  ok_ = false;
}

bool WiFiClientSecure::setCACert(const uint8_t* pk, size_t size) {
  std::vector<uint8_t> der(pk, pk + size);
  CertInfo ci;
  if (!parseCert(der, ci)) return false;  // DER only
  ca_ = der;
  return true;
}

bool WiFiClientSecure::setCertificate(const uint8_t* pk, size_t size) {
  std::vector<uint8_t> der(pk, pk + size);
  CertInfo ci;
  if (!parseCert(der, ci)) return false;
  cert_ = der;
  clientChain_.reset(new BearSSL::X509List(cert_.data(), cert_.size()));
  return true;
}

bool WiFiClientSecure::setPrivateKey(const uint8_t* pk, size_t size) {
  std::unique_ptr<BearSSL::PrivateKey> key(new BearSSL::PrivateKey(pk, size));
  if (!key->isRSA()) return false;  // axTLS: RSA keys only
  key_.assign(pk, pk + size);
  clientKey_ = std::move(key);
  return true;
}

bool WiFiClientSecure::readAll(Stream& stream, size_t size, std::vector<uint8_t>& out) {
  out.resize(size);
  return stream.readBytes((char*)out.data(), size) == size;
}
bool WiFiClientSecure::loadCACert(Stream& stream, size_t size) {
  std::vector<uint8_t> der;
  return readAll(stream, size, der) && setCACert(der.data(), der.size());
}
bool WiFiClientSecure::loadCertificate(Stream& stream, size_t size) {
  std::vector<uint8_t> der;
  return readAll(stream, size, der) && setCertificate(der.data(), der.size());
}
bool WiFiClientSecure::loadPrivateKey(Stream& stream, size_t size) {
  std::vector<uint8_t> der;
  return readAll(stream, size, der) && setPrivateKey(der.data(), der.size());
}

}  // namespace axTLS
