#pragma once
#include <stddef.h>
class Print;
// Objects that know how to print themselves (ArduinoCore-API api/Printable.h).
class Printable {
 public:
  virtual ~Printable() = default;
  virtual size_t printTo(Print& p) const = 0;
};
