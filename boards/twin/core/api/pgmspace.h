// Flash-string helpers: on the host, flash is ordinary memory.
#pragma once
#include <string.h>
#include <stdint.h>
#define PROGMEM
#define PGM_P const char*
#define PGM_VOID_P const void*
#ifndef PSTR
#define PSTR(s) (s)
#endif
#define pgm_read_byte(addr) (*(const uint8_t*)(addr))
#define pgm_read_word(addr) (*(const uint16_t*)(addr))
#define pgm_read_dword(addr) (*(const uint32_t*)(addr))
#define pgm_read_float(addr) (*(const float*)(addr))
#define pgm_read_ptr(addr) (*(const void* const*)(addr))
#define strcpy_P strcpy
#define strncpy_P strncpy
#define strcat_P strcat
#define strcmp_P strcmp
#define strncmp_P strncmp
#define strcasecmp_P strcasecmp
#define strlen_P strlen
#define strstr_P strstr
#define memcpy_P memcpy
#define memcmp_P memcmp
#define sprintf_P sprintf
#define snprintf_P snprintf
#define vsnprintf_P vsnprintf
#define printf_P printf
