// Runs every TEST of the binary in the order they were defined.
#include <stdio.h>

#include <vector>

#include "check.h"

namespace check {
namespace {
struct Case {
  const char* name;
  Fn fn;
};
std::vector<Case>& cases() {
  static std::vector<Case> all;
  return all;
}
int g_failedChecks = 0;
}  // namespace

void add(const char* name, Fn fn) { cases().push_back({name, fn}); }

void fail(const char* file, int line, const std::string& what) {
  g_failedChecks++;
  printf("# %s:%d: %s\n", file, line, what.c_str());
}
}  // namespace check

int main() {
  setvbuf(stdout, nullptr, _IONBF, 0);  // a crash still leaves the lines before it
  int failed = 0, n = 0;
  printf("1..%zu\n", check::cases().size());
  for (const auto& c : check::cases()) {
    int before = check::g_failedChecks;
    c.fn();
    bool ok = check::g_failedChecks == before;
    failed += ok ? 0 : 1;
    printf("%s %d - %s\n", ok ? "ok" : "not ok", ++n, c.name);
  }
  printf("# %d tests, %d failed\n", n, failed);
  return failed > 100 ? 100 : failed;
}
