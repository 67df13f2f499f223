// The emulated ECC508's key slots (P-256 private scalars), loaded from the world file's `eccSlots`.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace twin_ecc {
// 32-byte private scalar of `slot`, or nullptr when the slot holds no key.
const uint8_t* slotKey(int slot);
// Replaces the key in `slot` (generatePrivateKey).
void setSlotKey(int slot, const uint8_t key[32]);
void randomBytes(uint8_t* out, size_t len);
// Loads the world's slots now (a bad `eccSlots` entry ends the twin with a clear message, exit 78).
void loadSlots();
}  // namespace twin_ecc
