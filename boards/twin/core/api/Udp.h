// Minimal UDP interface (ArduinoCore-API api/Udp.h); the twin has no UDP implementation behind it.
#pragma once
#include "IPAddress.h"
#include "Stream.h"

class UDP : public Stream {
 public:
  virtual uint8_t begin(uint16_t port) = 0;
  virtual void stop() = 0;
  virtual int beginPacket(IPAddress ip, uint16_t port) = 0;
  virtual int beginPacket(const char* host, uint16_t port) = 0;
  virtual int endPacket() = 0;
  size_t write(uint8_t) override = 0;
  size_t write(const uint8_t* buf, size_t size) override = 0;
  using Print::write;
  virtual int parsePacket() = 0;
  int available() override = 0;
  int read() override = 0;
  virtual int read(unsigned char* buf, size_t len) = 0;
  virtual int read(char* buf, size_t len) = 0;
  int peek() override = 0;
  void flush() override = 0;
  virtual IPAddress remoteIP() = 0;
  virtual uint16_t remotePort() = 0;
};
