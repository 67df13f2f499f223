// Inert DallasTemperature shim for the twin: one DS18B20 on the bus that always reads 21.5 °C.
#pragma once
#include <stdint.h>
#include "OneWire.h"

#define DEVICE_DISCONNECTED_C -127
#define DEVICE_DISCONNECTED_F -196.6
#define DEVICE_DISCONNECTED_RAW -7040
typedef uint8_t DeviceAddress[8];

class DallasTemperature {
 public:
  static constexpr float kFixedC = 21.5f;
  DallasTemperature() = default;
  explicit DallasTemperature(OneWire* bus) : bus_(bus) {}
  void setOneWire(OneWire* bus) { bus_ = bus; }
  void begin() {}
  uint8_t getDeviceCount() { return 1; }
  uint8_t getDS18Count() { return 1; }
  bool getAddress(uint8_t* addr, uint8_t index);
  bool isConnected(const uint8_t* addr) { (void)addr; return true; }
  void setResolution(uint8_t bits) { resolution_ = bits; }
  bool setResolution(const uint8_t* addr, uint8_t bits, bool skip = false) { (void)addr; (void)skip; resolution_ = bits; return true; }
  uint8_t getResolution() { return resolution_; }
  void setWaitForConversion(bool wait) { (void)wait; }
  bool isConversionComplete() { return true; }
  void requestTemperatures() {}
  bool requestTemperaturesByIndex(uint8_t index) { return index == 0; }
  bool requestTemperaturesByAddress(const uint8_t* addr) { (void)addr; return true; }
  float getTempCByIndex(uint8_t index) { return index == 0 ? kFixedC : DEVICE_DISCONNECTED_C; }
  float getTempFByIndex(uint8_t index) { return index == 0 ? toFahrenheit(kFixedC) : (float)DEVICE_DISCONNECTED_F; }
  float getTempC(const uint8_t* addr) { (void)addr; return kFixedC; }
  float getTempF(const uint8_t* addr) { (void)addr; return toFahrenheit(kFixedC); }
  bool isParasitePowerMode() { return false; }
  static float toFahrenheit(float c) { return c * 1.8f + 32.0f; }
  static float toCelsius(float f) { return (f - 32.0f) / 1.8f; }

 private:
  OneWire* bus_ = nullptr;
  uint8_t resolution_ = 12;
};
