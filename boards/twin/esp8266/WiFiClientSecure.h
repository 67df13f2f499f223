// ESP8266 core 3.x: WiFiClientSecure is BearSSL's (the axTLS API is gone since 3.0).
#pragma once
#include "WiFiClientSecureBearSSL.h"
using namespace BearSSL;
