// ESP8266WiFi (libraries/ESP8266WiFi): the station comes up after the world's WiFi time (board time, passed without
// waiting: the sketch's "....." still prints) with the world's DHCP address; names resolve through the world's DNS.
#pragma once
#include "Arduino.h"
#include "IPAddress.h"
#include "WiFiClient.h"
#include "WiFiClientSecure.h"

typedef enum { WIFI_OFF = 0, WIFI_STA = 1, WIFI_AP = 2, WIFI_AP_STA = 3 } WiFiMode_t;
typedef enum {
  WL_NO_SHIELD = 255, WL_IDLE_STATUS = 0, WL_NO_SSID_AVAIL = 1, WL_SCAN_COMPLETED = 2, WL_CONNECTED = 3,
  WL_CONNECT_FAILED = 4, WL_CONNECTION_LOST = 5, WL_WRONG_PASSWORD = 6, WL_DISCONNECTED = 7
} wl_status_t;

class ESP8266WiFiClass {
 public:
  wl_status_t begin(const char* ssid, const char* pass = nullptr, int32_t channel = 0, const uint8_t* bssid = nullptr, bool connect = true);
  wl_status_t begin(const String& ssid, const String& pass = String()) { return begin(ssid.c_str(), pass.c_str()); }
  wl_status_t begin() { return begin("", ""); }
  wl_status_t status();
  uint8_t waitForConnectResult(unsigned long timeoutLength = 60000);
  bool mode(WiFiMode_t m) { mode_ = m; return true; }
  WiFiMode_t getMode() { return mode_; }
  bool disconnect(bool wifioff = false) { (void)wifioff; status_ = WL_DISCONNECTED; return true; }
  bool isConnected() { return status() == WL_CONNECTED; }
  bool setAutoReconnect(bool) { return true; }
  bool setAutoConnect(bool) { return true; }
  bool persistent(bool) { return true; }
  bool hostname(const char* name) { hostname_ = name; return true; }
  String hostname() { return hostname_; }
  bool config(IPAddress, IPAddress, IPAddress, IPAddress = IPAddress(), IPAddress = IPAddress()) { return true; }
  // The lease: 0.0.0.0 until WiFi is up; the gateway and DNS server are the LAN's .1.
  IPAddress localIP();
  IPAddress gatewayIP();
  IPAddress subnetMask() { return isConnected() ? IPAddress(255, 255, 255, 0) : IPAddress(); }
  IPAddress dnsIP(uint8_t = 0) { return gatewayIP(); }
  String macAddress() { return "5C:CF:7F:A1:B2:C3"; }
  uint8_t* macAddress(uint8_t* mac);
  String SSID() { return ssid_; }
  int32_t RSSI() { return -58; }
  // ESP8266WiFiGeneric::hostByName: 1 on success, 0 (and IP 0.0.0.0) when the name does not resolve.
  int hostByName(const char* host, IPAddress& result);
  int hostByName(const char* host, IPAddress& result, uint32_t timeoutMs) { (void)timeoutMs; return hostByName(host, result); }

 private:
  wl_status_t status_ = WL_DISCONNECTED;
  WiFiMode_t mode_ = WIFI_STA;
  String ssid_;
  String hostname_ = "ESP-A1B2C3";
};
extern ESP8266WiFiClass WiFi;
