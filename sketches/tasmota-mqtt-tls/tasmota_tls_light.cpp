// See tasmota_tls_light.h: Tasmota's pubkey-fingerprint X.509 engine (own code, from the behaviour of
// WiFiClientSecureLightBearSSL.cpp @ 0119132).
#include "tasmota_tls_light.h"

#include <string.h>

namespace {

void startChain(const br_x509_class** ctx, const char*) {
  auto* x = reinterpret_cast<TasmotaTlsClient::Engine*>(ctx);
  x->doneCert = false;
  br_x509_decoder_init(&x->dec, nullptr, nullptr);
}
void startCert(const br_x509_class**, uint32_t) {}
void append(const br_x509_class** ctx, const unsigned char* buf, size_t len) {
  auto* x = reinterpret_cast<TasmotaTlsClient::Engine*>(ctx);
  if (!x->doneCert) br_x509_decoder_push(&x->dec, buf, len);  // the leaf only
}
void endCert(const br_x509_class** ctx) { reinterpret_cast<TasmotaTlsClient::Engine*>(ctx)->doneCert = true; }
const br_x509_pkey* getPkey(const br_x509_class* const* ctx, unsigned* usages) {
  auto* x = reinterpret_cast<const TasmotaTlsClient::Engine*>(ctx);
  if (usages) *usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
  return br_x509_decoder_get_pkey(const_cast<br_x509_decoder_context*>(&x->dec));
}

void lengthPrefixed(br_sha1_context* sha, const void* data, size_t len) {
  const uint8_t n[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
  br_sha1_update(sha, n, 4);
  br_sha1_update(sha, data, len);
}

}  // namespace

unsigned tasmotaEndChain(const br_x509_class** ctx) {
  auto* x = reinterpret_cast<TasmotaTlsClient::Engine*>(ctx);
  TasmotaTlsClient* c = x->owner;
  const br_x509_pkey* pk = br_x509_decoder_get_pkey(&x->dec);
  // Tasmota reads the key as RSA whatever it is; an EC leaf is not a case its users have (one ECDHE_RSA suite).
  br_sha1_context sha;
  br_sha1_init(&sha);
  lengthPrefixed(&sha, "ssh-rsa", 7);
  if (pk && pk->key_type == BR_KEYTYPE_RSA) {
    lengthPrefixed(&sha, pk->key.rsa.e, pk->key.rsa.elen);
    lengthPrefixed(&sha, pk->key.rsa.n, pk->key.rsa.nlen);
  }
  br_sha1_out(&sha, c->recv_);
  if (c->any_) return 0;
  if (memcmp(c->recv_, c->f1_, 20) == 0 || memcmp(c->recv_, c->f2_, 20) == 0) return 0;
  return 1;  // pubkeyfingerprint_end_chain: "no match, error"
}

namespace {
const br_x509_class kVtable = {sizeof(TasmotaTlsClient::Engine), startChain, startCert, append, endCert,
                               tasmotaEndChain, getPkey};
}

void TasmotaTlsClient::setPubKeyFingerprint(const uint8_t* f1, const uint8_t* f2, bool fingerprint_any) {
  pinned_ = true;  // Tasmota: _insecure = true, no trust anchors
  memcpy(f1_, f1, 20);
  memcpy(f2_, f2, 20);
  any_ = fingerprint_any;
}

int TasmotaTlsClient::connect(const char* name, uint16_t port) {
  tlsStarted_ = false;
  int ok = BearSSL::WiFiClientSecure::connect(name, port);
  tcpFailed_ = !ok && !tlsStarted_;
  return ok;
}

int TasmotaTlsClient::connect(IPAddress ip, uint16_t port) {
  tlsStarted_ = false;
  int ok = BearSSL::WiFiClientSecure::connect(ip, port);
  tcpFailed_ = !ok && !tlsStarted_;
  return ok;
}

int TasmotaTlsClient::getLastError() {
  if (tcpFailed_) return -1002;  // ERR_TCP_CONNECT
  // The ESP8266 core's getLastSSLError() (3.x) strips the alert flag and says which way in its text: add it back.
  char text[128];
  int err = getLastSSLError(text, sizeof text);
  if (strncmp(text, "SSL received fatal alert - ", 27) == 0) return BR_ERR_RECV_FATAL_ALERT + err;
  if (strncmp(text, "SSL sent fatal alert - ", 23) == 0) return BR_ERR_SEND_FATAL_ALERT + err;
  return err;
}

// Called once the TCP connection is up, before the handshake: the engine's validation, or the core's when CA mode.
const br_x509_class** TasmotaTlsClient::ownX509Engine() {
  tlsStarted_ = true;
  if (!pinned_) return nullptr;  // CA validation: the core's X.509 minimal engine with the trust anchors
  engine_ = {};
  engine_.vtable = &kVtable;
  engine_.owner = this;
  return &engine_.vtable;
}
