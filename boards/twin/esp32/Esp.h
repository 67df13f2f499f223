// The ESP global (cores/esp32/Esp.h subset). Heap figures are fixed plausible values: the twin cannot match a board.
#pragma once
#include <stdint.h>

class EspClass {
 public:
  uint32_t getFreeHeap() { return 245000; }
  uint32_t getHeapSize() { return 327680; }
  uint32_t getMinFreeHeap() { return 220000; }
  uint32_t getMaxAllocHeap() { return 110580; }
  uint32_t getFreePsram() { return 0; }
  const char* getChipModel() { return "ESP32-D0WDQ6"; }
  uint8_t getChipRevision() { return 1; }
  uint8_t getChipCores() { return 2; }
  uint32_t getCpuFreqMHz() { return 240; }
  const char* getSdkVersion();
  uint64_t getEfuseMac() { return 0x0000AABBCCDDEEFFULL; }
  uint32_t getFlashChipSize() { return 4u * 1024u * 1024u; }
  uint32_t getCycleCount();
  // A real board reboots and runs setup() again. The twin cannot: nothing restarts it. It records the fact
  // "esp-restart", says why it ends on stderr (the rig reports a target's last stderr lines with its exit)
  // and exits 0, so a run ends at the first ESP.restart().
  [[noreturn]] void restart();
};
extern EspClass ESP;
