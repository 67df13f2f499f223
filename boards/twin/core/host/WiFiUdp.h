// WiFiUDP, shared by the boards' WiFi libraries (ESP32 WiFiUdp.h, ESP8266 WiFiUdp.h, WiFi101 WiFiUdp.h): datagrams on
// a host UDP socket, except NTP. A packet to port 123 goes to the network's NTP server, which the world is: it
// answers from the scenario's clock (its date, else the host's) about 25 ms later, or never when the world has
// ntp: false. So NTPClient and hand-written NTP code get the scenario's time.
#pragma once
#include <string>

#include "Udp.h"

class WiFiUDP : public UDP {
 public:
  WiFiUDP() = default;
  WiFiUDP(const WiFiUDP&) = delete;
  WiFiUDP& operator=(const WiFiUDP&) = delete;
  ~WiFiUDP() override { stop(); }

  uint8_t begin(uint16_t port) override;
  uint8_t begin(IPAddress, uint16_t port) { return begin(port); }
  uint8_t beginMulticast(IPAddress, uint16_t port) { return begin(port); }
  void stop() override;
  int beginPacket(IPAddress ip, uint16_t port) override;
  int beginPacket(const char* host, uint16_t port) override;
  int endPacket() override;
  size_t write(uint8_t b) override { return write(&b, 1); }
  size_t write(const uint8_t* buf, size_t size) override;
  using Print::write;
  int parsePacket() override;
  int available() override { return (int)(rx_.size() - rxPos_); }
  int read() override;
  int read(unsigned char* buf, size_t len) override;
  int read(char* buf, size_t len) override { return read((unsigned char*)buf, len); }
  int peek() override;
  void flush() override;
  IPAddress remoteIP() override { return remoteIP_; }
  uint16_t remotePort() override { return remotePort_; }

 private:
  int socketFd();
  int fd_ = -1;
  IPAddress txIP_;
  uint16_t txPort_ = 0;
  bool txOpen_ = false;
  std::string tx_;
  std::string rx_;
  size_t rxPos_ = 0;
  IPAddress remoteIP_;
  uint16_t remotePort_ = 0;
  // A reply of the world's NTP server, and the board time it arrives.
  std::string ntpReply_;
  unsigned long ntpDueMs_ = 0;
  IPAddress ntpFrom_;
};
