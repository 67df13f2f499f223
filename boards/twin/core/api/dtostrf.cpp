// dtostrf() as the ESP cores have it (esp8266 core_esp8266_noniso.cpp, arduino-esp32 stdlib_noniso.c): the digits
// Print::print(double, digits) prints, right-aligned in `width` (left-aligned when negative). A board whose core
// formats differently shadows this file (mkr1000/dtostrf.cpp: SAMD's printf-based avr/dtostrf.c).
#include <string.h>

#include "Print.h"
#include "stdlib_noniso.h"

namespace {
// Writes into a caller's buffer, as dtostrf's callers size it.
class BufferPrint : public Print {
 public:
  explicit BufferPrint(char* out) : out_(out) {}
  size_t write(uint8_t c) override {
    out_[n_++] = (char)c;
    return 1;
  }
  size_t length() const { return n_; }

 private:
  char* out_;
  size_t n_ = 0;
};
}  // namespace

char* dtostrf(double value, signed char width, unsigned char prec, char* out) {
  BufferPrint p(out);
  p.print(value, prec);
  size_t len = p.length();
  size_t w = (size_t)(width < 0 ? -width : width);
  if (len < w && width > 0) {
    memmove(out + (w - len), out, len);
    memset(out, ' ', w - len);
    len = w;
  } else if (len < w) {
    memset(out + len, ' ', w - len);
    len = w;
  }
  out[len] = 0;
  return out;
}
