#include "WiFi.h"

#include <string.h>
#include "twin_world.h"

WiFiClass WiFi;

wl_status_t WiFiClass::begin(const char* ssid, const char*, int32_t, const uint8_t*, bool) {
  ssid_ = ssid ? ssid : "";
  mode_ = WIFI_MODE_STA;
  status_ = WL_CONNECTED;
  twin::wifiBegin();
  return status();
}

wl_status_t WiFiClass::status() {
  if (status_ != WL_CONNECTED) return status_;
  if (twin::wifiConnecting()) {
    twin::fastForward(10);  // a sketch that polls without delay() still sees time pass
    return WL_DISCONNECTED;
  }
  return twin::wifiUp() ? WL_CONNECTED : WL_DISCONNECTED;
}

uint8_t WiFiClass::waitForConnectResult(unsigned long) {
  while (twin::wifiConnecting()) delay(100);
  return status();
}

bool WiFiClass::disconnect(bool, bool) {
  status_ = WL_DISCONNECTED;
  return true;
}

IPAddress WiFiClass::localIP() { return isConnected() ? twin::localIP(IPAddress(192, 168, 1, 50)) : IPAddress(); }
IPAddress WiFiClass::gatewayIP() {
  IPAddress ip = localIP();
  return isConnected() ? IPAddress(ip[0], ip[1], ip[2], 1) : IPAddress();
}

uint8_t* WiFiClass::macAddress(uint8_t* mac) {
  static const uint8_t m[6] = {0x24, 0x0A, 0xC4, 0x00, 0x00, 0x01};
  memcpy(mac, m, 6);
  return mac;
}

int WiFiClass::hostByName(const char* host, IPAddress& result) {
  if (twin::resolve(host, result)) return 1;
  twin::fact("dns-failed:%s", host ? host : "");
  // WiFiGeneric.cpp (1.0.x, 2.0.x) or NetworkManager.cpp (3.x) log_e: file, line and text from the core's version row.
  twin::esp32::logFormat(1, twin::rowStr("dns.file"), (int)twin::rowInt("dns.line"), twin::rowStr("dns.func"),
                         twin::rowStr("dns.format"), host ? host : "", (int)twin::rowInt("dns.error"));
  return 0;
}

// The plain WiFiClient resolves through WiFiGenericClass::hostByName on this board (see core/host/WiFiClient.cpp).
int twinBoardHostByName(const char* host, IPAddress& out) { return WiFi.hostByName(host, out); }
