// Number-to-text helpers the boards' cores add to the C library (arduino-esp32 and esp8266 stdlib_noniso.h,
// SAMD avr/dtostrf.h). Arduino.h includes it.
#pragma once

char* dtostrf(double value, signed char width, unsigned char prec, char* out);
