#include "Stream.h"
#include <stdlib.h>
#include "Common.h"

int Stream::timedRead() {
  unsigned long start = millis();
  do { int c = read(); if (c >= 0) return c; delay(1); } while (millis() - start < timeout_);
  return -1;
}
int Stream::timedPeek() {
  unsigned long start = millis();
  do { int c = peek(); if (c >= 0) return c; delay(1); } while (millis() - start < timeout_);
  return -1;
}
// After a mismatch, the longest start of target that the text read so far still ends with ("1112" in "11112").
static size_t fallBack(const char* target, size_t matched, char c) {
  for (size_t k = matched; k > 0; k--)
    if (target[k - 1] == c && memcmp(target, target + matched - k + 1, k - 1) == 0) return k;
  return 0;
}
bool Stream::find(const char* target) {
  size_t len = strlen(target), matched = 0;
  if (len == 0) return true;
  int c;
  while ((c = timedRead()) >= 0) {
    matched = c == target[matched] ? matched + 1 : fallBack(target, matched, (char)c);
    if (matched == len) return true;
  }
  return false;
}
long Stream::parseInt() {
  int c;
  while ((c = timedPeek()) >= 0 && c != '-' && (c < '0' || c > '9')) read();
  if (c < 0) return 0;
  bool neg = false; long v = 0;
  if (c == '-') { neg = true; read(); }
  while ((c = timedPeek()) >= '0' && c <= '9') { v = v * 10 + (c - '0'); read(); }
  return neg ? -v : v;
}
float Stream::parseFloat() {
  // As the cores: a '-' only first, one '.', and the number ends at the first other character (left unread).
  int c;
  while ((c = timedPeek()) >= 0 && c != '-' && c != '.' && (c < '0' || c > '9')) read();
  if (c < 0) return 0;
  String s;
  bool dot = false;
  do {
    dot = dot || c == '.';
    s += (char)c;
    read();
    c = timedPeek();
  } while ((c >= '0' && c <= '9') || (c == '.' && !dot));
  return s.toFloat();
}
size_t Stream::readBytes(char* buf, size_t len) {
  size_t n = 0;
  while (n < len) { int c = timedRead(); if (c < 0) break; buf[n++] = (char)c; }
  return n;
}
size_t Stream::readBytesUntil(char term, char* buf, size_t len) {
  size_t n = 0;
  while (n < len) { int c = timedRead(); if (c < 0 || c == term) break; buf[n++] = (char)c; }
  return n;
}
String Stream::readString() {
  String s; int c;
  while ((c = timedRead()) >= 0) s += (char)c;
  return s;
}
String Stream::readStringUntil(char term) {
  String s; int c;
  while ((c = timedRead()) >= 0 && c != term) s += (char)c;
  return s;
}
