// IPv4 address as in ArduinoCore-API (api/IPAddress.h): printable, comparable, parsable from text.
#pragma once
#include <stdint.h>
#include "Printable.h"
#include "WString.h"

class IPAddress : public Printable {
 public:
  IPAddress();
  IPAddress(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  IPAddress(uint32_t address);  // network byte order in memory, like the cores
  IPAddress(const uint8_t* address);

  bool fromString(const char* address);
  bool fromString(const String& address) { return fromString(address.c_str()); }
  String toString() const;

  operator uint32_t() const { return addr_.dword; }
  bool operator==(const IPAddress& o) const { return addr_.dword == o.addr_.dword; }
  bool operator!=(const IPAddress& o) const { return addr_.dword != o.addr_.dword; }
  bool operator==(const uint8_t* a) const;
  uint8_t operator[](int i) const { return addr_.bytes[i]; }
  uint8_t& operator[](int i) { return addr_.bytes[i]; }
  IPAddress& operator=(const uint8_t* address);
  IPAddress& operator=(uint32_t address);
  bool isSet() const { return addr_.dword != 0; }
  const uint8_t* raw() const { return addr_.bytes; }

  size_t printTo(Print& p) const override;

 private:
  union { uint8_t bytes[4]; uint32_t dword; } addr_;
};

extern const IPAddress INADDR_NONE_IP;
