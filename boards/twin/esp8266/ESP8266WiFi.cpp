#include "ESP8266WiFi.h"
#include "twin_world.h"

ESP8266WiFiClass WiFi;

wl_status_t ESP8266WiFiClass::begin(const char* ssid, const char*, int32_t, const uint8_t*, bool) {
  ssid_ = ssid ? ssid : "";
  status_ = WL_CONNECTED;
  twin::wifiBegin();
  return status();
}

wl_status_t ESP8266WiFiClass::status() {
  if (status_ != WL_CONNECTED) return status_;
  if (twin::wifiConnecting()) {
    twin::fastForward(10);  // a sketch that polls without delay() still sees time pass
    return WL_DISCONNECTED;
  }
  return twin::wifiUp() ? WL_CONNECTED : WL_DISCONNECTED;
}

uint8_t ESP8266WiFiClass::waitForConnectResult(unsigned long) {
  while (twin::wifiConnecting()) delay(100);
  return status();
}

IPAddress ESP8266WiFiClass::localIP() {
  return isConnected() ? twin::localIP(IPAddress(192, 168, 1, 51)) : IPAddress();
}
IPAddress ESP8266WiFiClass::gatewayIP() {
  IPAddress ip = localIP();
  return isConnected() ? IPAddress(ip[0], ip[1], ip[2], 1) : IPAddress();
}

uint8_t* ESP8266WiFiClass::macAddress(uint8_t* mac) {
  const uint8_t m[6] = {0x5c, 0xcf, 0x7f, 0xa1, 0xb2, 0xc3};
  for (int i = 0; i < 6; i++) mac[i] = m[i];
  return mac;
}

int ESP8266WiFiClass::hostByName(const char* host, IPAddress& result) {
  if (twin::resolve(host, result)) return 1;
  result = IPAddress(0, 0, 0, 0);
  twin::fact("dns-failed:%s", host ? host : "");
  return 0;
}
