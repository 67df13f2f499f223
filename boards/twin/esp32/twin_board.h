// ESP32 (arduino-esp32) extras that its Arduino.h brings in: logs, ESP, SNTP time, FreeRTOS-ish helpers.
#pragma once
#include <functional>
#include <time.h>
#include "esp32-hal-log.h"
#include "Esp.h"

// SNTP (cores/esp32/esp32-hal-time.c): the clock is set only when the world says NTP is reachable.
void configTime(long gmtOffset_sec, int daylightOffset_sec, const char* server1, const char* server2 = nullptr,
                const char* server3 = nullptr);
void configTzTime(const char* tz, const char* server1, const char* server2 = nullptr, const char* server3 = nullptr);
bool getLocalTime(struct tm* info, uint32_t ms = 5000);

#define portTICK_PERIOD_MS 1
#define portMAX_DELAY 0xffffffffUL
void vTaskDelay(uint32_t ticks);
#define ESP_OK 0
#define ESP_FAIL -1
typedef int esp_err_t;
int64_t esp_timer_get_time();
