// arduino-esp32 log macros (cores/esp32/esp32-hal-log.h), printed at run time according to the world's
// Core Debug Level and the core version's row (log.timestamp): 2.0.x/3.x "[%6u][E][file:line] func(): msg", 1.0.x "[E][file:line] func(): msg".
#pragma once
#include <stdarg.h>
#include "twin_world.h"

#define ARDUHAL_LOG_LEVEL_NONE 0
#define ARDUHAL_LOG_LEVEL_ERROR 1
#define ARDUHAL_LOG_LEVEL_WARN 2
#define ARDUHAL_LOG_LEVEL_INFO 3
#define ARDUHAL_LOG_LEVEL_DEBUG 4
#define ARDUHAL_LOG_LEVEL_VERBOSE 5

namespace twin { namespace esp32 {
// Prints one core log line at the given level (1=E..5=V) if the debug level allows it.
void logAt(int level, const char* file, int line, const char* func, const char* fmt, ...) __attribute__((format(printf, 5, 6)));
void vlogAt(int level, const char* file, int line, const char* func, const char* fmt, va_list ap);
// logAt with a format taken from the core's version row (boards/twin/versions/esp32.yaml), whose conversions
// rig/boards/version-values.ts checks against the arguments each caller passes.
void logFormat(int level, const char* file, int line, const char* func, const char* fmt, ...);
const char* baseName(const char* path);
// ESP-IDF component log line "L (ms) tag: msg\n"; Arduino's prebuilt IDF logs at Error level only.
void idfLog(char level, const char* tag, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
}}

#define pathToFileName(f) (twin::esp32::baseName(f))
#define log_e(format, ...) twin::esp32::logAt(1, pathToFileName(__FILE__), __LINE__, __FUNCTION__, format, ##__VA_ARGS__)
#define log_w(format, ...) twin::esp32::logAt(2, pathToFileName(__FILE__), __LINE__, __FUNCTION__, format, ##__VA_ARGS__)
#define log_i(format, ...) twin::esp32::logAt(3, pathToFileName(__FILE__), __LINE__, __FUNCTION__, format, ##__VA_ARGS__)
#define log_d(format, ...) twin::esp32::logAt(4, pathToFileName(__FILE__), __LINE__, __FUNCTION__, format, ##__VA_ARGS__)
#define log_v(format, ...) twin::esp32::logAt(5, pathToFileName(__FILE__), __LINE__, __FUNCTION__, format, ##__VA_ARGS__)
