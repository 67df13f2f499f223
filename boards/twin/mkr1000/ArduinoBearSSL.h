// ArduinoBearSSL 1.7.7 (arduino-libraries/ArduinoBearSSL) for the MKR1000 twin, on Debian libbearssl 0.6.
#pragma once
#include "BearSSLClient.h"

class ArduinoBearSSLClass {
 public:
  // The callback's value, or 0 when none is set (ArduinoBearSSL.cpp): X.509 then validates at 1970-01-01.
  unsigned long getTime();
  void onGetTime(unsigned long (*callback)(void));

 private:
  unsigned long (*onGetTimeCallback_)(void) = nullptr;
};
extern ArduinoBearSSLClass ArduinoBearSSL;
