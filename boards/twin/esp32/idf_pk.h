// mbedtls_pk_parse_key as the ESP-IDF build of mbedTLS answers it. Debian's libmbedtls has every cipher; the IDF
// build has CONFIG_MBEDTLS_DES_C off (ESP-IDF components/mbedtls/Kconfig "DES block cipher (legacy, insecure)",
// default n: :365 at v3.3.5, :715 at v4.4.7, :873 at v5.3.2; arduino-esp32's prebuilt tools/sdk/esp32/sdkconfig:
// "# CONFIG_MBEDTLS_DES_C is not set"), so a key encrypted with DES or 3DES cannot be read on the board whatever the
// password.
#pragma once
#include <mbedtls/pk.h>
#include <stddef.h>

int idf_pk_parse_key(mbedtls_pk_context* pk, const unsigned char* key, size_t keylen, const unsigned char* pwd,
                     size_t pwdlen);
