// BearSSL::WiFiClientSecure of ESP8266 core 3.1.x (libraries/ESP8266WiFi/src/WiFiClientSecureBearSSL.h @3.1.2),
// on Debian libbearssl 0.6. Behaviour and strings: docs/tls-bearssl.md §1.
#pragma once
#include <bearssl/bearssl.h>

#include <memory>
#include <vector>

#include "Arduino.h"
#include "BearSSLHelpers.h"
#include "WiFiClient.h"

namespace axTLS {
class WiFiClientSecure;
}

namespace BearSSL {

class WiFiClientSecure : public WiFiClient {
 public:
  WiFiClientSecure();
  ~WiFiClientSecure() override;
  WiFiClientSecure(const WiFiClientSecure&) = delete;

  int connect(IPAddress ip, uint16_t port) override;
  int connect(const char* name, uint16_t port) override;
  int connect(const String& host, uint16_t port) { return connect(host.c_str(), port); }
  uint8_t connected() override;
  size_t write(const uint8_t* buf, size_t size) override;
  size_t write(uint8_t b) override { return write(&b, 1); }
  using Print::write;
  size_t write_P(PGM_P buf, size_t size) { return write((const uint8_t*)buf, size); }
  int read(uint8_t* buf, size_t size) override;
  int read() override;
  int peek() override;
  size_t peekBytes(uint8_t* buffer, size_t length);
  int available() override;
  void flush() override;
  void stop() override;
  bool stop(unsigned int maxWaitMs) { stop(); (void)maxWaitMs; return true; }
  operator bool() override { return connected(); }

  // Validation: the last call wins (each clears the others, h:74-101).
  void setInsecure();
  bool setFingerprint(const uint8_t fingerprint[20]);
  bool setFingerprint(const char* fpStr);
  void allowSelfSignedCerts();
  void setKnownKey(const PublicKey* pk, unsigned usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN);
  void setTrustAnchors(const X509List* ta);
  void setX509Time(time_t now) { now_ = now; }
  void setClientRSACert(const X509List* cert, const PrivateKey* sk);
  void setClientECCert(const X509List* cert, const PrivateKey* sk, unsigned allowed_usages, unsigned cert_issuer_key_type);
  void setBufferSizes(int recv, int xmit);
  // Methods a release lacks (version row missingApis) are hidden from the sketch by TWIN_MISSING_<name>.
#ifndef TWIN_MISSING_setSSLVersion
  bool setSSLVersion(uint32_t min = BR_TLS10, uint32_t max = BR_TLS12);
#endif
#ifndef TWIN_MISSING_setCiphers
  bool setCiphers(const uint16_t* cipherAry, int cipherCount);
  bool setCiphers(const std::vector<uint16_t>& list) { return setCiphers(list.data(), (int)list.size()); }
#endif
  bool setCiphersLessSecure();
  int getLastSSLError(char* dest = nullptr, size_t len = 0);
  bool getMFLNStatus();
  void setSession(void*) {}
  // Does the server accept MFLN `len` (512/1024/2048/4096)? (cpp:1437-1677 sends a hand-made ClientHello;
  // the twin runs a throw-away BearSSL handshake advertising that length and reads the server's answer.)
  static bool probeMaxFragmentLength(IPAddress ip, uint16_t port, uint16_t len);
  static bool probeMaxFragmentLength(const char* hostname, uint16_t port, uint16_t len);
  static bool probeMaxFragmentLength(const String& host, uint16_t port, uint16_t len) {
    return probeMaxFragmentLength(host.c_str(), port, len);
  }

  // The axTLS-era API, kept on BearSSL until core 3.0 removed it (WiFiClientSecureBearSSL.h:142-184 at 2.7.4): the
  // bytes (PEM or DER, from a C array or a SPIFFS file) become an owned X509List / PrivateKey.
#if !defined(TWIN_CORE_VERSION_CODE) || TWIN_CORE_VERSION_CODE < 30000
  bool setCACert(const uint8_t* pk, size_t size);
  bool setCertificate(const uint8_t* pk, size_t size);
  bool setPrivateKey(const uint8_t* pk, size_t size);
  bool loadCACert(Stream& stream, size_t size);
  bool loadCertificate(Stream& stream, size_t size);
  bool loadPrivateKey(Stream& stream, size_t size);
  bool setCACert_P(const void* pk, size_t size) { return setCACert((const uint8_t*)pk, size); }
  bool setCertificate_P(const void* pk, size_t size) { return setCertificate((const uint8_t*)pk, size); }
  bool setPrivateKey_P(const void* pk, size_t size) { return setPrivateKey((const uint8_t*)pk, size); }
  template <typename TFile> bool loadCertificate(TFile& file) { return loadCertificate(file, file.size()); }
  template <typename TFile> bool loadPrivateKey(TFile& file) { return loadPrivateKey(file, file.size()); }
  template <typename TFile> bool loadCACert(TFile& file) { return loadCACert(file, file.size()); }
  bool verify(const char* fingerprint, const char* domain_name) { (void)fingerprint; (void)domain_name; return connected(); }
#endif

 protected:
  // Twin-only seam, absent from the ESP8266 core: a firmware personality that brings its own X.509 engine (Tasmota's
  // tls_mini, sketches/tasmota-mqtt-tls) returns it here and it replaces the validation the setters chose. A user's
  // sketch never overrides it, so it sees the core's API unchanged.
  virtual const br_x509_class** ownX509Engine() { return nullptr; }

 private:
  // The twin's axTLS model (WiFiClientSecureAxTLS.cpp) runs its handshakes on this class.
  friend class ::axTLS::WiFiClientSecure;
  int rawLastError() const;
  void debugLine(const char* key, const char* arg = "") const;  // "BSSL:" line of this release (debug builds)
  bool recordChain_ = false;                         // keep every certificate the server sent (axTLS model)
  std::vector<std::vector<uint8_t>> peerChain_;
  struct Engine;
  bool connectSSL(const char* hostName);
  int runUntil(unsigned target, bool blocking = true);
  bool waitForHandshake();
  bool socketConnected() { return WiFiClient::connected(); }
  void freeSSL();
  size_t pendingApp();

  std::unique_ptr<Engine> e_;
  bool handshakeDone_ = false;
  bool oom_ = false;
  // validation choice
  bool insecure_ = false, useFingerprint_ = false, selfSigned_ = false;
  uint8_t fingerprint_[20] = {};
  const PublicKey* knownKey_ = nullptr;
  unsigned knownKeyUsages_ = 0;
  const X509List* ta_ = nullptr;
  time_t now_ = 0;
  // What the axTLS-era setters own (a board keeps them in shared_ptrs the same way).
  std::shared_ptr<X509List> ownTa_, ownChain_;
  std::shared_ptr<PrivateKey> ownSk_;
  // client auth
  const X509List* chain_ = nullptr;
  const PrivateKey* sk_ = nullptr;
  unsigned allowedUsages_ = 0, certIssuerKeyType_ = 0;
  // engine options
  int iobufIn_ = 16384 + 325;  // cpp:178 defaults: 16709 in, 597 out
  int iobufOut_ = 512 + 85;
  uint16_t tlsMin_ = BR_TLS10, tlsMax_ = BR_TLS12;
  std::vector<uint16_t> ciphers_;
  uint32_t timeoutMs_ = 15000;  // cpp:72 (the release's bearssl.handshakeTimeoutMs), 5000 after a handshake (cpp:1211)
};

}  // namespace BearSSL
