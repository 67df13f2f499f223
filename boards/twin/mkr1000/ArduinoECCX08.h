// ArduinoECCX08 (arduino-libraries/ArduinoECCX08 1.3.x API) emulated: a provisioned, locked ECC508 whose
// slots hold NIST P-256 keys. Slot keys come from the world file (`eccSlots: { "0": "/path/key.pem" }`,
// read by ecc_slots.cpp); generatePrivateKey() makes a fresh key in memory (lost when the twin exits).
#pragma once
#include "Arduino.h"

class ECCX08Class {
 public:
  int begin();
  int begin(uint8_t i2cAddress) { (void)i2cAddress; return begin(); }
  void end() {}
  String serialNumber();
  long random(long max);
  long random(long min, long max);
  int random(byte data[], size_t length);
  // 64-byte X||Y public key out; 1 on success.
  int generatePrivateKey(int slot, byte publicKey[]);
  int generatePublicKey(int slot, byte publicKey[]);
  // P-256 ECDSA on a 32-byte message digest; signature is 64 bytes r||s.
  int ecdsaVerify(const byte message[], const byte signature[], const byte pubkey[]);
  int ecSign(int slot, const byte message[], byte signature[]);
  int beginSHA256();
  int updateSHA256(const byte data[]);  // 64-byte block
  int endSHA256(byte result[]);
  int endSHA256(const byte data[], int length, byte result[]);
  int readSlot(int slot, byte data[], int length);
  int writeSlot(int slot, const byte data[], int length);
  int locked() { return 1; }
  int writeConfiguration(const byte data[] = nullptr) { (void)data; return 1; }
  int readConfiguration(byte data[]);
  int lock() { return 1; }

 private:
  int sha_ = 0;
};
extern ECCX08Class ECCX08;

// ECCX08_DEFAULT_TLS_CONFIG (utility/ECCX08DefaultTLSConfig.h) exists on the real library; contents unused here.
extern const byte ECCX08_DEFAULT_TLS_CONFIG[128];
