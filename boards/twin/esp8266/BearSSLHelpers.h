// BearSSL::X509List / PrivateKey / PublicKey (libraries/ESP8266WiFi/src/BearSSLHelpers.h @3.1.2 API).
// X509List makes one trust anchor per certificate, BR_X509_TA_CA only when the certificate says CA:TRUE
// (BearSSLHelpers.cpp:803-877), so a non-CA self-signed leaf is a direct-trust anchor.
#pragma once
#include <bearssl/bearssl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <memory>
#include <string>
#include <vector>

namespace BearSSL {

class PublicKey {
 public:
  PublicKey() = default;
  explicit PublicKey(const char* pemKey) { parse((const uint8_t*)pemKey, strlen(pemKey)); }
  PublicKey(const uint8_t* derKey, size_t derLen) { parse(derKey, derLen); }
  PublicKey(const PublicKey&) = delete;
  bool parse(const char* pemKey) { return parse((const uint8_t*)pemKey, strlen(pemKey)); }
  bool parse(const uint8_t* derKey, size_t derLen);
  bool isRSA() const { return type_ == BR_KEYTYPE_RSA; }
  bool isEC() const { return type_ == BR_KEYTYPE_EC; }
  const br_rsa_public_key* getRSA() const { return isRSA() ? &rsa_ : nullptr; }
  const br_ec_public_key* getEC() const { return isEC() ? &ec_ : nullptr; }

 private:
  int type_ = 0;
  std::vector<uint8_t> a_, b_;  // RSA n,e or EC point
  br_rsa_public_key rsa_{};
  br_ec_public_key ec_{};
};

class PrivateKey {
 public:
  PrivateKey() = default;
  explicit PrivateKey(const char* pemKey) { parse((const uint8_t*)pemKey, strlen(pemKey)); }
  PrivateKey(const uint8_t* derKey, size_t derLen) { parse(derKey, derLen); }
  PrivateKey(const PrivateKey&) = delete;
  bool parse(const char* pemKey) { return parse((const uint8_t*)pemKey, strlen(pemKey)); }
  bool parse(const uint8_t* derKey, size_t derLen);
  bool isRSA() const { return ok_ && br_skey_decoder_key_type(dec_.get()) == BR_KEYTYPE_RSA; }
  bool isEC() const { return ok_ && br_skey_decoder_key_type(dec_.get()) == BR_KEYTYPE_EC; }
  const br_rsa_private_key* getRSA() const { return isRSA() ? br_skey_decoder_get_rsa(dec_.get()) : nullptr; }
  const br_ec_private_key* getEC() const { return isEC() ? br_skey_decoder_get_ec(dec_.get()) : nullptr; }

 private:
  bool ok_ = false;
  std::unique_ptr<br_skey_decoder_context> dec_;  // owns the key bytes
};

class X509List {
 public:
  X509List() = default;
  explicit X509List(const char* pemCert) { append(pemCert); }
  X509List(const uint8_t* derCert, size_t derLen) { append(derCert, derLen); }
  X509List(const X509List&) = delete;
  bool append(const char* pemCert);
  bool append(const uint8_t* derCert, size_t derLen);
  size_t getCount() const { return certs_.size(); }
  const br_x509_certificate* getX509Certs() const { return certs_.empty() ? nullptr : certs_.data(); }
  const br_x509_trust_anchor* getTrustAnchors() const { return tas_.empty() ? nullptr : tas_.data(); }

 private:
  bool appendDer(const uint8_t* derCert, size_t derLen);
  struct Owned { std::vector<uint8_t> der, dn, k1, k2; };
  std::vector<std::unique_ptr<Owned>> owned_;
  std::vector<br_x509_certificate> certs_;
  std::vector<br_x509_trust_anchor> tas_;
};

// Internal helpers shared with WiFiClientSecureBearSSL.cpp.
namespace detail {
// PEM objects in `text` (name, DER); false on a PEM syntax error.
bool pemObjects(const char* text, size_t len, std::vector<std::pair<std::string, std::vector<uint8_t>>>& out);
// Raw DER of the issuer and subject Names of a certificate; false when it does not parse.
bool certIssuerSubject(const uint8_t* der, size_t len, std::vector<uint8_t>& issuer, std::vector<uint8_t>& subject);
}  // namespace detail

}  // namespace BearSSL
