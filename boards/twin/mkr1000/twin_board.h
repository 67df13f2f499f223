// MKR1000 (arduino:samd) extras: the on-board LED pin.
#pragma once
#ifndef LED_BUILTIN
#define LED_BUILTIN 6  // variants/mkr1000/variant.h
#endif
