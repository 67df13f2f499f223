// The ESP32's RSA accelerator as the board's mbedTLS sees it (docs/tls-esp32.md §4 "RSA > 4096 bits", §6 "RSA-8192
// key ... Debian connects: the twin must emulate"). arduino-esp32 builds mbedTLS with CONFIG_MBEDTLS_HARDWARE_MPI=y
// and without CONFIG_MBEDTLS_LARGE_KEY_SOFTWARE_MPI (2.0.14 sdkconfig.h; 3.x per §2), so esp_config.h defines
// MBEDTLS_MPI_EXP_MOD_ALT and esp-idf components/mbedtls/port/esp_bignum.c's mbedtls_mpi_exp_mod() returns
// MBEDTLS_ERR_MPI_NOT_ACCEPTABLE (-0x000E) when any operand needs more than SOC_RSA_MAX_BIT_LEN (4096) bits, with no
// software fallback. (MBEDTLS_MPI_MAX_SIZE stays mbedTLS's default 1024 bytes there, so an RSA-8192 key still
// parses: the failure comes at the first RSA/DHM operation with it.) Consequences on a board, reproduced here:
//  - an RSA-8192 CA cannot check its child's signature: the chain has no trusted parent -> flags 0x08, -9984;
//  - an RSA-8192 server key cannot verify ServerKeyExchange: -0x428E (-17038) "RSA - The public key operation
//    failed : BIGNUM - The input arguments are not acceptable".
// Debian's libmbedcrypto calls mbedtls_mpi_exp_mod through its PLT, so this definition in the twin binary
// interposes on every call (RSA, DHM) and hands the rest to the library's own implementation.
#include <dlfcn.h>
#include <mbedtls/bignum.h>
#include <stdio.h>
#include <stdlib.h>

#include "ssl_client.h"
#include "tls_build.h"
#include "twin_world.h"

namespace {
using ExpMod = int (*)(mbedtls_mpi*, const mbedtls_mpi*, const mbedtls_mpi*, const mbedtls_mpi*, mbedtls_mpi*);

ExpMod libraryExpMod() {
  static ExpMod next = reinterpret_cast<ExpMod>(dlsym(RTLD_NEXT, "mbedtls_mpi_exp_mod"));
  if (!next) {
    fprintf(stderr, "twin: cannot find libmbedcrypto's mbedtls_mpi_exp_mod: %s\n", dlerror());
    abort();
  }
  return next;
}
}  // namespace

extern "C" int mbedtls_mpi_exp_mod(mbedtls_mpi* X, const mbedtls_mpi* A, const mbedtls_mpi* E, const mbedtls_mpi* N,
                                   mbedtls_mpi* RR) {
  size_t bits = mbedtls_mpi_bitlen(A);
  if (mbedtls_mpi_bitlen(E) > bits) bits = mbedtls_mpi_bitlen(E);
  if (mbedtls_mpi_bitlen(N) > bits) bits = mbedtls_mpi_bitlen(N);
  // esp_bignum.c rounds the longest operand up to whole 512-bit hardware blocks and compares with 4096 bits;
  // for the ESP32 that is the same as "longer than 4096 bits".
  // tls.rsaMaxBits: another chip's accelerator (ESP32-C3: 3072), or CONFIG_MBEDTLS_LARGE_KEY_SOFTWARE_MPI (no limit).
  const size_t limit = esp32_rsa_max_bits();
  if (limit > 0 && bits > limit) {
    twin::fact("esp32-hw-mpi-too-long:%zu", bits);
    return MBEDTLS_ERR_MPI_NOT_ACCEPTABLE;
  }
  return libraryExpMod()(X, A, E, N, RR);
}

void esp32_hw_mpi_link() {}
