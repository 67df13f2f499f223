// SPI (arduino:samd): WiFi101 talks to the WINC1500 over SPI; the twin has no bus, so this is API only.
#pragma once
#include "Arduino.h"
#define SPI_MODE0 0x02
#define SPI_MODE1 0x00
#define SPI_MODE2 0x03
#define SPI_MODE3 0x01
class SPISettings {
 public:
  SPISettings() = default;
  SPISettings(uint32_t, uint8_t, uint8_t) {}
};
class SPIClass {
 public:
  void begin() {}
  void end() {}
  void beginTransaction(SPISettings) {}
  void endTransaction() {}
  uint8_t transfer(uint8_t) { return 0xff; }
  uint16_t transfer16(uint16_t) { return 0xffff; }
  void transfer(void* buf, size_t count) { memset(buf, 0xff, count); }
  void setBitOrder(uint8_t) {}
  void setDataMode(uint8_t) {}
  void setClockDivider(uint8_t) {}
};
extern SPIClass SPI;
