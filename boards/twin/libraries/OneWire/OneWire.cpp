#include "OneWire.h"

// Dallas/Maxim CRC-8 (polynomial x^8 + x^5 + x^4 + 1), bit by bit.
uint8_t OneWire::crc8(const uint8_t* addr, uint8_t len) {
  uint8_t crc = 0;
  while (len--) {
    uint8_t in = *addr++;
    for (uint8_t i = 8; i; i--) {
      uint8_t mix = (crc ^ in) & 0x01;
      crc >>= 1;
      if (mix) crc ^= 0x8C;
      in >>= 1;
    }
  }
  return crc;
}
