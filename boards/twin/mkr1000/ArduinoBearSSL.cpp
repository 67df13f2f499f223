#include "ArduinoBearSSL.h"

ArduinoBearSSLClass ArduinoBearSSL;

unsigned long ArduinoBearSSLClass::getTime() { return onGetTimeCallback_ ? onGetTimeCallback_() : 0; }
void ArduinoBearSSLClass::onGetTime(unsigned long (*callback)(void)) { onGetTimeCallback_ = callback; }
