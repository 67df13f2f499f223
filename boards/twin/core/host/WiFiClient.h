// Generic plain-TCP client shared by the boards' WiFi headers (each board adds its own extras).
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
  operator bool() override;
  // Timeout for connect() in ms (the boards differ in units; board headers adapt).
  void setConnectTimeout(uint32_t ms) { connectTimeoutMs_ = ms; }
  int fd() const { return fd_; }
  // Last errno of a failed connect (positive), 0 otherwise.
  int lastConnectErrno() const { return lastErrno_; }

 protected:
  int fd_ = -1;
  int lastErrno_ = 0;
  uint64_t lastWriteUs_ = 0;  // board time of the last write: an answer cannot be there before one air round trip
  uint32_t connectTimeoutMs_ = 5000;
};
