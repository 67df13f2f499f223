// The emulated ECC508/608: P-256 keys per slot (ecc_slots.cpp), ECDSA through libbearssl.
#include <bearssl/bearssl.h>

#include "ArduinoECCX08.h"
#include "ecc_slots.h"

ECCX08Class ECCX08;
const byte ECCX08_DEFAULT_TLS_CONFIG[128] = {0};

namespace {
br_sha256_context g_sha;

// 64-byte X||Y of the slot's public key; false when the slot is empty.
bool publicOf(int slot, byte out[64]) {
  const uint8_t* x = twin_ecc::slotKey(slot);
  if (!x) return false;
  br_ec_private_key sk{BR_EC_secp256r1, const_cast<uint8_t*>(x), 32};
  unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE];
  br_ec_public_key pk;
  if (br_ec_compute_pub(&br_ec_p256_m31, &pk, q, &sk) != 65) return false;
  memcpy(out, pk.q + 1, 64);
  return true;
}
}  // namespace

int ECCX08Class::begin() {
  twin_ecc::loadSlots();
  return 1;
}

String ECCX08Class::serialNumber() { return String("0123A1B2C3D4E5F6EE"); }

long ECCX08Class::random(long max) { return random(0, max); }
long ECCX08Class::random(long min, long max) {
  if (min >= max) return min;
  uint32_t r;
  twin_ecc::randomBytes((uint8_t*)&r, sizeof r);
  return min + (long)(r % (uint32_t)(max - min));
}
int ECCX08Class::random(byte data[], size_t length) {
  twin_ecc::randomBytes(data, length);
  return 1;
}

int ECCX08Class::generatePrivateKey(int slot, byte publicKey[]) {
  if (slot < 0 || slot > 15) return 0;
  uint8_t x[32];
  // A uniformly random 256-bit value below the P-256 order (rejection sampling via compute_pub's check).
  for (int tries = 0; tries < 16; tries++) {
    twin_ecc::randomBytes(x, 32);
    br_ec_private_key sk{BR_EC_secp256r1, x, 32};
    unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE];
    br_ec_public_key pk;
    if (br_ec_compute_pub(&br_ec_p256_m31, &pk, q, &sk) == 65) {
      twin_ecc::setSlotKey(slot, x);
      memcpy(publicKey, pk.q + 1, 64);
      return 1;
    }
  }
  return 0;
}

int ECCX08Class::generatePublicKey(int slot, byte publicKey[]) { return publicOf(slot, publicKey) ? 1 : 0; }

int ECCX08Class::ecSign(int slot, const byte message[], byte signature[]) {
  const uint8_t* x = twin_ecc::slotKey(slot);
  if (!x) return 0;
  br_ec_private_key sk{BR_EC_secp256r1, const_cast<uint8_t*>(x), 32};
  size_t n = br_ecdsa_i31_sign_raw(&br_ec_p256_m31, &br_sha256_vtable, message, &sk, signature);
  return n == 64 ? 1 : 0;
}

int ECCX08Class::ecdsaVerify(const byte message[], const byte signature[], const byte pubkey[]) {
  unsigned char q[65];
  q[0] = 0x04;
  memcpy(q + 1, pubkey, 64);
  br_ec_public_key pk{BR_EC_secp256r1, q, 65};
  return br_ecdsa_i31_vrfy_raw(&br_ec_p256_m31, message, 32, &pk, signature, 64) ? 1 : 0;
}

int ECCX08Class::beginSHA256() { br_sha256_init(&g_sha); sha_ = 1; return 1; }
int ECCX08Class::updateSHA256(const byte data[]) {
  if (!sha_) return 0;
  br_sha256_update(&g_sha, data, 64);
  return 1;
}
int ECCX08Class::endSHA256(byte result[]) { return endSHA256(nullptr, 0, result); }
int ECCX08Class::endSHA256(const byte data[], int length, byte result[]) {
  if (!sha_ || length < 0 || length > 64) return 0;
  if (length) br_sha256_update(&g_sha, data, (size_t)length);
  br_sha256_out(&g_sha, result);
  sha_ = 0;
  return 1;
}

int ECCX08Class::readSlot(int slot, byte data[], int length) {
  (void)slot;
  memset(data, 0, (size_t)length);
  return 1;
}
int ECCX08Class::writeSlot(int slot, const byte data[], int length) {
  (void)slot; (void)data; (void)length;
  return 1;
}
int ECCX08Class::readConfiguration(byte data[]) {
  memset(data, 0, 128);
  return 1;
}
