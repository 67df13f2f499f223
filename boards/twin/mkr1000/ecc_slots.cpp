// Reads `eccSlots` from the world file (env RIG_TWIN_WORLD; schema rig/twin/world.ts):
//   "eccSlots": { "0": "/abs/path/slot0-key.pem", ... }   slot 0..15 -> PEM P-256 private key (SEC1 or PKCS#8)
// The core's world reader skips fields it does not know, so this board folder parses its own field.
#include "ecc_slots.h"

#include <bearssl/bearssl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

namespace twin_ecc {
namespace {

[[noreturn]] void fail(const char* file, const std::string& what) {
  fprintf(stderr, "twin: world file %s: %s\n", file, what.c_str());
  exit(78);
}

std::string readFile(const char* path, bool& ok) {
  ok = false;
  FILE* f = fopen(path, "rb");
  if (!f) return "";
  std::string s;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  fclose(f);
  ok = true;
  return s;
}

void appendVec(void* ctx, const void* d, size_t l) {
  auto* v = static_cast<std::vector<uint8_t>*>(ctx);
  v->insert(v->end(), (const uint8_t*)d, (const uint8_t*)d + l);
}

// P-256 private scalar from a PEM key file; exits with a clear error otherwise.
std::vector<uint8_t> loadKey(const char* world, const std::string& field, const std::string& path) {
  bool ok;
  std::string pem = readFile(path.c_str(), ok);
  if (!ok) fail(world, field + ": cannot read " + path + ": " + strerror(errno));
  pem += "\n";
  br_pem_decoder_context pc;
  br_pem_decoder_init(&pc);
  std::vector<uint8_t> der;
  std::string name;
  const char* p = pem.c_str();
  size_t left = pem.size();
  bool done = false;
  while (left && !done) {
    size_t n = br_pem_decoder_push(&pc, p, left);
    p += n;
    left -= n;
    switch (br_pem_decoder_event(&pc)) {
      case BR_PEM_BEGIN_OBJ:
        name = br_pem_decoder_name(&pc);
        der.clear();
        br_pem_decoder_setdest(&pc, appendVec, &der);
        break;
      case BR_PEM_END_OBJ:
        if (name == "EC PRIVATE KEY" || name == "PRIVATE KEY") done = true;
        break;
      case BR_PEM_ERROR:
        fail(world, field + ": " + path + " is not PEM");
    }
  }
  if (!done) fail(world, field + ": " + path + " holds no EC PRIVATE KEY / PRIVATE KEY");
  br_skey_decoder_context sk;
  br_skey_decoder_init(&sk);
  br_skey_decoder_push(&sk, der.data(), der.size());
  const br_ec_private_key* ec = br_skey_decoder_get_ec(&sk);
  if (br_skey_decoder_last_error(&sk) || !ec) fail(world, field + ": " + path + " is not an EC private key");
  if (ec->curve != BR_EC_secp256r1) fail(world, field + ": " + path + ": the ECC508 holds NIST P-256 keys only");
  std::vector<uint8_t> x(32, 0);
  if (ec->xlen > 32) fail(world, field + ": bad key length");
  memcpy(x.data() + 32 - ec->xlen, ec->x, ec->xlen);
  return x;
}

// Tiny scanner for `"eccSlots": { "<n>": "<path>", ... }` at any depth (the key is unique in the schema).
std::map<int, std::vector<uint8_t>> load() {
  std::map<int, std::vector<uint8_t>> slots;
  const char* world = getenv("RIG_TWIN_WORLD");
  if (!world || !*world) return slots;
  bool ok;
  std::string text = readFile(world, ok);
  if (!ok) return slots;  // the core's reader reports unreadable world files
  size_t at = text.find("\"eccSlots\"");
  if (at == std::string::npos) return slots;
  size_t i = at + 10;
  auto ws = [&]() { while (i < text.size() && strchr(" \t\r\n", text[i])) i++; };
  auto str = [&](const char* what) {
    ws();
    if (i >= text.size() || text[i] != '"') fail(world, std::string("eccSlots: expected a string for ") + what);
    std::string out;
    for (i++; i < text.size() && text[i] != '"'; i++) {
      if (text[i] == '\\' && i + 1 < text.size()) i++;
      out += text[i];
    }
    if (i >= text.size()) fail(world, "eccSlots: unterminated string");
    i++;
    return out;
  };
  ws();
  if (text[i] != ':') fail(world, "eccSlots: expected ':'");
  i++;
  ws();
  if (text[i] != '{') fail(world, "eccSlots must be an object of slot number -> PEM key path");
  i++;
  ws();
  if (text[i] == '}') return slots;
  for (;;) {
    std::string key = str("a slot number");
    char* end = nullptr;
    long slot = strtol(key.c_str(), &end, 10);
    if (key.empty() || *end || slot < 0 || slot > 15) fail(world, "eccSlots: slot '" + key + "' must be 0..15");
    ws();
    if (text[i] != ':') fail(world, "eccSlots: expected ':'");
    i++;
    std::string path = str("a key path");
    slots[(int)slot] = loadKey(world, "eccSlots." + key, path);
    ws();
    if (text[i] == ',') { i++; continue; }
    if (text[i] == '}') break;
    fail(world, "eccSlots: expected ',' or '}'");
  }
  return slots;
}

std::map<int, std::vector<uint8_t>>& slots() {
  static std::map<int, std::vector<uint8_t>> s = load();
  return s;
}
}  // namespace

const uint8_t* slotKey(int slot) {
  auto it = slots().find(slot);
  return it == slots().end() ? nullptr : it->second.data();
}

void loadSlots() { slots(); }

void setSlotKey(int slot, const uint8_t key[32]) { slots()[slot].assign(key, key + 32); }

void randomBytes(uint8_t* out, size_t len) {
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  size_t got = 0;
  while (fd >= 0 && got < len) {
    ssize_t n = read(fd, out + got, len - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  if (fd >= 0) close(fd);
  for (; got < len; got++) out[got] = (uint8_t)::random();
}
}  // namespace twin_ecc
