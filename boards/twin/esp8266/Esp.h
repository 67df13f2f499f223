// ESP8266 `ESP` object (cores/esp8266/Esp.h): the twin reports plausible constants, never real host figures.
#pragma once
#include <stdint.h>
#include "WString.h"

class EspClass {
 public:
  uint32_t getFreeHeap() { return 41264; }  // typical NodeMCU sketch after WiFi init, before TLS buffers
  uint32_t getMaxFreeBlockSize() { return 37000; }
  uint8_t getHeapFragmentation() { return 5; }
  uint32_t getChipId() { return 0x00a1b2c3; }
  uint32_t getFlashChipSize() { return 4u * 1024 * 1024; }
  uint32_t getCpuFreqMHz() { return 80; }
  const char* getSdkVersion() { return "2.2.2-dev(38a443e)"; }
  String getCoreVersion();
  String getFullVersion();
  String getResetReason() { return "External System"; }
  void restart();
  void reset() { restart(); }
  void deepSleep(uint64_t us);
  void wdtFeed() {}
  void wdtEnable(uint32_t = 0) {}
  void wdtDisable() {}
};
extern EspClass ESP;
