#include "Print.h"
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <vector>

size_t Print::write(const uint8_t* buf, size_t size) {
  size_t n = 0;
  while (size--) { if (write(*buf++)) n++; else break; }
  return n;
}

size_t Print::printNumber(unsigned long long v, int base) {
  if (base < 2) base = 10;
  char buf[8 * sizeof(v) + 1];
  char* p = &buf[sizeof(buf) - 1];
  *p = 0;
  do { int d = (int)(v % base); *--p = (char)(d < 10 ? '0' + d : 'A' + d - 10); v /= base; } while (v);
  return write(p);
}

size_t Print::print(long v, int base) {
  if (base == 0) return write((uint8_t)v);
  if (base == 10 && v < 0) { size_t n = print('-'); return n + printNumber((unsigned long long)(-(v + 1)) + 1, 10); }
  // A board's long is 32 bits: -1 in HEX is FFFFFFFF there, not the host's sixteen Fs.
  if (v < 0 && v >= INT32_MIN) return printNumber((uint32_t)v, base);
  return printNumber((unsigned long long)v, base);
}
size_t Print::print(unsigned long v, int base) { return base == 0 ? write((uint8_t)v) : printNumber(v, base); }
size_t Print::print(long long v, int base) {
  if (base == 10 && v < 0) { size_t n = print('-'); return n + printNumber((unsigned long long)(-(v + 1)) + 1, 10); }
  return printNumber((unsigned long long)v, base);
}
size_t Print::print(unsigned long long v, int base) { return printNumber(v, base); }

size_t Print::print(double v, int digits) {
  // The cores' printFloat (ArduinoCore-API api/Print.cpp, arduino-esp32 cores/esp32/Print.cpp; esp8266's dtostrf):
  // add half of the last digit, then cut. Not printf's rounding: print(2.5, 0) is "3" and print(0.125, 2) "0.13".
  if (isnan(v)) return print("nan");
  if (isinf(v)) return print("inf");
  if (v > 4294967040.0 || v < -4294967040.0) return print("ovf");
  size_t n = 0;
  if (v < 0.0) {
    n += print('-');
    v = -v;
  }
  double rounding = 0.5;
  for (int i = 0; i < digits; i++) rounding /= 10.0;
  v += rounding;
  uint32_t whole = (uint32_t)v;  // the boards' unsigned long
  double rest = v - (double)whole;
  n += printNumber(whole, 10);
  if (digits > 0) n += print('.');
  for (int i = 0; i < digits; i++) {
    rest *= 10.0;
    unsigned digit = (unsigned)rest;
    n += print((char)('0' + (digit > 9 ? 9 : digit)));
    rest -= digit;
  }
  return n;
}

size_t Print::printf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char small[128];
  va_list cp;
  va_copy(cp, ap);
  int len = vsnprintf(small, sizeof small, fmt, cp);
  va_end(cp);
  size_t n = 0;
  if (len < 0) { va_end(ap); return 0; }
  if ((size_t)len < sizeof small) {
    n = write((const uint8_t*)small, (size_t)len);
  } else {
    std::vector<char> big((size_t)len + 1);
    vsnprintf(big.data(), big.size(), fmt, ap);
    n = write((const uint8_t*)big.data(), (size_t)len);
  }
  va_end(ap);
  return n;
}
