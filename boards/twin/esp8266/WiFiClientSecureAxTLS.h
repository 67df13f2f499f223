// axTLS::WiFiClientSecure of ESP8266 cores 2.4.x (the default WiFiClientSecure) and 2.5.x-2.7.x (USING_AXTLS),
// API of libraries/ESP8266WiFi/src/WiFiClientSecureAxTLS.h @2.4.2. axTLS itself cannot run here: this is a MODEL
// (boards/twin/versions/esp8266.yaml says which releases use it). The handshake runs on BearSSL with axTLS's four
// RSA AES-CBC suites and accepts any certificate, as axTLS's SSL_SERVER_VERIFY_LATER does; verify() and
// verifyCertChain() then apply axTLS's own checks and codes (igrr/axtls-8266 ssl/x509.c x509_verify). axTLS prints
// nothing; the codes go to the twin's facts ("axtls:<code>", "twin-model:axtls").
#pragma once
#include <memory>
#include <vector>

#include "Arduino.h"
#include "WiFiClient.h"

// Only declared here: 2.4.0/2.4.1 sketches must not see BearSSL's API (the core had none).
namespace BearSSL {
class WiFiClientSecure;
class X509List;
class PrivateKey;
}  // namespace BearSSL

namespace axTLS {

class WiFiClientSecure : public WiFiClient {
 public:
  WiFiClientSecure();
  ~WiFiClientSecure() override;
  WiFiClientSecure(const WiFiClientSecure&) = delete;

  int connect(IPAddress ip, uint16_t port) override;
  int connect(const char* name, uint16_t port) override;
  int connect(const String& host, uint16_t port) { return connect(host.c_str(), port); }

  // SHA-1 fingerprint of the server's certificate, then its names (SAN dNSName, then CN).
  bool verify(const char* fingerprint, const char* domain_name);
  // The chain against the CA from setCACert()/loadCACert() (dates by the board clock), then the names.
  bool verifyCertChain(const char* domain_name);

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
  operator bool() override { return connected(); }

  // Objects are DER (the esp8266 axTLS build has no PEM support): false for anything it cannot load.
  bool setCACert(const uint8_t* pk, size_t size);
  bool setCertificate(const uint8_t* pk, size_t size);
  bool setPrivateKey(const uint8_t* pk, size_t size);
  bool setCACert_P(PGM_VOID_P pk, size_t size) { return setCACert((const uint8_t*)pk, size); }
  bool setCertificate_P(PGM_VOID_P pk, size_t size) { return setCertificate((const uint8_t*)pk, size); }
  bool setPrivateKey_P(PGM_VOID_P pk, size_t size) { return setPrivateKey((const uint8_t*)pk, size); }
  bool loadCACert(Stream& stream, size_t size);
  bool loadCertificate(Stream& stream, size_t size);
  bool loadPrivateKey(Stream& stream, size_t size);
  template <typename TFile> bool loadCertificate(TFile& file) { return loadCertificate(file, file.size()); }
  template <typename TFile> bool loadPrivateKey(TFile& file) { return loadPrivateKey(file, file.size()); }
  template <typename TFile> bool loadCACert(TFile& file) { return loadCACert(file, file.size()); }
#ifndef TWIN_MISSING_allowSelfSignedCerts
  void allowSelfSignedCerts() { selfSigned_ = true; }
#endif

 private:
  int connectSSL(const char* hostName);
  bool readAll(Stream& stream, size_t size, std::vector<uint8_t>& out);
  bool verifyDN(const char* domainName);

  std::unique_ptr<BearSSL::WiFiClientSecure> tls_;
  std::vector<uint8_t> ca_, cert_, key_;
  std::unique_ptr<BearSSL::X509List> clientChain_;
  std::unique_ptr<BearSSL::PrivateKey> clientKey_;
  bool selfSigned_ = false;
  bool ok_ = false;
};

}  // namespace axTLS
