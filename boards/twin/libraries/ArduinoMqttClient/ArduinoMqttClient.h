// ArduinoMqttClient's umbrella header, as in the library.
#pragma once
#include "MqttClient.h"
