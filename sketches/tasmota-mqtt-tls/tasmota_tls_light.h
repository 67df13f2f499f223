// Tasmota's public-key fingerprint validation as its tls_mini client does it, in the rig's own code:
// arendst/Tasmota lib/lib_ssl/tls_mini/src/WiFiClientSecureLightBearSSL.cpp @ 0119132 (br_x509_pubkeyfingerprint_*,
// setPubKeyFingerprint, getRecvPubKeyFingerprint). Only the first certificate of the chain is read; its RSA key is
// hashed as SHA-1 over three u32be-length-prefixed fields: "ssh-rsa", e, n (the "Castellucci" format; the older
// unprefixed one is not imitated). No signature, date or name is checked. A mismatch ends the chain with 1, which
// BearSSL reports as the engine error Tasmota prints ("MQT: TLS connection error: 1").
#pragma once
#include <WiFiClientSecure.h>

class TasmotaTlsClient : public BearSSL::WiFiClientSecure {
 public:
  // fingerprint_any: accept every key (the slots hold 00.. or FF..), still computing the received one.
  void setPubKeyFingerprint(const uint8_t* f1, const uint8_t* f2, bool fingerprint_any);
  // 20 bytes of the last server key's fingerprint.
  const uint8_t* getRecvPubKeyFingerprint() const { return recv_; }
  // Tasmota's getLastError(): its own ERR_TCP_CONNECT (-1002, WiFiClientSecureLightBearSSL.h) when the TCP connection
  // failed, else BearSSL's raw engine error (296 = BR_ERR_RECV_FATAL_ALERT + 40).
  int getLastError();
  int connect(const char* name, uint16_t port) override;
  int connect(IPAddress ip, uint16_t port) override;

 protected:
  const br_x509_class** ownX509Engine() override;

 public:
  struct Engine {
    const br_x509_class* vtable;
    TasmotaTlsClient* owner;
    bool doneCert;
    br_x509_decoder_context dec;
  };

 private:
  friend unsigned tasmotaEndChain(const br_x509_class** ctx);
  bool pinned_ = false, any_ = true;
  bool tlsStarted_ = false, tcpFailed_ = false;
  uint8_t f1_[20] = {}, f2_[20] = {};
  uint8_t recv_[20] = {};
  Engine engine_ = {};
};
