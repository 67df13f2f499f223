// random(), randomSeed() and map() (ArduinoCore-API api/WMath.cpp behaviour) on the C library's random().
#include <stdlib.h>

#include "Common.h"

long random(long howbig) { return howbig <= 0 ? 0 : ::random() % howbig; }
long random(long howsmall, long howbig) { return howsmall >= howbig ? howsmall : howsmall + random(howbig - howsmall); }
void randomSeed(unsigned long seed) {
  if (seed) srandom((unsigned)seed);
}
long map(long x, long in_min, long in_max, long out_min, long out_max) {
  return in_max == in_min ? out_min : (x - in_min) * (out_max - out_min) / (in_max - in_min) + out_min;
}
