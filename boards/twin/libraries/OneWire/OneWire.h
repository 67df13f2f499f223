// Inert OneWire shim for the twin: the bus answers "no device"; DallasTemperature supplies fixed readings.
#pragma once
#include <stdint.h>
#include <string.h>

class OneWire {
 public:
  OneWire() = default;
  explicit OneWire(uint8_t pin) : pin_(pin) {}
  void begin(uint8_t pin) { pin_ = pin; }
  uint8_t reset() { return 1; }  // presence pulse seen (the twin's one sensor)
  void select(const uint8_t rom[8]) { (void)rom; }
  void skip() {}
  void write(uint8_t v, uint8_t power = 0) { (void)v; (void)power; }
  void write_bytes(const uint8_t* buf, uint16_t count, bool power = 0) { (void)buf; (void)count; (void)power; }
  uint8_t read() { return 0; }
  void read_bytes(uint8_t* buf, uint16_t count) { memset(buf, 0, count); }
  void write_bit(uint8_t v) { (void)v; }
  uint8_t read_bit() { return 0; }
  void depower() {}
  void reset_search() {}
  bool search(uint8_t* newAddr, bool search_mode = true) { (void)newAddr; (void)search_mode; return false; }
  static uint8_t crc8(const uint8_t* addr, uint8_t len);
  uint8_t pin() const { return pin_; }

 private:
  uint8_t pin_ = 0;
};
