// ESP8266 core 3.1.x extras that its Arduino.h brings in: ESP object, configTime()/time(), pin names.
#pragma once
#include <stdint.h>
#include <time.h>
#include "esp8266_time.h"
#include "Esp.h"

#ifndef BUILTIN_LED
#define BUILTIN_LED 2  // NodeMCU (variants/nodemcu/pins_arduino.h: LED_BUILTIN 2, BUILTIN_LED alias)
#endif
#define D0 16
#define D1 5
#define D2 4
#define D3 0
#define D4 2
#define D5 14
#define D6 12
#define D7 13
#define D8 15
#define A0 17
#ifndef IRAM_ATTR
#define IRAM_ATTR
#endif
#ifndef ICACHE_RAM_ATTR
#define ICACHE_RAM_ATTR
#endif
#ifndef ICACHE_FLASH_ATTR
#define ICACHE_FLASH_ATTR
#endif
