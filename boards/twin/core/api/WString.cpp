#include "WString.h"
#include <stdint.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "stdlib_noniso.h"

namespace {
std::string toBase(unsigned long long v, unsigned char base) {
  if (base < 2 || base > 36) base = 10;
  if (v == 0) return "0";
  std::string out;
  while (v) { int d = (int)(v % base); out.insert(out.begin(), (char)(d < 10 ? '0' + d : 'a' + d - 10)); v /= base; }
  return out;
}
std::string signedToBase(long long v, unsigned char base, bool longLong) {
  // Like the cores' ltoa/lltoa: a minus sign only in base 10; other bases print the two's complement of the
  // board's 32-bit long, or of a 64-bit long long.
  if (base == 10 && v < 0) return "-" + toBase((unsigned long long)(-(v + 1)) + 1, 10);
  if (v < 0 && !longLong && v >= INT32_MIN) return toBase((uint32_t)v, base);
  return toBase((unsigned long long)v, base);
}
std::string fixed(double v, unsigned char decimals) {
  // The cores' String(float, decimals): dtostrf with a width of decimals + 2 (String(5.0f, 0) is " 5").
  char buf[64];
  if (decimals > 20) decimals = 20;
  return dtostrf(v, (signed char)(decimals + 2), decimals, buf);
}
}  // namespace

String::String(unsigned char v, unsigned char base) : s_(toBase(v, base)) {}
String::String(int v, unsigned char base) : s_(signedToBase(v, base, false)) {}
String::String(unsigned int v, unsigned char base) : s_(toBase(v, base)) {}
String::String(long v, unsigned char base) : s_(signedToBase(v, base, false)) {}
String::String(unsigned long v, unsigned char base) : s_(toBase(v, base)) {}
String::String(long long v, unsigned char base) : s_(signedToBase(v, base, true)) {}
String::String(unsigned long long v, unsigned char base) : s_(toBase(v, base)) {}
String::String(float v, unsigned char decimals) : s_(fixed(v, decimals)) {}
String::String(double v, unsigned char decimals) : s_(fixed(v, decimals)) {}

bool String::equalsIgnoreCase(const String& o) const {
  return s_.size() == o.s_.size() && strcasecmp(s_.c_str(), o.s_.c_str()) == 0;
}
void String::getBytes(unsigned char* buf, unsigned int size, unsigned int index) const {
  if (!buf || size == 0) return;
  if (index >= s_.size()) { buf[0] = 0; return; }
  size_t n = s_.size() - index;
  if (n > size - 1) n = size - 1;
  s_.copy((char*)buf, n, index);
  buf[n] = 0;
}
String String::substring(unsigned int from, unsigned int to) const {
  if (from > to) { unsigned int t = from; from = to; to = t; }
  if (from >= s_.size()) return String();
  if (to > s_.size()) to = (unsigned int)s_.size();
  return String(s_.substr(from, to - from));
}
void String::replace(const String& f, const String& t) {
  if (f.s_.empty()) return;
  size_t pos = 0;
  while ((pos = s_.find(f.s_, pos)) != std::string::npos) { s_.replace(pos, f.s_.size(), t.s_); pos += t.s_.size(); }
}
void String::toLowerCase() { for (auto& c : s_) c = (char)tolower((unsigned char)c); }
void String::toUpperCase() { for (auto& c : s_) c = (char)toupper((unsigned char)c); }
void String::trim() {
  size_t b = 0, e = s_.size();
  while (b < e && isspace((unsigned char)s_[b])) b++;
  while (e > b && isspace((unsigned char)s_[e - 1])) e--;
  s_ = s_.substr(b, e - b);
}
long String::toInt() const { return atol(s_.c_str()); }
float String::toFloat() const { return (float)atof(s_.c_str()); }
double String::toDouble() const { return atof(s_.c_str()); }
