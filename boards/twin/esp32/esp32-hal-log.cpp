#include "esp32-hal-log.h"

#include <stdio.h>
#include <string.h>

#include "twin_world.h"

namespace twin { namespace esp32 {

const char* baseName(const char* path) {
  const char* slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

void vlogAt(int level, const char* file, int line, const char* func, const char* fmt, va_list ap) {
  if (level < 1 || level > twin::debugLevel()) return;
  static const char letters[] = "?EWIDV";
  char head[128];
  int h;
  if (!twin::rowBool("log.timestamp")) {
    h = snprintf(head, sizeof head, "[%c][%s:%d] %s(): ", letters[level], file, line, func);
  } else {
    // esp_timer_get_time()/1000: ms since boot, right-aligned in 6 characters.
    h = snprintf(head, sizeof head, "[%6u][%c][%s:%d] %s(): ", (unsigned)twin::millisSinceBoot(), letters[level], file, line, func);
  }
  char body[1024];
  int b = vsnprintf(body, sizeof body, fmt, ap);
  if (b < 0) b = 0;
  if (b > (int)sizeof body - 1) b = (int)sizeof body - 1;
  char out[1024 + 128 + 2];
  int n = snprintf(out, sizeof out, "%.*s%.*s\r\n", h, head, b, body);
  if (n > (int)sizeof out - 1) n = (int)sizeof out - 1;
  twin::serialWrite((const uint8_t*)out, (size_t)n);
}

void logAt(int level, const char* file, int line, const char* func, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlogAt(level, file, line, func, fmt, ap);
  va_end(ap);
}

void logFormat(int level, const char* file, int line, const char* func, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlogAt(level, file, line, func, fmt, ap);
  va_end(ap);
}

void idfLog(char level, const char* tag, const char* fmt, ...) {
  if (level != 'E') return;  // CONFIG_LOG_DEFAULT_LEVEL_ERROR in the Arduino core's sdkconfig
  char body[512];
  va_list ap;
  va_start(ap, fmt);
  int b = vsnprintf(body, sizeof body, fmt, ap);
  va_end(ap);
  if (b < 0) b = 0;
  if (b > (int)sizeof body - 1) b = (int)sizeof body - 1;
  char out[640];
  int n = snprintf(out, sizeof out, "%c (%u) %s: %.*s\n", level, (unsigned)twin::millisSinceBoot(), tag, b, body);
  if (n > (int)sizeof out - 1) n = (int)sizeof out - 1;
  twin::serialWrite((const uint8_t*)out, (size_t)n);
}

}}  // namespace twin::esp32
