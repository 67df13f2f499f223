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
  return base == 10 ? printNumber((unsigned long long)v, 10) : printNumber((unsigned long)v, base);
}
size_t Print::print(unsigned long v, int base) { return base == 0 ? write((uint8_t)v) : printNumber(v, base); }
size_t Print::print(long long v, int base) {
  if (base == 10 && v < 0) { size_t n = print('-'); return n + printNumber((unsigned long long)(-(v + 1)) + 1, 10); }
  return printNumber((unsigned long long)v, base);
}
size_t Print::print(unsigned long long v, int base) { return printNumber(v, base); }

size_t Print::print(double v, int digits) {
  // Same special cases as the cores' printFloat.
  if (isnan(v)) return print("nan");
  if (isinf(v)) return print("inf");
  if (v > 4294967040.0 || v < -4294967040.0) return print("ovf");
  char buf[64];
  snprintf(buf, sizeof buf, "%.*f", digits < 0 ? 0 : digits, v);
  return write(buf);
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
