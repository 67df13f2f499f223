// WiFi101 (arduino-libraries/WiFi101) for the MKR1000 twin: associated after the world's WiFi time, plain TCP WiFiClient,
// WiFi.getTime() = the WINC's NTP time (0 while the world says NTP is unreachable).
// WiFiSSLClient is not emulated: TLS runs inside the WINC1500 firmware with its own root store.
#pragma once
#include <SPI.h>

#include "Arduino.h"
#include "IPAddress.h"
#include "WiFiClient.h"

typedef enum {
  WL_NO_SHIELD = 255, WL_IDLE_STATUS = 0, WL_NO_SSID_AVAIL, WL_SCAN_COMPLETED, WL_CONNECTED, WL_CONNECT_FAILED,
  WL_CONNECTION_LOST, WL_DISCONNECTED, WL_AP_LISTENING, WL_AP_CONNECTED, WL_AP_FAILED, WL_PROVISIONING, WL_PROVISIONING_FAILED
} wl_status_t;

class WiFiClass {
 public:
  // begin() blocks until the WINC1500 has associated and got its lease: the world's WiFi time passes (board time).
  uint8_t begin() { return join(); }
  uint8_t begin(const char* ssid) { (void)ssid; return join(); }
  uint8_t begin(const char* ssid, const char* key) { (void)ssid; (void)key; return join(); }
  uint8_t begin(const char* ssid, uint8_t keyIndex, const char* key) { (void)ssid; (void)keyIndex; (void)key; return join(); }
  uint8_t status() { return status_; }
  void disconnect() { status_ = WL_DISCONNECTED; }
  void end() { status_ = WL_IDLE_STATUS; }
  const char* firmwareVersion() { return "19.6.1"; }
  void setPins(int8_t, int8_t, int8_t, int8_t = -1) {}
  void config(IPAddress) {}
  void lowPowerMode() {}
  void noLowPowerMode() {}
  void maxLowPowerMode() {}
  IPAddress localIP();
  IPAddress subnetMask() { return status_ == WL_CONNECTED ? IPAddress(255, 255, 255, 0) : IPAddress(); }
  IPAddress gatewayIP();
  uint8_t* macAddress(uint8_t* mac);
  const char* SSID() { return "rig-wifi"; }
  int32_t RSSI() { return -55; }
  uint8_t encryptionType() { return 4; }
  // WiFiClass::hostByName: 1 on success, 0 when the name does not resolve.
  int hostByName(const char* host, IPAddress& result);
  // WINC1500 system time (seconds since 1970) once its SNTP client synced, else 0.
  unsigned long getTime();

 private:
  uint8_t join();
  uint8_t status_ = WL_IDLE_STATUS;
};
extern WiFiClass WiFi;

// WiFiSSLClient: TLS offload to the WINC1500 firmware cannot be emulated (docs/tls-bearssl.md §4).
// Any use fails the build with this message; only the type name exists so that unrelated sketches compile.
template <bool Emulated = false>
struct TwinWiFiSSLClientUnsupported {
  static_assert(Emulated,
                "WiFiSSLClient (WiFi101): TLS runs inside the WINC1500 module firmware with its own uploaded root "
                "store; the MKR1000 twin cannot emulate that offload. Run this sketch on hardware, or use "
                "ArduinoBearSSL (BearSSLClient over WiFiClient).");
};
typedef TwinWiFiSSLClientUnsupported<> WiFiSSLClient;
