// Serial port of the board: bytes go to and come from the twin's pseudo-terminal.
#pragma once
#include "Stream.h"

#define SERIAL_8N1 0x800001c

class HardwareSerial : public Stream {
 public:
  // The pty has no baud rate: the sketch's choice is recorded as a fact ("serial-baud:<n>") so the rig can
  // flag a mismatch with the board profile, which on hardware would show up as garbage.
  void begin(unsigned long baud);
  void begin(unsigned long baud, uint32_t /*config*/, int8_t /*rx*/ = -1, int8_t /*tx*/ = -1) { begin(baud); }
  void end() {}
  unsigned long baudRate() const { return baud_; }
  void setDebugOutput(bool) {}
  int available() override;
  int read() override;
  int peek() override;
  void flush() override {}
  size_t write(uint8_t c) override;
  size_t write(const uint8_t* buf, size_t size) override;
  using Print::write;
  int availableForWrite() override { return 128; }
  operator bool() const { return true; }

 private:
  unsigned long baud_ = 0;
};

extern HardwareSerial Serial;
