// BearSSLClient (ArduinoBearSSL 1.7.7 src/BearSSLClient.cpp behaviour, own code) on Debian libbearssl 0.6.
#include "BearSSLClient.h"

#include <time.h>

#include "ArduinoBearSSL.h"
#include "ArduinoECCX08.h"
#include "BearSSLTrustAnchors.h"
#include "twin_world.h"

namespace {
// utility/eccX08_asn1: the key is a slot number smuggled in br_ec_private_key.x; signing is ECCX08.ecSign.
size_t eccX08SignAsn1(const br_ec_impl*, const br_hash_class*, const void* hash_value, const br_ec_private_key* sk, void* sig) {
  unsigned char raw[72];
  if (sk->curve != BR_EC_secp256r1) return 0;
  if (!ECCX08.ecSign((int)(intptr_t)sk->x, (const byte*)hash_value, raw)) return 0;
  size_t n = br_ecdsa_raw_to_asn1(raw, 64);
  memcpy(sig, raw, n);
  return n;
}

// ECDSA verification through the chip: P-256 keys and 32-byte hashes only (so a P-384 or SHA-384 ECDSA
// chain fails on the board where libbearssl alone would accept it).
uint32_t eccX08VrfyAsn1(const br_ec_impl*, const void* hash, size_t hash_len, const br_ec_public_key* pk, const void* sig,
                        size_t sig_len) {
  if (pk->curve != BR_EC_secp256r1 || pk->qlen != 65 || hash_len != 32 || sig_len > 72) return 0;
  unsigned char raw[72];
  memcpy(raw, sig, sig_len);
  if (br_ecdsa_asn1_to_raw(raw, sig_len) != 64) return 0;
  return ECCX08.ecdsaVerify((const byte*)hash, raw, pk->q + 1) ? 1 : 0;
}

void appendTo(void* ctx, const void* data, size_t len) {
  auto* c = static_cast<br_x509_certificate*>(ctx);
  memcpy(c->data + c->data_len, data, len);
  c->data_len += len;
}
void appendKey(void* ctx, const void* data, size_t len) {
  br_skey_decoder_push(static_cast<br_skey_decoder_context*>(ctx), data, len);
}
}  // namespace

BearSSLClient::BearSSLClient() : BearSSLClient(nullptr, nullptr, 0) {}
BearSSLClient::BearSSLClient(Client& client) : BearSSLClient(&client, TAs, TAs_NUM) {}
BearSSLClient::BearSSLClient(Client& client, const br_x509_trust_anchor* myTAs, int myNumTAs)
    : BearSSLClient(&client, myTAs, myNumTAs) {}
BearSSLClient::BearSSLClient(Client* client, const br_x509_trust_anchor* myTAs, int myNumTAs)
    : _client(client), _TAs(myTAs), _numTAs(myNumTAs) {
  // Since a891ad3 (after 1.7.5) the chip's verify/sign are used only once setEccSlot() is called.
  _ecVrfy = br_ecdsa_vrfy_asn1_get_default();
  _ecSign = br_ecdsa_sign_asn1_get_default();
  _ecKey = {0, nullptr, 0};
  for (auto& c : _ecCert) c = {nullptr, 0};
  memset(&_sc, 0, sizeof _sc);
}

BearSSLClient::~BearSSLClient() {
  if (_ecCertDynamic) for (auto& c : _ecCert) { free(c.data); c.data = nullptr; }
  free(_skeyDecoder);
}

int BearSSLClient::connect(IPAddress ip, uint16_t port) {
  if (!_client->connect(ip, port)) return 0;
  return connectSSL(nullptr);  // no SNI, no name check
}

int BearSSLClient::connect(const char* host, uint16_t port) {
  if (!_client->connect(host, port)) return 0;
  return connectSSL(_noSNI ? nullptr : host);
}

size_t BearSSLClient::write(uint8_t b) { return write(&b, 1); }

size_t BearSSLClient::write(const uint8_t* buf, size_t size) {
  size_t written = 0;
  while (written < size) {
    int r = br_sslio_write(&_ioc, buf, size - written);
    if (r < 0) break;
    buf += r;
    written += (size_t)r;
  }
  if (written == size && br_sslio_flush(&_ioc) < 0) return 0;
  return written;
}

int BearSSLClient::available() {
  if (!_engineUsed) return 0;
  int n = br_sslio_read_available(&_ioc);
  return n < 0 ? 0 : n;
}

int BearSSLClient::read() {
  byte b;
  return read(&b, 1) == 1 ? b : -1;
}

int BearSSLClient::read(uint8_t* buf, size_t size) { return br_sslio_read(&_ioc, buf, size); }

int BearSSLClient::peek() {
  byte b;
  return br_sslio_peek(&_ioc, &b, 1) == 1 ? b : -1;
}

void BearSSLClient::flush() {
  if (_engineUsed) br_sslio_flush(&_ioc);
  _client->flush();
}

void BearSSLClient::stop() {
  if (_client->connected()) {
    if (_engineUsed && (br_ssl_engine_current_state(&_sc.eng) & BR_SSL_CLOSED) == 0) br_sslio_close(&_ioc);
    _client->stop();
  }
}

uint8_t BearSSLClient::connected() {
  if (!_client->connected()) return 0;
  if (!_engineUsed) return 0;
  return br_ssl_engine_current_state(&_sc.eng) == BR_SSL_CLOSED ? 0 : 1;
}

BearSSLClient::operator bool() { return (bool)*_client; }

void BearSSLClient::setInsecure(SNI insecure) { _noSNI = insecure == SNI::Insecure; }

void BearSSLClient::setEccCert(br_x509_certificate cert) {
  _ecCert[0] = cert;
  _ecChainLen = 1;
}

void BearSSLClient::setEccChain(br_x509_certificate* chain, size_t chainLen) {
  if (chainLen > BEAR_SSL_CLIENT_CHAIN_SIZE) return;
  for (size_t i = 0; i < chainLen; i++) _ecCert[i] = chain[i];
  _ecChainLen = (int)chainLen;
}

void BearSSLClient::setEccSlot(int ecc508KeySlot, const byte cert[], int certLength) {
  // The slot number rides in the private key's x pointer; the chip signs and verifies from now on.
  _ecKey.curve = BR_EC_secp256r1;
  _ecKey.x = (unsigned char*)(intptr_t)ecc508KeySlot;
  _ecKey.xlen = 32;
  _ecCert[0].data = (unsigned char*)cert;
  _ecCert[0].data_len = (size_t)certLength;
  _ecChainLen = 1;
  _ecCertDynamic = false;
  _ecVrfy = eccX08VrfyAsn1;
  _ecSign = eccX08SignAsn1;
  _eccSlotSet = true;
}

bool BearSSLClient::decodePemCert(const char* pem, br_x509_certificate& out) {
  size_t len = strlen(pem);
  out.data = (unsigned char*)malloc((len * 3 + 3) / 4 + 1);
  out.data_len = 0;
  br_pem_decoder_context pc;
  br_pem_decoder_init(&pc);
  while (len) {
    size_t n = br_pem_decoder_push(&pc, pem, len);
    pem += n;
    len -= n;
    switch (br_pem_decoder_event(&pc)) {
      case BR_PEM_BEGIN_OBJ: br_pem_decoder_setdest(&pc, appendTo, &out); break;
      case BR_PEM_END_OBJ: if (out.data_len) return true; break;
      case BR_PEM_ERROR: free(out.data); out.data = nullptr; out.data_len = 0; return false;
      default: break;
    }
  }
  return out.data_len > 0;
}

void BearSSLClient::setEccSlot(int ecc508KeySlot, const char cert[]) {
  if (_ecCertDynamic && _ecCert[0].data) { free(_ecCert[0].data); _ecCert[0].data = nullptr; }
  br_x509_certificate c{nullptr, 0};
  if (decodePemCert(cert, c)) {
    setEccSlot(ecc508KeySlot, c.data, (int)c.data_len);
    _ecCertDynamic = true;
  } else {
    setEccSlot(ecc508KeySlot, nullptr, 0);
  }
}

void BearSSLClient::setEccCertParent(const char cert[]) {
  br_x509_certificate c{nullptr, 0};
  if (decodePemCert(cert, c)) {
    _ecCert[1] = c;
    _ecChainLen = 2;
    _ecCertDynamic = true;
  }
}

void BearSSLClient::setKey(const char key[], const char cert[]) {
  // Software key (PEM) + certificate: the default BearSSL sign/verify stay in place.
  if (!_skeyDecoder) _skeyDecoder = (br_skey_decoder_context*)malloc(sizeof(br_skey_decoder_context));
  br_skey_decoder_init(_skeyDecoder);
  br_pem_decoder_context pc;
  br_pem_decoder_init(&pc);
  size_t len = strlen(key);
  while (len) {
    size_t n = br_pem_decoder_push(&pc, key, len);
    key += n;
    len -= n;
    int ev = br_pem_decoder_event(&pc);
    if (ev == BR_PEM_BEGIN_OBJ) br_pem_decoder_setdest(&pc, appendKey, _skeyDecoder);
    else if (ev == BR_PEM_END_OBJ && br_skey_decoder_last_error(_skeyDecoder) != 0) return;
    else if (ev == BR_PEM_ERROR) return;
  }
  br_x509_certificate c{nullptr, 0};
  if (decodePemCert(cert, c)) {
    _ecCert[0] = c;
    _ecChainLen = 1;
    _ecCertDynamic = true;
  }
}

int BearSSLClient::errorCode() { return _engineUsed ? br_ssl_engine_last_error(&_sc.eng) : 0; }

int BearSSLClient::connectSSL(const char* host) {
  twin::ReplyAwaited handshaking;
  _br_ssl_client_init_function(&_sc, &_xc, _TAs, (size_t)_numTAs);
  br_ssl_engine_set_buffers_bidi(&_sc.eng, _ibuf, sizeof _ibuf, _obuf, sizeof _obuf);
  _engineUsed = true;

  unsigned char entropy[32];
  if (!ECCX08.begin() || !ECCX08.locked() || !ECCX08.random(entropy, sizeof entropy)) {
    for (size_t i = 0; i < sizeof entropy; i++) entropy[i] = (unsigned char)random(0, 255);
  }
  br_ssl_engine_inject_entropy(&_sc.eng, entropy, sizeof entropy);

  // Up to 1.7.5 the constructor already chose the ECCX08's verifier (lib.ArduinoBearSSL.eccVerifyByDefault), so a
  // P-384 or SHA-384 ECDSA chain fails without setEccSlot too; since 1.7.6 only setEccSlot() switches to it.
  br_ecdsa_vrfy vrfy = _ecVrfy;
  if (!_eccSlotSet && twin::rowBool("lib.ArduinoBearSSL.eccVerifyByDefault")) vrfy = eccX08VrfyAsn1;
  br_ssl_engine_set_ecdsa(&_sc.eng, vrfy);
  br_x509_minimal_set_ecdsa(&_xc, br_ssl_engine_get_ec(&_sc.eng), br_ssl_engine_get_ecdsa(&_sc.eng));

  if (_ecCert[0].data_len) {
    if (_skeyDecoder) {
      int type = br_skey_decoder_key_type(_skeyDecoder);
      if (type == BR_KEYTYPE_EC) {
        br_ssl_client_set_single_ec(&_sc, _ecCert, (size_t)_ecChainLen, br_skey_decoder_get_ec(_skeyDecoder),
                                    BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN, BR_KEYTYPE_EC, br_ec_get_default(),
                                    br_ecdsa_sign_asn1_get_default());
      } else if (type == BR_KEYTYPE_RSA) {
        br_ssl_client_set_single_rsa(&_sc, _ecCert, (size_t)_ecChainLen, br_skey_decoder_get_rsa(_skeyDecoder),
                                     br_rsa_pkcs1_sign_get_default());
      }
    } else {
      br_ssl_client_set_single_ec(&_sc, _ecCert, (size_t)_ecChainLen, &_ecKey, BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN,
                                  BR_KEYTYPE_EC, br_ec_get_default(), _ecSign);
    }
  }

  br_ssl_client_reset(&_sc, host, 0);
  twin::fact("tls-name:%s", host ? host : "");

  // Always explicit: getTime() (0 without onGetTime) -> days since year 0 + seconds.
  uint32_t now = (uint32_t)ArduinoBearSSL.getTime();
  br_x509_minimal_set_time(&_xc, now / 86400 + 719528, now % 86400);

  br_sslio_init(&_ioc, &_sc.eng, clientRead, _client, clientWrite, _client);
  br_sslio_flush(&_ioc);
  for (;;) {
    unsigned st = br_ssl_engine_current_state(&_sc.eng);
    if (st & BR_SSL_SENDAPP) break;
    if (st & BR_SSL_CLOSED) {
      twin::fact("bearssl:%d", br_ssl_engine_last_error(&_sc.eng));
      return 0;
    }
  }
  return 1;
}

int BearSSLClient::clientRead(void* ctx, unsigned char* buf, size_t len) {
  Client* c = (Client*)ctx;
  if (!c->connected()) return -1;
  int r = c->read(buf, len);
  if (r == -1) {
    // "Nothing yet" means retry for ever, as on the board (no handshake timeout); nap so the host core is not burnt.
    delay(1);
    return 0;
  }
  return r;
}

int BearSSLClient::clientWrite(void* ctx, const unsigned char* buf, size_t len) {
  Client* c = (Client*)ctx;
  if (!c->connected()) return -1;
  int r = (int)c->write(buf, len);
  return r == 0 ? -1 : r;
}
