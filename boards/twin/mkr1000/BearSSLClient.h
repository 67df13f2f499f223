// BearSSLClient (ArduinoBearSSL 1.7.7 src/BearSSLClient.h API), behaviour per docs/tls-bearssl.md §3:
// built-in roots only by default, raw errorCode() (alerts not stripped), nothing printed, no handshake timeout.
// Methods an older release lacks (boards/twin/versions/mkr1000.yaml, ArduinoBearSSL rows) are hidden from the sketch
// by TWIN_MISSING_<name>, so it fails to compile as it would against that release.
#pragma once
#include <bearssl/bearssl.h>

#include "Arduino.h"
#include "Client.h"
#include "bearssl_sslio_extras.h"

#ifndef BEAR_SSL_CLIENT_OBUF_SIZE
#define BEAR_SSL_CLIENT_OBUF_SIZE 512 + 85
#endif
#ifndef BEAR_SSL_CLIENT_IBUF_SIZE
#define BEAR_SSL_CLIENT_IBUF_SIZE 8192 + 85 + 325 - BEAR_SSL_CLIENT_OBUF_SIZE  // 8005 on SAMD
#endif
#define BEAR_SSL_CLIENT_CHAIN_SIZE 3

class BearSSLClient : public Client {
 public:
  BearSSLClient();
  BearSSLClient(Client& client);
  BearSSLClient(Client& client, const br_x509_trust_anchor* myTAs, int myNumTAs);
  BearSSLClient(Client* client, const br_x509_trust_anchor* myTAs, int myNumTAs);
  virtual ~BearSSLClient();

  inline void setClient(Client& client) { _client = &client; }
#ifndef TWIN_MISSING_setTrustAnchors
  inline void setTrustAnchors(const br_x509_trust_anchor* myTAs, int myNumTAs) { _TAs = myTAs; _numTAs = myNumTAs; }
#endif

  int connect(IPAddress ip, uint16_t port) override;
  int connect(const char* host, uint16_t port) override;
  size_t write(uint8_t) override;
  size_t write(const uint8_t* buf, size_t size) override;
  using Print::write;
  int available() override;
  int read() override;
  int read(uint8_t* buf, size_t size) override;
  int peek() override;
  void flush() override;
  void stop() override;
  uint8_t connected() override;
  operator bool() override;

  enum class SNI { Insecure };
#ifndef TWIN_MISSING_setInsecure
  void setInsecure(SNI insecure) __attribute__((deprecated("INSECURE. DO NOT USE IN PRODUCTION")));
#endif

  void setEccVrfy(br_ecdsa_vrfy vrfy) { _ecVrfy = vrfy; _eccSlotSet = true; }
  void setEccSign(br_ecdsa_sign sign) { _ecSign = sign; }
  void setEccCert(br_x509_certificate cert);
#ifndef TWIN_MISSING_setEccChain
  void setEccChain(br_x509_certificate* chain, size_t chainLen);
#endif
  void setEccSlot(int ecc508KeySlot, const byte cert[], int certLength);
  void setEccSlot(int ecc508KeySlot, const char cert[]);
#ifndef TWIN_MISSING_setEccCertParent
  void setEccCertParent(const char cert[]);
#endif
#ifndef TWIN_MISSING_setKey
  void setKey(const char key[], const char cert[]);
#endif
#ifndef TWIN_MISSING_setProfile
  void setProfile(void (*client_init_function)(br_ssl_client_context* cc, br_x509_minimal_context* xc,
                                               const br_x509_trust_anchor* trust_anchors, size_t trust_anchors_num)) {
    _br_ssl_client_init_function = client_init_function;
  }
#endif

#ifndef TWIN_MISSING_errorCode
  int errorCode();
#endif

 private:
  int connectSSL(const char* host);
  static int clientRead(void* ctx, unsigned char* buf, size_t len);
  static int clientWrite(void* ctx, const unsigned char* buf, size_t len);
  bool decodePemCert(const char* pem, br_x509_certificate& out);

  Client* _client = nullptr;
  const br_x509_trust_anchor* _TAs = nullptr;
  int _numTAs = 0;
  bool _noSNI = false;
  bool _engineUsed = false;

  br_ecdsa_vrfy _ecVrfy;
  br_ecdsa_sign _ecSign;
  br_ec_private_key _ecKey;
  br_x509_certificate _ecCert[BEAR_SSL_CLIENT_CHAIN_SIZE];
  int _ecChainLen = 0;
  bool _ecCertDynamic = false;
  bool _eccSlotSet = false;  // setEccSlot() or setEccVrfy() chose the ECDSA verifier
  br_skey_decoder_context* _skeyDecoder = nullptr;

  void (*_br_ssl_client_init_function)(br_ssl_client_context*, br_x509_minimal_context*, const br_x509_trust_anchor*, size_t) =
      br_ssl_client_init_full;
  br_ssl_client_context _sc;
  br_x509_minimal_context _xc;
  unsigned char _ibuf[BEAR_SSL_CLIENT_IBUF_SIZE];
  unsigned char _obuf[BEAR_SSL_CLIENT_OBUF_SIZE];
  br_sslio_context _ioc;
};
