// dtostrf() as ArduinoCore-samd 1.8.x has it (cores/arduino/avr/dtostrf.c): newlib's printf "%<width>.<prec>f",
// so String(0.125f, 2) is "0.13" on an ESP but "0.12" here (printf rounds the exact binary value, half to even).
// Shadows core/api/dtostrf.cpp (a board source replaces the core source of the same name).
#include <stdio.h>

#include "stdlib_noniso.h"

char* dtostrf(double value, signed char width, unsigned char prec, char* out) {
  sprintf(out, "%*.*f", (int)width, (int)prec, value);
  return out;
}
