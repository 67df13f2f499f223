// WiFiClientSecure for the ESP32 twin (libraries/WiFiClientSecure/src/WiFiClientSecure.h API, 2.0.x).
#pragma once
#include "Arduino.h"
#include "WiFi.h"
#include "ssl_client.h"

class WiFiClientSecure : public WiFiClient {
 public:
  WiFiClientSecure();
  ~WiFiClientSecure() override;

  int connect(IPAddress ip, uint16_t port) override;
  int connect(IPAddress ip, uint16_t port, int32_t timeout);
  int connect(const char* host, uint16_t port) override;
  int connect(const char* host, uint16_t port, int32_t timeout);
  int connect(IPAddress ip, uint16_t port, const char* rootCA, const char* cliCert, const char* cliKey);
  int connect(const char* host, uint16_t port, const char* rootCA, const char* cliCert, const char* cliKey);
  int connect(IPAddress ip, uint16_t port, const char* pskIdent, const char* psKey);
  int connect(const char* host, uint16_t port, const char* pskIdent, const char* psKey);

  size_t write(uint8_t c) override { return write(&c, 1); }
  size_t write(const uint8_t* buf, size_t size) override;
  using Print::write;
  int available() override;
  int read() override;
  int read(uint8_t* buf, size_t size) override;
  int peek() override;
  void flush() override {}
  void stop() override;
  uint8_t connected() override;
  operator bool() override { return connected(); }

  int lastError(char* buf, const size_t size);
  // A release without a method (version row missingApis) compiles the sketch with TWIN_MISSING_<name>: the sketch
  // fails to build with the compiler's own "has no member named" error, as it does on that core.
#ifndef TWIN_MISSING_setInsecure
  void setInsecure();
#endif
#ifndef TWIN_MISSING_setPreSharedKey
  void setPreSharedKey(const char* pskIdent, const char* psKey);
#endif
  void setCACert(const char* rootCA);
  void setCertificate(const char* clientCA);
  void setPrivateKey(const char* privateKey);
  void setCACertBundle(const uint8_t* bundle);
#ifndef TWIN_MISSING_setHandshakeTimeout
  void setHandshakeTimeout(unsigned long handshake_timeout);  // seconds
#endif
  void setAlpnProtocols(const char** alpn_protos) { alpn_ = alpn_protos; }
  // PEM from a stream (a SPIFFS file), size bytes (WiFiClientSecure.cpp:276-320 at 1.0.4, :281-323 at 1.0.5).
  bool loadCACert(Stream& stream, size_t size);
  bool loadCertificate(Stream& stream, size_t size);
  bool loadPrivateKey(Stream& stream, size_t size);
  // Seconds (2.0.x), for connect/select and socket timeouts.
  int setTimeout(uint32_t seconds) { timeoutMs_ = (int)(seconds * 1000); Stream::setTimeout(seconds * 1000); return 0; }

 private:
  int connectImpl(IPAddress ip, uint16_t port, const char* host, const char* rootCA, const char* cliCert,
                  const char* cliKey, const char* pskIdent, const char* psKey);
  static char* streamLoad(Stream& stream, size_t size);

  sslclient_context ssl_;
  bool connected_ = false;
  int lastError_ = 0;
  int peeked_ = -1;
  int timeoutMs_ = 30000;
  bool insecure_ = false;
  bool useBundle_ = false;
  const char* CA_ = nullptr;
  const char* cert_ = nullptr;
  const char* key_ = nullptr;
  const char* pskIdent_ = nullptr;
  const char* psKey_ = nullptr;
  const char** alpn_ = nullptr;
};
