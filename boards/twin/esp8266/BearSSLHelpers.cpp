// X509List / PrivateKey / PublicKey on Debian libbearssl (behaviour of BearSSLHelpers.cpp @3.1.2).
#include "BearSSLHelpers.h"

namespace BearSSL {
namespace detail {

namespace {
void appendBytes(void* ctx, const void* data, size_t len) {
  auto* v = static_cast<std::vector<uint8_t>*>(ctx);
  v->insert(v->end(), (const uint8_t*)data, (const uint8_t*)data + len);
}

// Minimal DER reader: tag + definite length.
struct Der {
  const uint8_t* p;
  const uint8_t* end;
  bool next(uint8_t& tag, const uint8_t*& body, size_t& len, const uint8_t** whole = nullptr) {
    if (end - p < 2) return false;
    const uint8_t* start = p;
    tag = *p++;
    size_t l = *p++;
    if (l & 0x80) {
      int n = l & 0x7f;
      if (n == 0 || n > 3 || end - p < n) return false;
      l = 0;
      while (n--) l = (l << 8) | *p++;
    }
    if ((size_t)(end - p) < l) return false;
    body = p;
    len = l;
    p += l;
    if (whole) *whole = start;
    return true;
  }
};
}  // namespace

bool pemObjects(const char* text, size_t len, std::vector<std::pair<std::string, std::vector<uint8_t>>>& out) {
  br_pem_decoder_context pc;
  br_pem_decoder_init(&pc);
  std::vector<uint8_t> cur;
  std::string name;
  bool inObj = false;
  // A final newline makes the decoder see the END line even when the input lacks one.
  std::string buf(text, len);
  buf += "\n";
  const char* p = buf.c_str();
  size_t left = buf.size();
  while (left > 0) {
    size_t n = br_pem_decoder_push(&pc, p, left);
    p += n;
    left -= n;
    switch (br_pem_decoder_event(&pc)) {
      case BR_PEM_BEGIN_OBJ:
        name = br_pem_decoder_name(&pc);
        cur.clear();
        inObj = true;
        br_pem_decoder_setdest(&pc, appendBytes, &cur);
        break;
      case BR_PEM_END_OBJ:
        if (inObj) out.emplace_back(name, cur);
        inObj = false;
        break;
      case BR_PEM_ERROR:
        return false;
      default:
        break;
    }
  }
  return !inObj;
}

bool certIssuerSubject(const uint8_t* der, size_t len, std::vector<uint8_t>& issuer, std::vector<uint8_t>& subject) {
  Der d{der, der + len};
  uint8_t tag;
  const uint8_t* body;
  size_t l;
  if (!d.next(tag, body, l) || tag != 0x30) return false;  // Certificate
  Der c{body, body + l};
  if (!c.next(tag, body, l) || tag != 0x30) return false;  // TBSCertificate
  Der t{body, body + l};
  const uint8_t* whole;
  if (!t.next(tag, body, l)) return false;
  if (tag == 0xa0 && !t.next(tag, body, l)) return false;  // [0] version, then serial
  if (!t.next(tag, body, l)) return false;                  // signature algorithm
  if (!t.next(tag, body, l, &whole) || tag != 0x30) return false;  // issuer
  issuer.assign(whole, body + l);
  if (!t.next(tag, body, l)) return false;                  // validity
  if (!t.next(tag, body, l, &whole) || tag != 0x30) return false;  // subject
  subject.assign(whole, body + l);
  return true;
}

}  // namespace detail

namespace {
void appendDn(void* ctx, const void* d, size_t l) {
  auto* v = static_cast<std::vector<uint8_t>*>(ctx);
  v->insert(v->end(), (const uint8_t*)d, (const uint8_t*)d + l);
}

bool looksPem(const uint8_t* data, size_t len) {
  const char* marker = "-----BEGIN ";
  size_t m = strlen(marker);
  for (size_t i = 0; i + m <= len; i++) {
    if (memcmp(data + i, marker, m) == 0) return true;
    if (data[i] != ' ' && data[i] != '\n' && data[i] != '\r' && data[i] != '\t') return false;
  }
  return false;
}

// The key inside a SubjectPublicKeyInfo (no public-key decoder in BearSSL 0.6).
bool parseSpki(const uint8_t* der, size_t len, int& type, std::vector<uint8_t>& a, std::vector<uint8_t>& b, int& curve) {
  static const uint8_t kRsa[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
  static const uint8_t kEc[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
  static const uint8_t kP256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
  static const uint8_t kP384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
  static const uint8_t kP521[] = {0x2b, 0x81, 0x04, 0x00, 0x23};
  auto next = [](const uint8_t*& p, const uint8_t* end, uint8_t& tag, const uint8_t*& body, size_t& l) {
    if (end - p < 2) return false;
    tag = *p++;
    l = *p++;
    if (l & 0x80) {
      int n = l & 0x7f;
      if (n == 0 || n > 3 || end - p < n) return false;
      l = 0;
      while (n--) l = (l << 8) | *p++;
    }
    if ((size_t)(end - p) < l) return false;
    body = p;
    p += l;
    return true;
  };
  const uint8_t* p = der;
  const uint8_t* end = der + len;
  uint8_t tag;
  const uint8_t* body;
  size_t l;
  if (!next(p, end, tag, body, l) || tag != 0x30) return false;
  const uint8_t* q = body;
  const uint8_t* qend = body + l;
  const uint8_t* algBody;
  size_t algLen;
  if (!next(q, qend, tag, algBody, algLen) || tag != 0x30) return false;
  const uint8_t* bits;
  size_t bitsLen;
  if (!next(q, qend, tag, bits, bitsLen) || tag != 0x03 || bitsLen < 1 || bits[0] != 0) return false;
  bits++;
  bitsLen--;
  const uint8_t* r = algBody;
  const uint8_t* rend = algBody + algLen;
  const uint8_t* oid;
  size_t oidLen;
  if (!next(r, rend, tag, oid, oidLen) || tag != 0x06) return false;
  if (oidLen == sizeof kRsa && memcmp(oid, kRsa, oidLen) == 0) {
    const uint8_t* s = bits;
    const uint8_t* send = bits + bitsLen;
    const uint8_t *seq, *n, *e;
    size_t seqLen, nLen, eLen;
    if (!next(s, send, tag, seq, seqLen) || tag != 0x30) return false;
    const uint8_t* t = seq;
    if (!next(t, seq + seqLen, tag, n, nLen) || tag != 0x02) return false;
    if (!next(t, seq + seqLen, tag, e, eLen) || tag != 0x02) return false;
    while (nLen > 1 && *n == 0) { n++; nLen--; }
    while (eLen > 1 && *e == 0) { e++; eLen--; }
    a.assign(n, n + nLen);
    b.assign(e, e + eLen);
    type = BR_KEYTYPE_RSA;
    return true;
  }
  if (oidLen == sizeof kEc && memcmp(oid, kEc, oidLen) == 0) {
    const uint8_t* c;
    size_t cLen;
    if (!next(r, rend, tag, c, cLen) || tag != 0x06) return false;
    if (cLen == sizeof kP256 && memcmp(c, kP256, cLen) == 0) curve = BR_EC_secp256r1;
    else if (cLen == sizeof kP384 && memcmp(c, kP384, cLen) == 0) curve = BR_EC_secp384r1;
    else if (cLen == sizeof kP521 && memcmp(c, kP521, cLen) == 0) curve = BR_EC_secp521r1;
    else return false;
    a.assign(bits, bits + bitsLen);
    type = BR_KEYTYPE_EC;
    return true;
  }
  return false;
}
}  // namespace

bool PublicKey::parse(const uint8_t* data, size_t len) {
  type_ = 0;
  std::vector<uint8_t> der;
  if (looksPem(data, len)) {
    std::vector<std::pair<std::string, std::vector<uint8_t>>> objs;
    if (!detail::pemObjects((const char*)data, len, objs)) return false;
    for (auto& o : objs) if (o.first == "PUBLIC KEY") { der = o.second; break; }
    if (der.empty()) return false;
  } else {
    der.assign(data, data + len);
  }
  int type = 0, curve = 0;
  if (!parseSpki(der.data(), der.size(), type, a_, b_, curve)) return false;
  type_ = type;
  if (type == BR_KEYTYPE_RSA) rsa_ = {a_.data(), a_.size(), b_.data(), b_.size()};
  else ec_ = {curve, a_.data(), a_.size()};
  return true;
}

bool PrivateKey::parse(const uint8_t* data, size_t len) {
  ok_ = false;
  dec_.reset(new br_skey_decoder_context);
  br_skey_decoder_init(dec_.get());
  if (looksPem(data, len)) {
    std::vector<std::pair<std::string, std::vector<uint8_t>>> objs;
    if (!detail::pemObjects((const char*)data, len, objs)) return false;
    for (auto& o : objs) {
      if (o.first == "RSA PRIVATE KEY" || o.first == "EC PRIVATE KEY" || o.first == "PRIVATE KEY") {
        br_skey_decoder_push(dec_.get(), o.second.data(), o.second.size());
        ok_ = br_skey_decoder_last_error(dec_.get()) == 0 && br_skey_decoder_key_type(dec_.get()) != 0;
        return ok_;
      }
    }
    return false;
  }
  br_skey_decoder_push(dec_.get(), data, len);
  ok_ = br_skey_decoder_last_error(dec_.get()) == 0 && br_skey_decoder_key_type(dec_.get()) != 0;
  return ok_;
}

bool X509List::append(const char* pemCert) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> objs;
  if (!detail::pemObjects(pemCert, strlen(pemCert), objs)) return false;
  bool any = false;
  for (auto& o : objs) {
    if (o.first != "CERTIFICATE" && o.first != "X509 CERTIFICATE") continue;
    if (!appendDer(o.second.data(), o.second.size())) return false;
    any = true;
  }
  return any;
}

// Like the core's brssl::read_certificates (BearSSLHelpers.cpp:796-799 at 2.7.4): the bytes may be PEM or DER, so a
// PEM file read from flash works as well as a .der one.
bool X509List::append(const uint8_t* derCert, size_t derLen) {
  if (!looksPem(derCert, derLen)) return appendDer(derCert, derLen);
  std::string text((const char*)derCert, derLen);
  return append(text.c_str());
}

bool X509List::appendDer(const uint8_t* derCert, size_t derLen) {
  std::unique_ptr<Owned> own(new Owned);
  own->der.assign(derCert, derCert + derLen);
  br_x509_decoder_context dc;
  br_x509_decoder_init(&dc, appendDn, &own->dn);
  br_x509_decoder_push(&dc, own->der.data(), own->der.size());
  const br_x509_pkey* pk = br_x509_decoder_get_pkey(&dc);
  if (!pk) return false;
  br_x509_trust_anchor ta{};
  ta.flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
  ta.pkey.key_type = pk->key_type;
  if (pk->key_type == BR_KEYTYPE_RSA) {
    own->k1.assign(pk->key.rsa.n, pk->key.rsa.n + pk->key.rsa.nlen);
    own->k2.assign(pk->key.rsa.e, pk->key.rsa.e + pk->key.rsa.elen);
  } else {
    own->k1.assign(pk->key.ec.q, pk->key.ec.q + pk->key.ec.qlen);
  }
  certs_.push_back({own->der.data(), own->der.size()});
  if (pk->key_type == BR_KEYTYPE_RSA) {
    ta.pkey.key.rsa = {own->k1.data(), own->k1.size(), own->k2.data(), own->k2.size()};
  } else {
    ta.pkey.key.ec = {pk->key.ec.curve, own->k1.data(), own->k1.size()};
  }
  ta.dn = {own->dn.data(), own->dn.size()};
  tas_.push_back(ta);
  owned_.push_back(std::move(own));
  return true;
}

}  // namespace BearSSL
