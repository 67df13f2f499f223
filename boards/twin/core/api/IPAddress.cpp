#include "IPAddress.h"
#include <stdio.h>
#include <string.h>
#include "Print.h"

const IPAddress INADDR_NONE_IP(0, 0, 0, 0);

IPAddress::IPAddress() { addr_.dword = 0; }
IPAddress::IPAddress(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  addr_.bytes[0] = a; addr_.bytes[1] = b; addr_.bytes[2] = c; addr_.bytes[3] = d;
}
IPAddress::IPAddress(uint32_t address) { addr_.dword = address; }
IPAddress::IPAddress(const uint8_t* address) { memcpy(addr_.bytes, address, 4); }
IPAddress& IPAddress::operator=(const uint8_t* address) { memcpy(addr_.bytes, address, 4); return *this; }
IPAddress& IPAddress::operator=(uint32_t address) { addr_.dword = address; return *this; }
bool IPAddress::operator==(const uint8_t* a) const { return memcmp(a, addr_.bytes, 4) == 0; }

// Strict dotted quad, as the cores' fromString: four decimal parts 0..255, nothing else.
bool IPAddress::fromString(const char* s) {
  if (!s) return false;
  uint8_t out[4];
  int part = 0; int value = -1;
  for (const char* p = s;; p++) {
    char c = *p;
    if (c >= '0' && c <= '9') {
      value = (value < 0 ? 0 : value * 10) + (c - '0');
      if (value > 255) return false;
    } else if (c == '.' || c == 0) {
      if (value < 0 || part > 3) return false;
      out[part++] = (uint8_t)value; value = -1;
      if (c == 0) break;
    } else {
      return false;
    }
  }
  if (part != 4) return false;
  memcpy(addr_.bytes, out, 4);
  return true;
}

String IPAddress::toString() const {
  char buf[16];
  snprintf(buf, sizeof buf, "%u.%u.%u.%u", addr_.bytes[0], addr_.bytes[1], addr_.bytes[2], addr_.bytes[3]);
  return String(buf);
}
size_t IPAddress::printTo(Print& p) const { return p.print(toString()); }
