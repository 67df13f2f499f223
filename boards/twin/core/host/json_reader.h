// A deliberately tiny JSON reader for the host platform's own inputs (the world file, the baked version table):
// objects, strings, numbers, booleans, null; arrays are skipped. Internal to core/host.
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string>

namespace twin {

[[noreturn]] inline void jsonError(const char* what, const char* path, const std::string& msg) {
  fprintf(stderr, "twin: %s %s: %s\n", what, path, msg.c_str());
  exit(78);
}

// Minimal JSON scanner over the whole file.
struct JsonReader {
  const char* p;
  const char* what;  // "world file", "version table": names the input in errors
  const char* path;
  void ws() { while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++; }
  void expect(char c) { ws(); if (*p != c) jsonError(what, path, std::string("expected '") + c + "' near: " + std::string(p, strnlen(p, 20))); p++; }
  std::string str() {
    ws();
    if (*p != '"') jsonError(what, path, "expected a string near: " + std::string(p, strnlen(p, 20)));
    p++;
    std::string out;
    while (*p && *p != '"') {
      if (*p == '\\') {
        p++;
        switch (*p) {
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          case 'r': out += '\r'; break;
          case 'u': { unsigned v = 0; sscanf(p + 1, "%4x", &v); out += (char)(v < 0x80 ? v : '?'); p += 4; break; }
          default: out += *p;
        }
        if (*p) p++;
      } else {
        out += *p++;
      }
    }
    if (*p != '"') jsonError(what, path, "unterminated string");
    p++;
    return out;
  }
  // Returns the scalar as text (strings unquoted); "{"/"[" values are skipped and return "".
  std::string scalar() {
    ws();
    if (*p == '"') return str();
    if (*p == '{' || *p == '[') { skipNested(); return ""; }
    const char* b = p;
    while (*p && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') p++;
    return std::string(b, p);
  }
  void skipNested() {
    int depth = 0;
    do {
      if (*p == '"') { str(); continue; }
      if (*p == '{' || *p == '[') depth++;
      else if (*p == '}' || *p == ']') depth--;
      else if (!*p) jsonError(what, path, "unbalanced brackets");
      p++;
    } while (depth > 0);
  }
  template <typename F> void object(F&& onKey) {
    expect('{');
    ws();
    if (*p == '}') { p++; return; }
    for (;;) {
      std::string key = str();
      expect(':');
      onKey(key);
      ws();
      if (*p == ',') { p++; continue; }
      expect('}');
      return;
    }
  }
};

}  // namespace twin
