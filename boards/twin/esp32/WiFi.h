// ESP32 WiFi (libraries/WiFi subset): credentials are ignored; the station comes up after the world's WiFi time
// (board time, passed without waiting) with the world's DHCP address.
#pragma once
#include "Arduino.h"
#include "WiFiClient.h"
#include "WiFiUdp.h"

typedef enum {
  WL_NO_SHIELD = 255,
  WL_IDLE_STATUS = 0,
  WL_NO_SSID_AVAIL = 1,
  WL_SCAN_COMPLETED = 2,
  WL_CONNECTED = 3,
  WL_CONNECT_FAILED = 4,
  WL_CONNECTION_LOST = 5,
  WL_DISCONNECTED = 6
} wl_status_t;

typedef enum { WIFI_MODE_NULL = 0, WIFI_MODE_STA, WIFI_MODE_AP, WIFI_MODE_APSTA, WIFI_MODE_MAX } wifi_mode_t;
#define WIFI_OFF WIFI_MODE_NULL
#define WIFI_STA WIFI_MODE_STA
#define WIFI_AP WIFI_MODE_AP
#define WIFI_AP_STA WIFI_MODE_APSTA

class WiFiClass {
 public:
  wl_status_t begin(const char* ssid, const char* pass = nullptr, int32_t channel = 0, const uint8_t* bssid = nullptr, bool connect = true);
  wl_status_t begin() { return begin(""); }
  bool disconnect(bool wifioff = false, bool eraseap = false);
  bool reconnect() { return true; }
  wl_status_t status();
  bool isConnected() { return status() == WL_CONNECTED; }
  uint8_t waitForConnectResult(unsigned long timeoutLength = 60000);
  bool mode(wifi_mode_t m) { mode_ = m; return true; }
  wifi_mode_t getMode() { return mode_; }
  bool setHostname(const char* name) { hostname_ = name ? name : ""; return true; }
  const char* getHostname() { return hostname_.c_str(); }
  bool setAutoReconnect(bool) { return true; }
  bool setSleep(bool) { return true; }
  bool config(IPAddress, IPAddress, IPAddress, IPAddress = IPAddress(), IPAddress = IPAddress()) { return true; }
  // The lease: 0.0.0.0 until WiFi is up; the gateway and DNS server are the LAN's .1.
  IPAddress localIP();
  IPAddress gatewayIP();
  IPAddress subnetMask() { return isConnected() ? IPAddress(255, 255, 255, 0) : IPAddress(); }
  IPAddress dnsIP(uint8_t = 0) { return gatewayIP(); }
  String macAddress() { return String("24:0A:C4:00:00:01"); }
  uint8_t* macAddress(uint8_t* mac);
  String SSID() { return ssid_; }
  int32_t RSSI() { return -55; }
  // WiFiGeneric::hostByName: dotted quads parse locally; names come from the world's DNS map.
  int hostByName(const char* host, IPAddress& result);

 private:
  wl_status_t status_ = WL_DISCONNECTED;
  wifi_mode_t mode_ = WIFI_MODE_NULL;
  String ssid_;
  String hostname_ = "esp32-arduino";
};

extern WiFiClass WiFi;
