// The ESP8266 clock (cores/esp8266/time.cpp): time() = seconds since boot until configTime()/SNTP sets it.
// On the host, time() is libc's, so sketch calls are routed to the board clock by a function-like macro
// (only `time(` call sites change; `time_t` and `struct tm` are untouched).
#pragma once
#include <time.h>

time_t twin_esp8266_time(time_t* out);
#define time(t) twin_esp8266_time(t)

// cores/esp8266/time.cpp: configTime(timezone_sec, daylightOffset_sec, servers...) and the TZ-string form.
void configTime(int timezone_sec, int daylightOffset_sec, const char* server1, const char* server2 = nullptr,
                const char* server3 = nullptr);
void configTime(const char* tz, const char* server1, const char* server2 = nullptr, const char* server3 = nullptr);
void configTZ(const char* tz);
