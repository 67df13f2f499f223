// See ArduinoJson.h. Output format follows ArduinoJson 6 (compact: no spaces; pretty: "\r\n" and two spaces).
#include "ArduinoJson.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace twinjson {

Node* Node::member(const std::string& key, bool create) {
  if (kind == Object) {
    for (auto& m : members) if (m.first == key) return m.second.get();
  }
  if (!create) return nullptr;
  if (kind != Object) { clear(); kind = Object; }
  members.emplace_back(key, std::unique_ptr<Node>(new Node()));
  return members.back().second.get();
}

static void writeString(const std::string& s, std::string& out) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out += (char)c;
    }
  }
  out += '"';
}

static void writeFloat(double v, std::string& out) {
  if (isnan(v)) { out += "NaN"; return; }
  if (isinf(v)) { out += v > 0 ? "Infinity" : "-Infinity"; return; }
  char buf[32];
  snprintf(buf, sizeof buf, "%.9g", v);
  out += buf;
}

static void newline(std::string& out, int indent, int depth) {
  out += "\r\n";
  out.append((size_t)(indent * depth), ' ');
}

void write(const Node* n, std::string& out, int indent, int depth) {
  switch (n->kind) {
    case Node::Null: out += "null"; break;
    case Node::Bool: out += n->b ? "true" : "false"; break;
    case Node::Int: out += std::to_string(n->i); break;
    case Node::Float: writeFloat(n->f, out); break;
    case Node::Str: writeString(n->s, out); break;
    case Node::Object:
      if (n->members.empty()) { out += "{}"; break; }
      out += '{';
      for (size_t k = 0; k < n->members.size(); k++) {
        if (k) out += ',';
        if (indent) newline(out, indent, depth + 1);
        writeString(n->members[k].first, out);
        out += indent ? ": " : ":";
        write(n->members[k].second.get(), out, indent, depth + 1);
      }
      if (indent) newline(out, indent, depth);
      out += '}';
      break;
    case Node::Array:
      if (n->items.empty()) { out += "[]"; break; }
      out += '[';
      for (size_t k = 0; k < n->items.size(); k++) {
        if (k) out += ',';
        if (indent) newline(out, indent, depth + 1);
        write(n->items[k].get(), out, indent, depth + 1);
      }
      if (indent) newline(out, indent, depth);
      out += ']';
      break;
  }
}

static const char* ws(const char* p, const char* end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
  return p;
}

static const char* parseString(std::string& s, const char* p, const char* end, int& err) {
  char quote = *p++;
  while (p < end && *p != quote) {
    if (*p == '\\' && p + 1 < end) {
      p++;
      switch (*p) {
        case 'n': s += '\n'; break;
        case 'r': s += '\r'; break;
        case 't': s += '\t'; break;
        case 'b': s += '\b'; break;
        case 'f': s += '\f'; break;
        case 'u': {
          if (end - p < 5) { err = DeserializationError::IncompleteInput; return end; }
          unsigned v = (unsigned)strtoul(std::string(p + 1, 4).c_str(), nullptr, 16);
          if (v < 0x80) s += (char)v;
          else if (v < 0x800) { s += (char)(0xC0 | (v >> 6)); s += (char)(0x80 | (v & 0x3F)); }
          else { s += (char)(0xE0 | (v >> 12)); s += (char)(0x80 | ((v >> 6) & 0x3F)); s += (char)(0x80 | (v & 0x3F)); }
          p += 4;
          break;
        }
        default: s += *p;
      }
      p++;
    } else {
      s += *p++;
    }
  }
  if (p >= end) { err = DeserializationError::IncompleteInput; return end; }
  return p + 1;
}

const char* parse(Node* n, const char* p, const char* end, int depth, int& err) {
  if (depth > 10) { err = DeserializationError::TooDeep; return end; }
  p = ws(p, end);
  if (p >= end) { err = DeserializationError::IncompleteInput; return end; }
  if (*p == '{') {
    n->clear(); n->kind = Node::Object;
    p = ws(p + 1, end);
    if (p < end && *p == '}') return p + 1;
    for (;;) {
      p = ws(p, end);
      if (p >= end) { err = DeserializationError::IncompleteInput; return end; }
      if (*p != '"' && *p != '\'') { err = DeserializationError::InvalidInput; return end; }
      std::string key;
      p = parseString(key, p, end, err);
      if (err) return end;
      p = ws(p, end);
      if (p >= end) { err = DeserializationError::IncompleteInput; return end; }
      if (*p != ':') { err = DeserializationError::InvalidInput; return end; }
      p = parse(n->member(key, true), p + 1, end, depth + 1, err);
      if (err) return end;
      p = ws(p, end);
      if (p >= end) { err = DeserializationError::IncompleteInput; return end; }
      if (*p == ',') { p++; continue; }
      if (*p == '}') return p + 1;
      err = DeserializationError::InvalidInput;
      return end;
    }
  }
  if (*p == '[') {
    n->clear(); n->kind = Node::Array;
    p = ws(p + 1, end);
    if (p < end && *p == ']') return p + 1;
    for (;;) {
      p = parse(n->append(), p, end, depth + 1, err);
      if (err) return end;
      p = ws(p, end);
      if (p >= end) { err = DeserializationError::IncompleteInput; return end; }
      if (*p == ',') { p++; continue; }
      if (*p == ']') return p + 1;
      err = DeserializationError::InvalidInput;
      return end;
    }
  }
  if (*p == '"' || *p == '\'') {
    n->clear(); n->kind = Node::Str;
    return parseString(n->s, p, end, err);
  }
  const char* b = p;
  while (p < end && !strchr(",]} \t\r\n", *p)) p++;
  std::string tok(b, p);
  n->clear();
  if (tok == "null") return p;
  if (tok == "true" || tok == "false") { n->kind = Node::Bool; n->b = tok == "true"; return p; }
  char* stop = nullptr;
  long long iv = strtoll(tok.c_str(), &stop, 10);
  if (!tok.empty() && *stop == 0) { n->kind = Node::Int; n->i = iv; return p; }
  double dv = strtod(tok.c_str(), &stop);
  if (!tok.empty() && *stop == 0) { n->kind = Node::Float; n->f = dv; return p; }
  err = DeserializationError::InvalidInput;
  return end;
}
}  // namespace twinjson

using twinjson::Node;

JsonVariant JsonVariant::operator[](const char* key) const { return n_ ? JsonVariant(n_->member(key, true)) : JsonVariant(); }
JsonVariant JsonVariant::operator[](int index) const { return n_ && index >= 0 ? JsonVariant(n_->item((size_t)index)) : JsonVariant(); }
JsonObject JsonVariant::createNestedObject(const char* key) const {
  if (!n_) return JsonObject();
  Node* m = n_->member(key, true);
  m->clear(); m->kind = Node::Object;
  return JsonObject(m);
}
JsonArray JsonVariant::createNestedArray(const char* key) const {
  if (!n_) return JsonArray();
  Node* m = n_->member(key, true);
  m->clear(); m->kind = Node::Array;
  return JsonArray(m);
}
JsonObject JsonVariant::createNestedObject() const { if (!n_) return JsonObject(); Node* m = n_->append(); m->kind = Node::Object; return JsonObject(m); }
JsonArray JsonVariant::createNestedArray() const { if (!n_) return JsonArray(); Node* m = n_->append(); m->kind = Node::Array; return JsonArray(m); }
bool JsonVariant::add(const JsonVariant& v) const {
  if (!n_) return false;
  Node* dst = n_->append();
  if (v.n_) { std::string text; twinjson::write(v.n_, text, 0, 0); int err = 0; twinjson::parse(dst, text.c_str(), text.c_str() + text.size(), 0, err); }
  return true;
}
const JsonVariant& JsonVariant::operator=(const JsonVariant& v) const {
  if (n_ && v.n_ && n_ != v.n_) {
    std::string text; twinjson::write(v.n_, text, 0, 0);
    int err = 0; twinjson::parse(n_, text.c_str(), text.c_str() + text.size(), 0, err);
  }
  return *this;
}
long long JsonVariant::asInt() const {
  if (!n_) return 0;
  switch (n_->kind) {
    case Node::Int: return n_->i;
    case Node::Float: return (long long)n_->f;
    case Node::Bool: return n_->b;
    case Node::Str: return atoll(n_->s.c_str());
    default: return 0;
  }
}
double JsonVariant::asFloat() const {
  if (!n_) return 0;
  switch (n_->kind) {
    case Node::Int: return (double)n_->i;
    case Node::Float: return n_->f;
    case Node::Bool: return n_->b;
    case Node::Str: return atof(n_->s.c_str());
    default: return 0;
  }
}
String JsonVariant::convert(String*) const {
  if (!n_ || n_->kind == Node::Null) return String("null");
  if (n_->kind == Node::Str) return String(n_->s.c_str());
  std::string text; twinjson::write(n_, text, 0, 0);
  return String(text.c_str());
}
JsonObject JsonVariant::convert(JsonObject*) const { return n_ && n_->kind == Node::Object ? JsonObject(n_) : JsonObject(); }
JsonArray JsonVariant::convert(JsonArray*) const { return n_ && n_->kind == Node::Array ? JsonArray(n_) : JsonArray(); }

template <> bool JsonVariant::is<int>() const { return n_ && n_->kind == Node::Int; }
template <> bool JsonVariant::is<long>() const { return n_ && n_->kind == Node::Int; }
template <> bool JsonVariant::is<float>() const { return n_ && (n_->kind == Node::Float || n_->kind == Node::Int); }
template <> bool JsonVariant::is<double>() const { return n_ && (n_->kind == Node::Float || n_->kind == Node::Int); }
template <> bool JsonVariant::is<bool>() const { return n_ && n_->kind == Node::Bool; }
template <> bool JsonVariant::is<const char*>() const { return n_ && n_->kind == Node::Str; }
template <> bool JsonVariant::is<String>() const { return n_ && n_->kind == Node::Str; }
template <> bool JsonVariant::is<JsonObject>() const { return n_ && n_->kind == Node::Object; }
template <> bool JsonVariant::is<JsonArray>() const { return n_ && n_->kind == Node::Array; }

void JsonObject::remove(const char* key) {
  if (!n_ || n_->kind != Node::Object) return;
  for (auto it = n_->members.begin(); it != n_->members.end(); ++it)
    if (it->first == key) { n_->members.erase(it); return; }
}

const char* DeserializationError::c_str() const {
  static const char* names[] = {"Ok", "EmptyInput", "IncompleteInput", "InvalidInput", "NoMemory", "TooDeep"};
  return names[code_];
}

namespace {
std::string text(const Node* n, int indent) { std::string s; twinjson::write(n, s, indent, 0); return s; }
size_t toBuffer(const std::string& s, char* out, size_t size) {
  if (!out || size == 0) return 0;
  size_t n = s.size() < size - 1 ? s.size() : size - 1;
  memcpy(out, s.data(), n);
  out[n] = 0;
  return n;
}
}  // namespace

size_t serializeJson(const JsonDocument& d, char* out, size_t size) { return toBuffer(text(d.root(), 0), out, size); }
size_t serializeJson(const JsonDocument& d, String& out) { out = text(d.root(), 0).c_str(); return out.length(); }
size_t serializeJson(const JsonDocument& d, Print& out) { std::string s = text(d.root(), 0); return out.write((const uint8_t*)s.data(), s.size()); }
size_t serializeJsonPretty(const JsonDocument& d, char* out, size_t size) { return toBuffer(text(d.root(), 2), out, size); }
size_t serializeJsonPretty(const JsonDocument& d, String& out) { out = text(d.root(), 2).c_str(); return out.length(); }
size_t serializeJsonPretty(const JsonDocument& d, Print& out) { std::string s = text(d.root(), 2); return out.write((const uint8_t*)s.data(), s.size()); }
size_t serializeJson(const JsonVariant& v, char* out, size_t size) { return v.node() ? toBuffer(text(v.node(), 0), out, size) : toBuffer("null", out, size); }
size_t serializeJson(const JsonVariant& v, String& out) { out = v.node() ? text(v.node(), 0).c_str() : "null"; return out.length(); }
size_t serializeJson(const JsonVariant& v, Print& out) { std::string s = v.node() ? text(v.node(), 0) : "null"; return out.write((const uint8_t*)s.data(), s.size()); }
size_t measureJson(const JsonDocument& d) { return text(d.root(), 0).size(); }
size_t measureJsonPretty(const JsonDocument& d) { return text(d.root(), 2).size(); }

DeserializationError deserializeJson(JsonDocument& doc, const char* input, size_t len) {
  doc.clear();
  if (!input) return DeserializationError::EmptyInput;
  const char* end = input + len;
  const char* p = input;
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
  if (p >= end || *p == 0) return DeserializationError::EmptyInput;
  int err = 0;
  twinjson::parse(doc.root(), p, end, 0, err);
  if (err) doc.clear();
  return DeserializationError((DeserializationError::Code)err);
}
DeserializationError deserializeJson(JsonDocument& doc, const char* input) { return deserializeJson(doc, input, input ? strlen(input) : 0); }
DeserializationError deserializeJson(JsonDocument& doc, const uint8_t* input, size_t len) { return deserializeJson(doc, (const char*)input, len); }
DeserializationError deserializeJson(JsonDocument& doc, char* input, size_t len) { return deserializeJson(doc, (const char*)input, len); }
DeserializationError deserializeJson(JsonDocument& doc, const String& input) { return deserializeJson(doc, input.c_str(), input.length()); }
DeserializationError deserializeJson(JsonDocument& doc, Stream& input) {
  String s = input.readString();
  return deserializeJson(doc, s.c_str(), s.length());
}
