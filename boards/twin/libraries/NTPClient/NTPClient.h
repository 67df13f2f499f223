// NTPClient (arduino-libraries/NTPClient 3.2.1) for the twin: the same API over any UDP (WiFiUDP), written for the
// twin from the library's NTPClient.h/.cpp at 3.2.1: update() asks again after the update interval (60 s), an
// answer is awaited for about a second in 10 ms steps, getEpochTime() = offset + the server's time + seconds since.
// The world's NTP server answers with the scenario's clock (core/host/WiFiUdp.h), or never (ntp: false), when
// getEpochTime() stays at seconds since boot, as on a board.
#pragma once
#include "Arduino.h"
#include "Udp.h"

#define SEVENZYYEARS 2208988800UL
#define NTP_PACKET_SIZE 48
#define NTP_DEFAULT_LOCAL_PORT 1337

class NTPClient {
 public:
  explicit NTPClient(UDP& udp) : udp_(&udp) {}
  NTPClient(UDP& udp, long timeOffset) : udp_(&udp), timeOffset_(timeOffset) {}
  NTPClient(UDP& udp, const char* poolServerName) : udp_(&udp), server_(poolServerName) {}
  NTPClient(UDP& udp, const char* poolServerName, long timeOffset)
      : udp_(&udp), server_(poolServerName), timeOffset_(timeOffset) {}
  NTPClient(UDP& udp, const char* poolServerName, long timeOffset, unsigned long updateInterval)
      : udp_(&udp), server_(poolServerName), timeOffset_(timeOffset), interval_(updateInterval) {}
  NTPClient(UDP& udp, IPAddress poolServerIP) : udp_(&udp), server_(nullptr), serverIP_(poolServerIP) {}
  NTPClient(UDP& udp, IPAddress poolServerIP, long timeOffset)
      : udp_(&udp), server_(nullptr), serverIP_(poolServerIP), timeOffset_(timeOffset) {}
  NTPClient(UDP& udp, IPAddress poolServerIP, long timeOffset, unsigned long updateInterval)
      : udp_(&udp), server_(nullptr), serverIP_(poolServerIP), timeOffset_(timeOffset), interval_(updateInterval) {}

  void setPoolServerName(const char* poolServerName) { server_ = poolServerName; }
  void setRandomPort(unsigned int minValue = 49152, unsigned int maxValue = 65535);
  void begin() { begin(NTP_DEFAULT_LOCAL_PORT); }
  void begin(unsigned int port);
  bool update();
  bool forceUpdate();
  bool isTimeSet() const { return lastUpdate_ != 0; }
  int getDay() const { return (int)(((getEpochTime() / 86400L) + 4) % 7); }
  int getHours() const { return (int)((getEpochTime() % 86400L) / 3600); }
  int getMinutes() const { return (int)((getEpochTime() % 3600) / 60); }
  int getSeconds() const { return (int)(getEpochTime() % 60); }
  void setTimeOffset(int timeOffset) { timeOffset_ = timeOffset; }
  void setUpdateInterval(unsigned long updateInterval) { interval_ = updateInterval; }
  String getFormattedTime() const;
  unsigned long getEpochTime() const;
  void end();

 private:
  void sendRequest();
  UDP* udp_;
  bool udpSetup_ = false;
  const char* server_ = "pool.ntp.org";
  IPAddress serverIP_;
  unsigned int port_ = NTP_DEFAULT_LOCAL_PORT;
  long timeOffset_ = 0;
  unsigned long interval_ = 60000;
  unsigned long currentEpoch_ = 0;
  unsigned long lastUpdate_ = 0;
  byte packet_[NTP_PACKET_SIZE];
};
