// Minimal ArduinoJson 6 subset for the twin (inert shim, own code): documents of objects/arrays/scalars,
// doc["k"] = v, nested objects/arrays, as<T>(), serializeJson / serializeJsonPretty ("\r\n", two spaces),
// measureJson, deserializeJson. Capacity is not enforced (a board could overflow where the twin does not).
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>
#include "Arduino.h"

namespace twinjson {
struct Node {
  enum Kind { Null, Bool, Int, Float, Str, Object, Array } kind = Null;
  bool b = false;
  long long i = 0;
  double f = 0;
  std::string s;
  std::vector<std::pair<std::string, std::unique_ptr<Node>>> members;
  std::vector<std::unique_ptr<Node>> items;
  void clear() { kind = Null; s.clear(); members.clear(); items.clear(); }
  Node* member(const std::string& key, bool create);
  Node* item(size_t index) { return index < items.size() ? items[index].get() : nullptr; }
  Node* append() { if (kind != Array) { clear(); kind = Array; } items.emplace_back(new Node()); return items.back().get(); }
};
void write(const Node* n, std::string& out, int indent, int depth);
const char* parse(Node* n, const char* p, const char* end, int depth, int& err);
}  // namespace twinjson

class JsonObject;
class JsonArray;

class JsonVariant {
 public:
  JsonVariant(twinjson::Node* n = nullptr) : n_(n) {}
  bool isNull() const { return !n_ || n_->kind == twinjson::Node::Null; }
  explicit operator bool() const { return !isNull(); }

  JsonVariant operator[](const char* key) const;
  JsonVariant operator[](const String& key) const { return (*this)[key.c_str()]; }
  JsonVariant operator[](int index) const;
  bool containsKey(const char* key) const { return n_ && n_->member(key, false) != nullptr; }
  size_t size() const { return !n_ ? 0 : n_->kind == twinjson::Node::Object ? n_->members.size() : n_->kind == twinjson::Node::Array ? n_->items.size() : 0; }
  JsonObject createNestedObject(const char* key) const;
  JsonArray createNestedArray(const char* key) const;
  JsonObject createNestedObject() const;
  JsonArray createNestedArray() const;
  bool add(const JsonVariant& v) const;
  template <typename T> bool add(const T& v) const { if (!n_) return false; JsonVariant(n_->append()).set(v); return true; }
  JsonVariant addElement() const { return n_ ? JsonVariant(n_->append()) : JsonVariant(); }

  bool set(bool v) const { if (!n_) return false; n_->clear(); n_->kind = twinjson::Node::Bool; n_->b = v; return true; }
  bool set(const char* v) const { if (!n_) return false; n_->clear(); if (v) { n_->kind = twinjson::Node::Str; n_->s = v; } return true; }
  bool set(char* v) const { return set((const char*)v); }
  bool set(const String& v) const { return set(v.c_str()); }
  bool set(const __FlashStringHelper* v) const { return set(reinterpret_cast<const char*>(v)); }
  bool set(std::nullptr_t) const { if (n_) n_->clear(); return n_ != nullptr; }
  template <typename T, typename std::enable_if<std::is_integral<T>::value && !std::is_same<T, bool>::value, int>::type = 0>
  bool set(T v) const { if (!n_) return false; n_->clear(); n_->kind = twinjson::Node::Int; n_->i = (long long)v; return true; }
  template <typename T, typename std::enable_if<std::is_floating_point<T>::value, int>::type = 0>
  bool set(T v) const { if (!n_) return false; n_->clear(); n_->kind = twinjson::Node::Float; n_->f = (double)v; return true; }
  template <typename T> const JsonVariant& operator=(const T& v) const { set(v); return *this; }
  const JsonVariant& operator=(const JsonVariant& v) const;

  template <typename T> T as() const { return convert(static_cast<T*>(nullptr)); }
  template <typename T> operator T() const { return as<T>(); }
  template <typename T> bool is() const;
  twinjson::Node* node() const { return n_; }

 protected:
  long long asInt() const;
  double asFloat() const;
  template <typename T, typename std::enable_if<std::is_integral<T>::value && !std::is_same<T, bool>::value, int>::type = 0>
  T convert(T*) const { return (T)asInt(); }
  template <typename T, typename std::enable_if<std::is_floating_point<T>::value, int>::type = 0>
  T convert(T*) const { return (T)asFloat(); }
  bool convert(bool*) const { return n_ && (n_->kind == twinjson::Node::Bool ? n_->b : asInt() != 0); }
  const char* convert(const char**) const { return n_ && n_->kind == twinjson::Node::Str ? n_->s.c_str() : nullptr; }
  String convert(String*) const;
  JsonObject convert(JsonObject*) const;
  JsonArray convert(JsonArray*) const;
  JsonVariant convert(JsonVariant*) const { return *this; }

  twinjson::Node* n_;
};

class JsonObject : public JsonVariant {
 public:
  JsonObject(twinjson::Node* n = nullptr) : JsonVariant(n) {}
  void remove(const char* key);
};
class JsonArray : public JsonVariant {
 public:
  JsonArray(twinjson::Node* n = nullptr) : JsonVariant(n) {}
};
typedef JsonObject JsonObjectConst;
typedef JsonArray JsonArrayConst;
typedef JsonVariant JsonVariantConst;

class JsonDocument {
 public:
  explicit JsonDocument(size_t capacity) : capacity_(capacity) {}
  JsonVariant operator[](const char* key) { ensureObject(); return JsonVariant(root_.member(key, true)); }
  JsonVariant operator[](const String& key) { return (*this)[key.c_str()]; }
  JsonVariant operator[](int index) { return JsonVariant(&root_)[index]; }
  bool containsKey(const char* key) { return root_.member(key, false) != nullptr; }
  JsonObject createNestedObject(const char* key) { ensureObject(); return JsonVariant(&root_).createNestedObject(key); }
  JsonArray createNestedArray(const char* key) { ensureObject(); return JsonVariant(&root_).createNestedArray(key); }
  JsonObject createNestedObject() { return JsonVariant(&root_).createNestedObject(); }
  JsonArray createNestedArray() { return JsonVariant(&root_).createNestedArray(); }
  template <typename T> bool add(const T& v) { return JsonVariant(&root_).add(v); }
  template <typename T> T to() { root_.clear(); return convertTo(static_cast<T*>(nullptr)); }
  template <typename T> T as() { return JsonVariant(&root_).as<T>(); }
  template <typename T> bool is() { return JsonVariant(&root_).is<T>(); }
  bool isNull() const { return root_.kind == twinjson::Node::Null; }
  size_t size() const { return JsonVariant(const_cast<twinjson::Node*>(&root_)).size(); }
  void clear() { root_.clear(); }
  size_t capacity() const { return capacity_; }
  size_t memoryUsage() const { return 0; }
  bool overflowed() const { return false; }
  void garbageCollect() {}
  void shrinkToFit() {}
  twinjson::Node* root() { return &root_; }
  const twinjson::Node* root() const { return &root_; }
  operator JsonVariant() { return JsonVariant(&root_); }

 private:
  void ensureObject() { if (root_.kind != twinjson::Node::Object) { root_.clear(); root_.kind = twinjson::Node::Object; } }
  JsonObject convertTo(JsonObject*) { root_.kind = twinjson::Node::Object; return JsonObject(&root_); }
  JsonArray convertTo(JsonArray*) { root_.kind = twinjson::Node::Array; return JsonArray(&root_); }
  size_t capacity_;
  twinjson::Node root_;
};

template <size_t N> class StaticJsonDocument : public JsonDocument {
 public:
  StaticJsonDocument() : JsonDocument(N) {}
};
class DynamicJsonDocument : public JsonDocument {
 public:
  explicit DynamicJsonDocument(size_t capacity) : JsonDocument(capacity) {}
};

class DeserializationError {
 public:
  enum Code { Ok, EmptyInput, IncompleteInput, InvalidInput, NoMemory, TooDeep };
  DeserializationError(Code c = Ok) : code_(c) {}
  Code code() const { return code_; }
  const char* c_str() const;
  explicit operator bool() const { return code_ != Ok; }
  bool operator==(Code c) const { return code_ == c; }
  bool operator!=(Code c) const { return code_ != c; }

 private:
  Code code_;
};

// Serialization: to a char buffer, a String, or any Print (Serial, a client).
size_t serializeJson(const JsonDocument& doc, char* out, size_t size);
size_t serializeJson(const JsonDocument& doc, String& out);
size_t serializeJson(const JsonDocument& doc, Print& out);
size_t serializeJsonPretty(const JsonDocument& doc, char* out, size_t size);
size_t serializeJsonPretty(const JsonDocument& doc, String& out);
size_t serializeJsonPretty(const JsonDocument& doc, Print& out);
size_t serializeJson(const JsonVariant& v, char* out, size_t size);
size_t serializeJson(const JsonVariant& v, String& out);
size_t serializeJson(const JsonVariant& v, Print& out);
template <size_t N> size_t serializeJson(const JsonDocument& doc, char (&out)[N]) { return serializeJson(doc, out, N); }
template <size_t N> size_t serializeJsonPretty(const JsonDocument& doc, char (&out)[N]) { return serializeJsonPretty(doc, out, N); }
size_t measureJson(const JsonDocument& doc);
size_t measureJsonPretty(const JsonDocument& doc);

DeserializationError deserializeJson(JsonDocument& doc, const char* input);
DeserializationError deserializeJson(JsonDocument& doc, const char* input, size_t len);
DeserializationError deserializeJson(JsonDocument& doc, const uint8_t* input, size_t len);
DeserializationError deserializeJson(JsonDocument& doc, char* input, size_t len);
DeserializationError deserializeJson(JsonDocument& doc, const String& input);
DeserializationError deserializeJson(JsonDocument& doc, Stream& input);
