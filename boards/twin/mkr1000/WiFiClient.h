// WiFi101's WiFiClient for the MKR1000 twin (shadows core/WiFiClient.h). Same plain-TCP client as the core's,
// with one WINC1500 trait: send() hands bytes to the module and returns at once; a reset by the peer surfaces
// later as a closed socket, after the bytes the module already received (e.g. a TLS alert) have been read.
#pragma once
#include "Client.h"

class WiFiClient : public Client {
 public:
  WiFiClient() = default;
  explicit WiFiClient(int fd) : fd_(fd) {}
  WiFiClient(const WiFiClient&) = delete;
  WiFiClient& operator=(const WiFiClient&) = delete;
  ~WiFiClient() override { stop(); }

  int connect(IPAddress ip, uint16_t port) override;
  int connect(const char* host, uint16_t port) override;
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
  operator bool() override { return fd_ >= 0; }
  void setConnectTimeout(uint32_t ms) { connectTimeoutMs_ = ms; }
  int fd() const { return fd_; }
  int lastConnectErrno() const { return lastErrno_; }

 protected:
  int fd_ = -1;
  int lastErrno_ = 0;
  uint32_t connectTimeoutMs_ = 5000;
};
