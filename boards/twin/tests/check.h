// A tiny test harness for the host core: TEST(name) { CHECK(...); CHECK_EQ(actual, expected); }.
// Output is TAP-like ("ok 3 - name", "not ok 4 - name" and "# file:line: ..." lines); the exit status is the number
// of failed tests (capped at 100), so test/twin/hostcore-unit.test.ts fails on any failed check.
#pragma once
#include <string.h>

#include <string>

#include "WString.h"

namespace check {
using Fn = void (*)();
void add(const char* name, Fn fn);
void fail(const char* file, int line, const std::string& what);

inline std::string show(const std::string& s) { return "\"" + s + "\""; }
inline std::string show(const char* s) { return s ? show(std::string(s)) : std::string("nullptr"); }
inline std::string show(const String& s) { return show(std::string(s.c_str())); }
inline std::string show(char c) { return "'" + std::string(1, c) + "'"; }
inline std::string show(bool b) { return b ? "true" : "false"; }
inline std::string show(double d) { return std::to_string(d); }
inline std::string show(long long n) { return std::to_string(n); }
inline std::string show(unsigned long long n) { return std::to_string(n); }
inline std::string show(int n) { return std::to_string(n); }
inline std::string show(long n) { return std::to_string(n); }
inline std::string show(unsigned n) { return std::to_string(n); }
inline std::string show(unsigned long n) { return std::to_string(n); }

// Text compares as text, whatever mix of char*, std::string and String; numbers compare as numbers.
inline bool same(const char* a, const char* b) { return a && b ? strcmp(a, b) == 0 : a == b; }
inline bool same(const String& a, const char* b) { return same(a.c_str(), b); }
inline bool same(const std::string& a, const char* b) { return same(a.c_str(), b); }
inline bool same(const char* a, const std::string& b) { return same(a, b.c_str()); }
inline bool same(const std::string& a, const std::string& b) { return a == b; }
inline bool same(const String& a, const String& b) { return a == b; }
template <typename A, typename B> bool same(const A& a, const B& b) { return a == b; }

struct Register {
  Register(const char* name, Fn fn) { add(name, fn); }
};
}  // namespace check

#define TEST(name)                                              \
  static void test_##name();                                    \
  static const check::Register register_##name(#name, test_##name); \
  static void test_##name()

#define CHECK(cond) \
  ((cond) ? (void)0 : check::fail(__FILE__, __LINE__, "CHECK(" #cond ")"))

#define CHECK_EQ(actual, expected)                                                                       \
  do {                                                                                                   \
    const auto& a_ = (actual);                                                                           \
    const auto& e_ = (expected);                                                                         \
    if (!check::same(a_, e_))                                                                            \
      check::fail(__FILE__, __LINE__,                                                                    \
                  "CHECK_EQ(" #actual ", " #expected "): got " + check::show(a_) + ", expected " + check::show(e_)); \
  } while (0)
