// Arduino String (subset of ArduinoCore-API api/String.h behaviour), backed by std::string.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string>

class __FlashStringHelper;
#define F(s) (reinterpret_cast<const __FlashStringHelper*>(PSTR(s)))
#ifndef PSTR
#define PSTR(s) (s)
#endif

class String {
 public:
  String(const char* s = "") : s_(s ? s : "") {}
  String(const char* s, unsigned int len) : s_(s ? std::string(s, len) : std::string()) {}
  String(const String&) = default;
  String(String&&) noexcept = default;
  String(const __FlashStringHelper* f) : s_(reinterpret_cast<const char*>(f)) {}
  String(const std::string& s) : s_(s) {}
  explicit String(char c) : s_(1, c) {}
  explicit String(unsigned char v, unsigned char base = 10);
  explicit String(int v, unsigned char base = 10);
  explicit String(unsigned int v, unsigned char base = 10);
  explicit String(long v, unsigned char base = 10);
  explicit String(unsigned long v, unsigned char base = 10);
  explicit String(long long v, unsigned char base = 10);
  explicit String(unsigned long long v, unsigned char base = 10);
  explicit String(float v, unsigned char decimals = 2);
  explicit String(double v, unsigned char decimals = 2);

  String& operator=(const String&) = default;
  String& operator=(String&&) noexcept = default;
  String& operator=(const char* s) { s_ = s ? s : ""; return *this; }
  String& operator=(const __FlashStringHelper* f) { s_ = reinterpret_cast<const char*>(f); return *this; }

  unsigned int length() const { return (unsigned int)s_.size(); }
  bool isEmpty() const { return s_.empty(); }
  const char* c_str() const { return s_.c_str(); }
  char* begin() { return &s_[0]; }
  char* end() { return &s_[0] + s_.size(); }
  const char* begin() const { return s_.c_str(); }
  const char* end() const { return s_.c_str() + s_.size(); }
  bool reserve(unsigned int n) { s_.reserve(n); return true; }
  const std::string& str() const { return s_; }

  bool concat(const String& o) { s_ += o.s_; return true; }
  bool concat(const char* s) { if (s) s_ += s; return s != nullptr; }
  bool concat(const char* s, unsigned int len) { if (s) s_.append(s, len); return s != nullptr; }
  bool concat(char c) { s_ += c; return true; }
  bool concat(unsigned char v) { return concat(String(v)); }
  bool concat(int v) { return concat(String(v)); }
  bool concat(unsigned int v) { return concat(String(v)); }
  bool concat(long v) { return concat(String(v)); }
  bool concat(unsigned long v) { return concat(String(v)); }
  bool concat(long long v) { return concat(String(v)); }
  bool concat(unsigned long long v) { return concat(String(v)); }
  bool concat(float v) { return concat(String(v)); }
  bool concat(double v) { return concat(String(v)); }
  bool concat(const __FlashStringHelper* f) { return concat(reinterpret_cast<const char*>(f)); }
  template <typename T> String& operator+=(const T& v) { concat(v); return *this; }

  int compareTo(const String& o) const { return s_.compare(o.s_); }
  bool equals(const String& o) const { return s_ == o.s_; }
  bool equals(const char* s) const { return s_ == (s ? s : ""); }
  bool equalsIgnoreCase(const String& o) const;
  bool operator==(const String& o) const { return equals(o); }
  bool operator==(const char* s) const { return equals(s); }
  bool operator!=(const String& o) const { return !equals(o); }
  bool operator!=(const char* s) const { return !equals(s); }
  bool operator<(const String& o) const { return compareTo(o) < 0; }
  bool operator>(const String& o) const { return compareTo(o) > 0; }
  bool startsWith(const String& p) const { return s_.compare(0, p.s_.size(), p.s_) == 0; }
  bool startsWith(const String& p, unsigned int off) const { return off <= s_.size() && s_.compare(off, p.s_.size(), p.s_) == 0; }
  bool endsWith(const String& p) const { return s_.size() >= p.s_.size() && s_.compare(s_.size() - p.s_.size(), p.s_.size(), p.s_) == 0; }

  char charAt(unsigned int i) const { return i < s_.size() ? s_[i] : 0; }
  void setCharAt(unsigned int i, char c) { if (i < s_.size()) s_[i] = c; }
  char operator[](unsigned int i) const { return charAt(i); }
  char& operator[](unsigned int i) { static char dummy; if (i >= s_.size()) { dummy = 0; return dummy; } return s_[i]; }
  void getBytes(unsigned char* buf, unsigned int size, unsigned int index = 0) const;
  void toCharArray(char* buf, unsigned int size, unsigned int index = 0) const { getBytes((unsigned char*)buf, size, index); }

  int indexOf(char c, unsigned int from = 0) const { auto p = s_.find(c, from); return p == std::string::npos ? -1 : (int)p; }
  int indexOf(const String& t, unsigned int from = 0) const { auto p = s_.find(t.s_, from); return p == std::string::npos ? -1 : (int)p; }
  int lastIndexOf(char c) const { auto p = s_.rfind(c); return p == std::string::npos ? -1 : (int)p; }
  int lastIndexOf(const String& t) const { auto p = s_.rfind(t.s_); return p == std::string::npos ? -1 : (int)p; }
  String substring(unsigned int from) const { return from >= s_.size() ? String() : String(s_.substr(from)); }
  String substring(unsigned int from, unsigned int to) const;

  void replace(char f, char t) { for (auto& c : s_) if (c == f) c = t; }
  void replace(const String& f, const String& t);
  void remove(unsigned int index) { if (index < s_.size()) s_.erase(index); }
  void remove(unsigned int index, unsigned int count) { if (index < s_.size()) s_.erase(index, count); }
  void toLowerCase();
  void toUpperCase();
  void trim();

  long toInt() const;
  float toFloat() const;
  double toDouble() const;

  friend String operator+(const String& a, const String& b) { String r(a); r.concat(b); return r; }
  friend String operator+(const String& a, const char* b) { String r(a); r.concat(b); return r; }
  friend String operator+(const char* a, const String& b) { String r(a); r.concat(b); return r; }
  template <typename T> friend String operator+(const String& a, const T& b) { String r(a); r.concat(b); return r; }

 private:
  std::string s_;
};
