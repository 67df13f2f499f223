// ESP global, SNTP and the board clock for the ESP32 twin.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "Arduino.h"
#include "twin_world.h"

EspClass ESP;

const char* EspClass::getSdkVersion() {
  // The IDF that ships with the imitated core (its version row).
  return twin::rowStr("espTls.sdkVersion");
}
uint32_t EspClass::getCycleCount() { return (uint32_t)(micros() * 240u); }
void EspClass::restart() {
  twin::fact("esp-restart");
  // No ROM boot banner on the serial port: its text is not in the spec, so the twin does not make it up.
  fprintf(stderr, "twin: ESP.restart() called: a board would reboot and run setup() again; the twin ends here\n");
  fflush(stdout);
  // esp-idf's esp_restart waits for the UART FIFOs to empty ("Flush any data left in UART FIFOs") before the
  // reset: likewise let the rig read the last lines, which the pty would drop when the twin exits.
  twin::serialDrain(2000);
  _exit(0);
}

void configTime(long gmtOffset_sec, int daylightOffset_sec, const char*, const char*, const char*) {
  (void)gmtOffset_sec; (void)daylightOffset_sec;  // the twin's local time is UTC
  twin::setClockSynced(twin::ntpReachable());
  twin::fact("sntp:%s", twin::ntpReachable() ? "synced" : "unreachable");
}
void configTzTime(const char*, const char* server1, const char* server2, const char* server3) {
  configTime(0, 0, server1, server2, server3);
}

// The board's clock: 1970 + uptime until SNTP synced (esp32-hal-time.c getLocalTime waits for year > 2016).
extern "C" time_t time(time_t* t) {
  time_t now = (time_t)twin::boardEpochNow();
  if (t) *t = now;
  return now;
}

bool getLocalTime(struct tm* info, uint32_t ms) {
  uint32_t start = millis();
  for (;;) {
    time_t now = time(nullptr);
    gmtime_r(&now, info);
    if (info->tm_year > (2016 - 1900)) return true;
    if (millis() - start >= ms) return false;
    delay(10);
  }
}

void vTaskDelay(uint32_t ticks) { delay(ticks); }
int64_t esp_timer_get_time() { return (int64_t)micros(); }
