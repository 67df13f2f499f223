// Pins, tones and interrupts of a board without hardware: pins are recorded (digitalRead returns the last
// written value), nothing fails.
#include "Common.h"

namespace {
uint8_t g_pins[256];
}

void pinMode(uint8_t, uint8_t) {}
void digitalWrite(uint8_t pin, uint8_t val) { g_pins[pin] = val ? HIGH : LOW; }
int digitalRead(uint8_t pin) { return g_pins[pin]; }
int analogRead(uint8_t) { return 0; }
void analogWrite(uint8_t pin, int val) { g_pins[pin] = val ? HIGH : LOW; }
void attachInterrupt(uint8_t, void (*)(void), int) {}
void detachInterrupt(uint8_t) {}
unsigned long pulseIn(uint8_t, uint8_t, unsigned long) { return 0; }
void tone(uint8_t, unsigned int, unsigned long) {}
void noTone(uint8_t) {}
void noInterrupts() {}
void interrupts() {}
