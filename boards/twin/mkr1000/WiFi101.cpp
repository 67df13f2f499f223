#include "WiFi101.h"

#include <time.h>
#include "twin_world.h"

WiFiClass WiFi;
SPIClass SPI;

uint8_t* WiFiClass::macAddress(uint8_t* mac) {
  const uint8_t m[6] = {0xf8, 0xf0, 0x05, 0xa1, 0xb2, 0xc3};
  for (int i = 0; i < 6; i++) mac[5 - i] = m[i];  // WiFi101 returns the MAC byte-reversed
  return mac;
}

int WiFiClass::hostByName(const char* host, IPAddress& result) {
  if (twin::resolve(host, result)) return 1;
  twin::fact("dns-failed:%s", host ? host : "");
  return 0;
}

unsigned long WiFiClass::getTime() {
  if (status_ != WL_CONNECTED || !twin::ntpReachable()) return 0;
  // The network's time: the world's fixed date plus uptime, the host's time, or a calendar the rig set.
  return (unsigned long)twin::networkEpochNow();
}

// The WINC1500 buffers what the SAMD sends (WiFi101 WiFiClient::write returns at once): see core/WiFiClient.cpp.
bool twinBoardSendIsBuffered() { return true; }

uint8_t WiFiClass::join() {
  twin::wifiBegin();
  twin::fastForward(twin::wifiConnectMs());
  return status_ = WL_CONNECTED;
}

IPAddress WiFiClass::localIP() {
  return status_ == WL_CONNECTED ? twin::localIP(IPAddress(192, 168, 1, 52)) : IPAddress();
}
IPAddress WiFiClass::gatewayIP() {
  IPAddress ip = localIP();
  return status_ == WL_CONNECTED ? IPAddress(ip[0], ip[1], ip[2], 1) : IPAddress();
}
