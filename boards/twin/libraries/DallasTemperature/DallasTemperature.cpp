#include "DallasTemperature.h"

#include <string.h>

bool DallasTemperature::getAddress(uint8_t* addr, uint8_t index) {
  if (index != 0) return false;
  // A DS18B20 (family 0x28) with a fixed serial and a valid CRC.
  const uint8_t rom[7] = {0x28, 0x61, 0x64, 0x12, 0x3C, 0x7C, 0x2F};
  memcpy(addr, rom, 7);
  addr[7] = OneWire::crc8(rom, 7);
  return true;
}
