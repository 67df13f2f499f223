// See MqttClient.h. Packet layouts are MQTT 3.1.1's; the return values and connectError() codes are the
// library's (src/MqttClient.cpp: connect(IPAddress, const char*, uint16_t), poll(), endMessage()).
#include "MqttClient.h"

#include <stdio.h>
#include <string.h>

#include <algorithm>

#include "twin_world.h"

namespace {
std::string u16(uint16_t v) { return std::string{(char)(v >> 8), (char)(v & 0xff)}; }
std::string str(const char* s, size_t n) { return u16((uint16_t)n) + std::string(s, n); }
}  // namespace

bool MqttClient::sendPacket(uint8_t header, const std::string& body) {
  std::string pkt(1, (char)header);
  size_t len = body.size();
  do {
    uint8_t b = len % 128;
    len /= 128;
    if (len > 0) b |= 0x80;
    pkt += (char)b;
  } while (len > 0);
  pkt += body;
  const bool whole = _client->write((const uint8_t*)pkt.data(), pkt.size()) == pkt.size();
  _answers.sent(header);
  return whole;
}

// One whole packet into _rxType/_rxBody; false when none arrived within waitMs (0: only if already there).
bool MqttClient::readPacket(unsigned long waitMs) {
  const unsigned long start = millis();
  while (!_client->available()) {
    if (!_client->connected() || millis() - start >= waitMs) return false;
    delay(1);
  }
  auto next = [&](int& out) {
    const unsigned long t = millis();
    while (!_client->available()) {
      if (!_client->connected() || millis() - t >= 1000) return false;
      delay(1);
    }
    out = _client->read();
    return out >= 0;
  };
  int b;
  if (!next(b)) return false;
  _rxType = (uint8_t)b;
  size_t len = 0, mul = 1;
  do {
    if (!next(b)) return false;
    len += (size_t)(b & 0x7f) * mul;
    mul *= 128;
  } while ((b & 0x80) && mul <= 128 * 128 * 128);
  _rxBody.clear();
  while (_rxBody.size() < len) {
    if (!next(b)) return false;
    _rxBody += (char)b;
  }
  _lastRx = millis();
  _answers.read(_rxType);
  return true;
}

int MqttClient::connectImpl(IPAddress ip, const char* host, uint16_t port) {
  if (_client->connected()) _client->stop();
  _connected = false;
  _packetId = 0;
  _answers.reset();
  if (!(host ? _client->connect(host, port) : _client->connect(ip, port))) {
    _connectError = MQTT_CONNECTION_REFUSED;
    return 0;
  }
  _lastRx = millis();
  // Without an id the library makes one from millis(): "Arduino-%.8lx".
  String id = _id;
  if (id.length() == 0) {
    char temp[17];
    snprintf(temp, sizeof temp, "Arduino-%.8lx", (unsigned long)millis());
    id = temp;
  }
  uint8_t flags = _cleanSession ? 0x02 : 0x00;
  if (_username.length()) flags |= 0x80;
  if (_password.length()) flags |= 0x40;
  std::string body = str("MQTT", 4) + std::string{0x04, (char)flags} + u16((uint16_t)(_keepAliveInterval / 1000));
  twin::keepAliveSent((uint16_t)(_keepAliveInterval / 1000));  // virtual time keeps the broker's view of it
  body += str(id.c_str(), id.length());
  if (_username.length()) body += str(_username.c_str(), _username.length());
  if (_password.length()) body += str(_password.c_str(), _password.length());
  if (!sendPacket(0x10, body)) {
    _client->stop();
    _connectError = MQTT_SERVER_UNAVAILABLE;
    return 0;
  }
  _connectError = MQTT_CONNECTION_TIMEOUT;
  const unsigned long start = millis();
  while (millis() - start < _connectionTimeout && _client->connected()) {
    if (!readPacket(_connectionTimeout - (millis() - start))) continue;
    if ((_rxType >> 4) == 2 && _rxBody.size() == 2) {
      _connectError = (uint8_t)_rxBody[1];
      break;
    }
  }
  if (_connectError == MQTT_SUCCESS) {
    _connected = true;
    _lastPingTx = millis();
    return 1;
  }
  _client->stop();
  return 0;
}

size_t MqttClient::payloadBufferDefault() {
#if TWIN_ARDUINOMQTTCLIENT_VERSION >= 106
  return TX_PAYLOAD_BUFFER_SIZE;
#else
  return 256;  // 0.1.5 defines it in the .cpp, whatever the build says
#endif
}

int MqttClient::beginMessage(const char* topic, bool retain, uint8_t qos, bool dup) {
  (void)dup;
  if (qos != 0) return 0;  // QoS 1/2 publishing is not emulated
  _txTopic = topic;
  _txRetain = retain;
  _txPayload.clear();
  _txDropped = 0;
  _txStream = false;
  _inMessage = true;
  return 1;
}

int MqttClient::beginMessage(const char* topic, unsigned long size, bool retain, uint8_t qos, bool dup) {
  if (!beginMessage(topic, retain, qos, dup)) return 0;
  _txStream = size != 0xffffffffUL;
  return 1;
}

size_t MqttClient::write(const uint8_t* buf, size_t size) {
  if (!_inMessage) return 0;
  if (!_txStream) {
    // The library buffers at most TX_PAYLOAD_BUFFER_SIZE bytes of a message whose size was not given, and
    // silently drops the rest (write() returns less).
    size_t room = _txPayloadBufferSize - std::min(_txPayloadBufferSize, _txPayload.size());
    _txDropped += size - std::min(size, room);
    size = std::min(size, room);
  }
  _txPayload.append((const char*)buf, size);
  return size;
}

int MqttClient::endMessage() {
  _inMessage = false;
  if (_txDropped) {
    const int v = TWIN_ARDUINOMQTTCLIENT_VERSION;
    twin::fact("arduinomqttclient-too-large:publish\tArduinoMqttClient 0.%d.%d: a %zu-byte payload is cut to its "
               "%zu-byte buffer (TX_PAYLOAD_BUFFER_SIZE%s); the first %zu bytes are sent",
               v / 100 % 100, v % 100, _txPayload.size() + _txDropped, _txPayloadBufferSize,
               v >= 106 ? " or setTxPayloadSize()" : "", _txPayload.size());
  }
  std::string body = str(_txTopic.data(), _txTopic.size()) + _txPayload;
  if (!sendPacket(0x30 | (_txRetain ? 1 : 0), body)) {
    stop();
    return 0;
  }
  return 1;
}

int MqttClient::subscribe(const char* topic, uint8_t qos) {
  if (qos > 2) return 0;
  if (++_packetId == 0) _packetId = 1;
  std::string body = u16(_packetId) + str(topic, strlen(topic)) + std::string(1, (char)qos);
  if (!sendPacket(0x82, body)) {
    stop();
    return 0;
  }
  const unsigned long start = millis();
  while (millis() - start < _connectionTimeout && _client->connected()) {
    if (!readPacket(_connectionTimeout - (millis() - start))) continue;
    if ((_rxType >> 4) == 9 && _rxBody.size() == 3) {
      _subscribeQos = (uint8_t)_rxBody[2];
      return _subscribeQos <= 2;
    }
  }
  stop();
  return 0;
}

void MqttClient::poll() {
  if (!_client->connected() && !_client->available()) _connected = false;
  while (_client->available() && readPacket(0)) {
    if ((_rxType >> 4) == 3) {
      uint16_t n = (uint16_t)(((uint8_t)_rxBody[0] << 8) | (uint8_t)_rxBody[1]);
      size_t at = 2 + n + (((_rxType >> 1) & 3) ? 2 : 0);
      _rxTopic = String(_rxBody.data() + 2, n);
      _rxPayload = _rxBody.substr(std::min(at, _rxBody.size()));
      _rxPos = 0;
      _rxAvailable = (int)_rxPayload.size();
      if (_onMessage) _onMessage(_rxAvailable);
      break;
    }
  }
  if (_connected) {
    const unsigned long now = millis();
    if (now - _lastPingTx >= _keepAliveInterval) {
      _lastPingTx = now;
      sendPacket(0xC0, std::string());
    } else if (now - _lastRx >= _keepAliveInterval * 2) {
      stop();
    }
  }
}

int MqttClient::parseMessage() {
  _rxAvailable = 0;
  poll();
  return _rxAvailable;
}

int MqttClient::read() {
  uint8_t b;
  return read(&b, 1) == 1 ? b : -1;
}

int MqttClient::read(uint8_t* buf, size_t size) {
  size_t n = std::min(size, (size_t)_rxAvailable);
  memcpy(buf, _rxPayload.data() + _rxPos, n);
  _rxPos += n;
  _rxAvailable -= (int)n;
  return (int)n;
}

void MqttClient::stop() {
  if (connected()) sendPacket(0xE0, std::string());
  _connected = false;
  _answers.reset();
  _client->stop();
}
