// WiFi101 (arduino-libraries/WiFi101) for the MKR1000 twin: associated after the world's WiFi time, plain TCP WiFiClient,
// WiFi.getTime() = the WINC's NTP time (0 while the world says NTP is unreachable).
// WiFiSSLClient: the module's TLS, modelled per firmware (module_tls.h).
#pragma once
#include <SPI.h>

#include "Arduino.h"
#include "IPAddress.h"
#include "WiFiClient.h"
#include "module_tls.h"

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
  // The modelled module's firmware (the world's module), else the firmware WiFi101 0.16.1 expects.
  const char* firmwareVersion() { return *twin::moduleFirmware() ? twin::moduleFirmware() : "19.6.1"; }
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

// WiFiSSLClient: the TLS inside the WINC1500 firmware, modelled from its table (boards/twin/modules/winc1500.yaml) on
// mbedTLS (module_tls.h). connect(host) sends SNI, connect(IPAddress) none (WiFiClient.cpp @0.16.1:83-85); any
// failure is connect() == 0 with no error code.
class WiFiSSLClient : public twin::ModuleTlsClient {};
