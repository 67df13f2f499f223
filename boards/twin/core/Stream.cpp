#include "Stream.h"
#include <stdlib.h>
#include "Arduino.h"

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
bool Stream::find(const char* target) {
  size_t len = strlen(target), matched = 0;
  if (len == 0) return true;
  int c;
  while ((c = timedRead()) >= 0) {
    if (c == target[matched]) { if (++matched == len) return true; }
    else matched = (c == target[0]) ? 1 : 0;
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
  String s; int c;
  while ((c = timedPeek()) >= 0 && c != '-' && c != '.' && (c < '0' || c > '9')) read();
  while ((c = timedPeek()) >= 0 && (c == '-' || c == '.' || (c >= '0' && c <= '9'))) { s += (char)c; read(); }
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
