// Behaviour follows knolleary/pubsubclient src/PubSubClient.cpp @ v2.8 (own code): buffer-size checks,
// state codes, keep-alive ping with one outstanding PINGREQ, socket timeout -> MQTT_CONNECTION_TIMEOUT.
// Buffer checks per version (docs/upstream-sources.md §10): a CONNECT that does not fit is dropped with
// _client->stop() and false from 2.7 (CHECK_STRING_LENGTH, PubSubClient.h:86 at v2.7 and v2.8); 2.6 had no check
// and wrote past its 128-byte array (PubSubClient.cpp:161-171 at v2.6); PUBLISH is refused in all three
// (PubSubClient.cpp:361 at v2.6, :382 at v2.7, :450 at v2.8).
#include "PubSubClient.h"

#include <stdlib.h>
#include <string.h>
#include "twin_world.h"

PubSubClient::PubSubClient() { resize(MQTT_MAX_PACKET_SIZE); }
PubSubClient::PubSubClient(Client& client) : PubSubClient() { setClient(client); }
PubSubClient::PubSubClient(IPAddress addr, uint16_t port, Client& client) : PubSubClient(client) { setServer(addr, port); }
PubSubClient::PubSubClient(IPAddress addr, uint16_t port, Client& client, Stream& stream) : PubSubClient(addr, port, client) { setStream(stream); }
PubSubClient::PubSubClient(IPAddress addr, uint16_t port, MQTT_CALLBACK_SIGNATURE, Client& client) : PubSubClient(addr, port, client) { setCallback(callback); }
PubSubClient::PubSubClient(IPAddress addr, uint16_t port, MQTT_CALLBACK_SIGNATURE, Client& client, Stream& stream)
    : PubSubClient(addr, port, client) { setCallback(callback); setStream(stream); }
PubSubClient::PubSubClient(uint8_t* ip, uint16_t port, Client& client) : PubSubClient(client) { setServer(ip, port); }
PubSubClient::PubSubClient(uint8_t* ip, uint16_t port, MQTT_CALLBACK_SIGNATURE, Client& client) : PubSubClient(ip, port, client) { setCallback(callback); }
PubSubClient::PubSubClient(const char* domain, uint16_t port, Client& client) : PubSubClient(client) { setServer(domain, port); }
PubSubClient::PubSubClient(const char* domain, uint16_t port, Client& client, Stream& stream) : PubSubClient(domain, port, client) { setStream(stream); }
PubSubClient::PubSubClient(const char* domain, uint16_t port, MQTT_CALLBACK_SIGNATURE, Client& client) : PubSubClient(domain, port, client) { setCallback(callback); }
PubSubClient::PubSubClient(const char* domain, uint16_t port, MQTT_CALLBACK_SIGNATURE, Client& client, Stream& stream)
    : PubSubClient(domain, port, client) { setCallback(callback); setStream(stream); }
PubSubClient::~PubSubClient() { free(buffer_); }

PubSubClient& PubSubClient::setServer(IPAddress ip, uint16_t port) { ip_ = ip; port_ = port; domain_ = nullptr; return *this; }
PubSubClient& PubSubClient::setServer(uint8_t* ip, uint16_t port) { return setServer(IPAddress(ip[0], ip[1], ip[2], ip[3]), port); }
PubSubClient& PubSubClient::setServer(const char* domain, uint16_t port) { domain_ = domain; port_ = port; return *this; }
PubSubClient& PubSubClient::setCallback(MQTT_CALLBACK_SIGNATURE) { this->callback = callback; return *this; }
PubSubClient& PubSubClient::setClient(Client& client) { client_ = &client; return *this; }
PubSubClient& PubSubClient::setStream(Stream& stream) { stream_ = &stream; return *this; }
#if TWIN_PUBSUBCLIENT_VERSION >= 20800  // before 2.8 both were the compile-time MQTT_KEEPALIVE / MQTT_SOCKET_TIMEOUT
PubSubClient& PubSubClient::setKeepAlive(uint16_t keepAlive) { keepAlive_ = keepAlive; return *this; }
PubSubClient& PubSubClient::setSocketTimeout(uint16_t timeout) { socketTimeout_ = timeout; return *this; }
#endif

#if TWIN_PUBSUBCLIENT_VERSION >= 20800
bool PubSubClient::setBufferSize(uint16_t size) { return resize(size); }
#endif

bool PubSubClient::resize(uint16_t size) {
  if (size == 0) return false;  // a zero-sized buffer is refused
  uint8_t* nb = (uint8_t*)realloc(buffer_, size);
  if (!nb) return false;
  buffer_ = nb;
  bufferSize_ = size;
  return true;
}

void PubSubClient::tooLarge(const char* what, size_t bytes) const {
  const int v = TWIN_PUBSUBCLIENT_VERSION;
  const bool overflow = v < 20700 && strcmp(what, "connect") == 0;
  // "code<TAB>detail": the rig shows the detail with the outcome; the board itself prints nothing.
  twin::fact("pubsubclient-%s:%s\tPubSubClient %d.%d: %s of %zu bytes > its %u-byte buffer (%s)%s",
             overflow ? "overflow" : "too-large", what, v / 10000, v / 100 % 100, what, bytes, (unsigned)bufferSize_,
             v >= 20800 ? "MQTT_MAX_PACKET_SIZE or setBufferSize()" : "MQTT_MAX_PACKET_SIZE, a build define",
             overflow ? "; 2.6 writes past the buffer: memory after it is overwritten"
                      : strcmp(what, "connect") == 0 ? "; connect() returns false and state() stays as it was"
                                                      : "; the packet is not sent");
}

bool PubSubClient::connect(const char* id) { return connect(id, nullptr, nullptr, nullptr, 0, false, nullptr, true); }
bool PubSubClient::connect(const char* id, const char* user, const char* pass) { return connect(id, user, pass, nullptr, 0, false, nullptr, true); }
bool PubSubClient::connect(const char* id, const char* willTopic, uint8_t willQos, bool willRetain, const char* willMessage) {
  return connect(id, nullptr, nullptr, willTopic, willQos, willRetain, willMessage, true);
}
bool PubSubClient::connect(const char* id, const char* user, const char* pass, const char* willTopic, uint8_t willQos,
                           bool willRetain, const char* willMessage) {
  return connect(id, user, pass, willTopic, willQos, willRetain, willMessage, true);
}

bool PubSubClient::fits(uint16_t pos, const char* s) const {
  return (size_t)pos + 2 + strnlen(s, bufferSize_) <= bufferSize_;
}

bool PubSubClient::connect(const char* id, const char* user, const char* pass, const char* willTopic, uint8_t willQos,
                           bool willRetain, const char* willMessage, bool cleanSession) {
  if (connected()) return true;  // already connected: nothing to do (the library returns true)
  if (!client_) return false;
  // 2.8 reuses a transport that is still connected (after a CONNACK refusal with a kept socket, or one the sketch
  // connected itself) and sends CONNECT on it without a new TLS handshake.
  int result = client_->connected() ? 1 : domain_ ? client_->connect(domain_, port_) : client_->connect(ip_, port_);
  if (result != 1) {
    state_ = MQTT_CONNECT_FAILED;
    twin::fact("pubsubclient:%d", state_);
    return false;
  }
  nextMsgId_ = 1;
  uint16_t length = MQTT_MAX_HEADER_SIZE;
  static const uint8_t proto[] = {0x00, 0x04, 'M', 'Q', 'T', 'T', MQTT_VERSION};
  memcpy(buffer_ + length, proto, sizeof proto);
  length += sizeof proto;

  uint8_t flags = 0;
  if (willTopic) flags = (uint8_t)(0x04 | (willQos << 3) | (willRetain ? 0x20 : 0));
  if (cleanSession) flags |= 0x02;
  if (user) {
    flags |= 0x80;
    if (pass) flags |= 0x40;
  }
  buffer_[length++] = flags;
  buffer_[length++] = (uint8_t)(keepAlive_ >> 8);
  buffer_[length++] = (uint8_t)(keepAlive_ & 0xff);
  twin::keepAliveSent(keepAlive_);  // virtual time keeps the broker's view of this keepalive

  // Every string must fit the buffer, or the connection is dropped and connect() fails (2.7, 2.8). The will message
  // is written only with a will topic, the password only with a user (2.8 connect: `if (willTopic)`, `if (user != NULL)`).
  const char* parts[] = {id, willTopic, willTopic ? willMessage : nullptr, user, user ? pass : nullptr};
  size_t need = length;
  for (int i = 0; i < 5; i++)
    if (i == 0 || parts[i] || (i == 2 && willTopic)) need += 2 + strlen(parts[i] ? parts[i] : "");
  const uint16_t logical = bufferSize_;
  if (need > bufferSize_) {
    tooLarge("connect", need);  // what the library compares: the packet and its 5 reserved header bytes
    if (TWIN_PUBSUBCLIENT_VERSION >= 20700) { client_->stop(); return false; }
    resize((uint16_t)need);  // 2.6 writes on past its array; the twin gives the bytes somewhere to go
  }
  for (int i = 0; i < 5; i++) {
    if (i > 0 && !parts[i] && !(i == 2 && willTopic)) continue;
    const char* s = parts[i] ? parts[i] : "";
    if (!fits(length, s)) { client_->stop(); return false; }
    length = writeString(s, buffer_, length);
  }
  // Twin side channel: the id the broker will log, so the rig can tell this board's messages from others'.
  twin::fact("mqtt-client-id:%s", id ? id : "");
  answers_.reset();
  writePacket(MQTTCONNECT, buffer_, (uint16_t)(length - MQTT_MAX_HEADER_SIZE));
  bufferSize_ = logical;  // (2.6) the checks that follow see the array's size again
  lastInActivity_ = lastOutActivity_ = millis();

  while (!client_->available()) {
    unsigned long t = millis();
    if (t - lastInActivity_ >= (unsigned long)socketTimeout_ * 1000UL) {
      state_ = MQTT_CONNECTION_TIMEOUT;
      client_->stop();
      twin::fact("pubsubclient:%d", state_);
      return false;
    }
    delay(1);  // the library spins here; the twin naps so the host stays responsive
  }
  uint8_t llen;
  uint32_t len = readPacket(&llen);
  if (len > 0) answers_.read(buffer_[0]);
  if (len == 4) {
    if (buffer_[3] == 0) {
      lastInActivity_ = millis();
      pingOutstanding_ = false;
      state_ = MQTT_CONNECTED;
      twin::fact("pubsubclient:%d", state_);
      return true;
    }
    state_ = buffer_[3];
  }
  // Anything but a 4-byte CONNACK leaves state() as it was (2.8 does not set it on that path).
  twin::fact("pubsubclient:%d", state_);
  client_->stop();
  return false;
}

bool PubSubClient::readByte(uint8_t* result) {
  unsigned long start = millis();
  while (!client_->available()) {
    yield();
    if (millis() - start >= (unsigned long)socketTimeout_ * 1000UL) return false;
    delay(1);
  }
  int rc = client_->read();
  if (rc < 0) return false;
  *result = (uint8_t)rc;
  return true;
}

bool PubSubClient::readByte(uint8_t* result, uint16_t* index) {
  uint8_t b;
  if (!readByte(&b)) return false;
  result[(*index)++] = b;
  return true;
}

uint32_t PubSubClient::readPacket(uint8_t* lengthLength) {
  uint16_t len = 0;
  if (!readByte(buffer_, &len)) return 0;
  bool isPublish = (buffer_[0] & 0xF0) == MQTTPUBLISH;
  uint32_t multiplier = 1, length = 0;
  uint8_t digit = 0;
  do {
    if (len == 5) {  // more than four length bytes: malformed, drop the connection
      state_ = MQTT_DISCONNECTED;
      client_->stop();
      return 0;
    }
    if (!readByte(&digit)) return 0;
    buffer_[len++] = digit;
    length += (digit & 127) * multiplier;
    multiplier <<= 7;
  } while (digit & 128);
  *lengthLength = (uint8_t)(len - 1);

  uint32_t start = 0;
  uint16_t skip = 0;
  if (isPublish) {
    if (!readByte(buffer_, &len)) return 0;
    if (!readByte(buffer_, &len)) return 0;
    skip = (uint16_t)((buffer_[*lengthLength + 1] << 8) + buffer_[*lengthLength + 2]);
    if (buffer_[0] & MQTTQOS1) skip += 2;
    start = 2;
  }
  uint32_t idx = len;
  for (uint32_t i = start; i < length; i++) {
    if (!readByte(&digit)) return 0;
    if (stream_ && isPublish && idx - *lengthLength - 2 > skip) stream_->write(digit);
    if (len < bufferSize_) buffer_[len++] = digit;
    idx++;
  }
  if (!stream_ && idx > bufferSize_) {  // too large for the buffer: the packet is ignored
    len = 0;
    tooLarge("receive", idx);
  }
  return len;
}

size_t PubSubClient::buildHeader(uint8_t header, uint8_t* buf, uint16_t length) {
  uint8_t lenBuf[4];
  uint8_t llen = 0;
  uint16_t len = length;
  do {
    uint8_t digit = len & 127;
    len >>= 7;
    if (len > 0) digit |= 0x80;
    lenBuf[llen++] = digit;
  } while (len > 0);
  buf[4 - llen] = header;
  for (int i = 0; i < llen; i++) buf[MQTT_MAX_HEADER_SIZE - llen + i] = lenBuf[i];
  return llen + 1;
}

bool PubSubClient::writePacket(uint8_t header, uint8_t* buf, uint16_t length) {
  size_t hlen = buildHeader(header, buf, length);
  size_t rc = client_->write(buf + (MQTT_MAX_HEADER_SIZE - hlen), length + hlen);
  lastOutActivity_ = millis();
  answers_.sent(header);
  return rc == hlen + length;
}

uint16_t PubSubClient::writeString(const char* s, uint8_t* buf, uint16_t pos) {
  uint16_t start = pos;
  pos += 2;
  uint16_t n = 0;
  while (*s && pos < bufferSize_) { buf[pos++] = (uint8_t)*s++; n++; }
  buf[start] = (uint8_t)(n >> 8);
  buf[start + 1] = (uint8_t)(n & 0xff);
  return pos;
}

bool PubSubClient::loop() {
  if (!connected()) return false;
  unsigned long t = millis();
  unsigned long ka = (unsigned long)keepAlive_ * 1000UL;
  // No guard for keepAlive 0 in 2.8 (cpp loop): setKeepAlive(0) pings on the first loop and, a millisecond later
  // with the ping still outstanding, drops the connection with MQTT_CONNECTION_TIMEOUT (-4).
  if (t - lastInActivity_ > ka || t - lastOutActivity_ > ka) {
    if (pingOutstanding_) {
      state_ = MQTT_CONNECTION_TIMEOUT;
      client_->stop();
      twin::fact("pubsubclient:%d", state_);
      return false;
    }
    buffer_[0] = MQTTPINGREQ;
    buffer_[1] = 0;
    client_->write(buffer_, 2);
    answers_.sent(MQTTPINGREQ);
    lastOutActivity_ = lastInActivity_ = t;
    pingOutstanding_ = true;
  }
  if (client_->available()) {
    uint8_t llen;
    uint32_t len = readPacket(&llen);
    if (len > 0) {
      lastInActivity_ = t;
      uint8_t type = buffer_[0] & 0xF0;
      answers_.read(type);
      if (type == MQTTPUBLISH) {
        if (callback) {
          uint16_t tl = (uint16_t)((buffer_[llen + 1] << 8) + buffer_[llen + 2]);
          // Shift the topic one byte left to NUL-terminate it in place.
          memmove(buffer_ + llen + 2, buffer_ + llen + 3, tl);
          buffer_[llen + 2 + tl] = 0;
          char* topic = (char*)buffer_ + llen + 2;
          if ((buffer_[0] & 0x06) == MQTTQOS1) {
            uint16_t msgId = (uint16_t)((buffer_[llen + 3 + tl] << 8) + buffer_[llen + 3 + tl + 1]);
            uint8_t* payload = buffer_ + llen + 3 + tl + 2;
            callback(topic, payload, len - llen - 3 - tl - 2);
            buffer_[0] = MQTTPUBACK;
            buffer_[1] = 2;
            buffer_[2] = (uint8_t)(msgId >> 8);
            buffer_[3] = (uint8_t)(msgId & 0xFF);
            client_->write(buffer_, 4);
            answers_.sent(MQTTPUBACK);
            lastOutActivity_ = t;
          } else {
            uint8_t* payload = buffer_ + llen + 3 + tl;
            callback(topic, payload, len - llen - 3 - tl);
          }
        }
      } else if (type == MQTTPINGREQ) {
        buffer_[0] = MQTTPINGRESP;
        buffer_[1] = 0;
        client_->write(buffer_, 2);
        answers_.sent(MQTTPINGRESP);
      } else if (type == MQTTPINGRESP) {
        pingOutstanding_ = false;
      }
    } else if (!connected()) {
      return false;  // readPacket closed the connection
    }
  }
  return true;
}

bool PubSubClient::publish(const char* topic, const char* payload) { return publish(topic, payload, false); }
bool PubSubClient::publish(const char* topic, const char* payload, bool retained) {
  // 2.8 measures the text with strnlen(…, bufferSize) (PubSubClient.cpp:441 at v2.8), 2.7 with strlen (:373 at
  // v2.7): either way a text that does not fit is refused; the side channel gets its real size.
  size_t real = payload ? strlen(payload) : 0;
  if (connected() && topic && (size_t)bufferSize_ < MQTT_MAX_HEADER_SIZE + 2 + strlen(topic) + real) {
    tooLarge("publish", MQTT_MAX_HEADER_SIZE + 2 + strlen(topic) + real);
    return false;
  }
  return publish(topic, (const uint8_t*)payload, payload ? (unsigned int)strnlen(payload, bufferSize_) : 0, retained);
}
bool PubSubClient::publish(const char* topic, const uint8_t* payload, unsigned int plength) { return publish(topic, payload, plength, false); }
bool PubSubClient::publish(const char* topic, const uint8_t* payload, unsigned int plength, bool retained) {
  if (!connected()) return false;
  // The whole packet must fit the buffer, or publish() returns false without sending anything.
  if ((size_t)bufferSize_ < MQTT_MAX_HEADER_SIZE + 2 + strnlen(topic, bufferSize_) + plength) {
    tooLarge("publish", MQTT_MAX_HEADER_SIZE + 2 + strlen(topic) + plength);
    return false;
  }
  uint16_t length = writeString(topic, buffer_, MQTT_MAX_HEADER_SIZE);
  if (plength) memcpy(buffer_ + length, payload, plength);
  length = (uint16_t)(length + plength);
  uint8_t header = MQTTPUBLISH;
  if (retained) header |= 1;
  return writePacket(header, buffer_, (uint16_t)(length - MQTT_MAX_HEADER_SIZE));
}
bool PubSubClient::publish_P(const char* topic, const char* payload, bool retained) {
  return publish(topic, (const uint8_t*)payload, (unsigned int)strlen(payload), retained);
}
bool PubSubClient::publish_P(const char* topic, const uint8_t* payload, unsigned int plength, bool retained) {
  // publish_P streams from flash and is not limited by the buffer.
  if (!beginPublish(topic, plength, retained)) return false;
  write(payload, plength);
  return endPublish() == 1;
}

bool PubSubClient::beginPublish(const char* topic, unsigned int plength, bool retained) {
  if (!connected()) return false;
  uint16_t length = writeString(topic, buffer_, MQTT_MAX_HEADER_SIZE);
  uint8_t header = MQTTPUBLISH;
  if (retained) header |= 1;
  size_t hlen = buildHeader(header, buffer_, (uint16_t)(plength + length - MQTT_MAX_HEADER_SIZE));
  const size_t expected = length - (MQTT_MAX_HEADER_SIZE - hlen);
  // 2.8 keeps the count in a uint16_t and returns whether the whole header went out (cpp beginPublish).
  uint16_t rc = (uint16_t)client_->write(buffer_ + (MQTT_MAX_HEADER_SIZE - hlen), expected);
  answers_.sent(header);
  lastOutActivity_ = millis();
  return rc == expected;
}
int PubSubClient::endPublish() { return 1; }
size_t PubSubClient::write(uint8_t c) { lastOutActivity_ = millis(); return client_->write(c); }
size_t PubSubClient::write(const uint8_t* buf, size_t size) { lastOutActivity_ = millis(); return client_->write(buf, size); }

bool PubSubClient::subscribe(const char* topic) { return subscribe(topic, 0); }
bool PubSubClient::subscribe(const char* topic, uint8_t qos) {
  if (!topic || qos > 1) return false;
  size_t topicLength = strnlen(topic, bufferSize_);
  if ((size_t)bufferSize_ < 9 + topicLength) return false;  // header + msgId + length + qos
  if (!connected()) return false;
  uint16_t length = MQTT_MAX_HEADER_SIZE;
  if (++nextMsgId_ == 0) nextMsgId_ = 1;
  buffer_[length++] = (uint8_t)(nextMsgId_ >> 8);
  buffer_[length++] = (uint8_t)(nextMsgId_ & 0xFF);
  length = writeString(topic, buffer_, length);
  buffer_[length++] = qos;
  return writePacket(MQTTSUBSCRIBE | MQTTQOS1, buffer_, (uint16_t)(length - MQTT_MAX_HEADER_SIZE));
}
bool PubSubClient::unsubscribe(const char* topic) {
  if (!topic) return false;
  size_t topicLength = strnlen(topic, bufferSize_);
  if ((size_t)bufferSize_ < 9 + topicLength) return false;
  if (!connected()) return false;
  uint16_t length = MQTT_MAX_HEADER_SIZE;
  if (++nextMsgId_ == 0) nextMsgId_ = 1;
  buffer_[length++] = (uint8_t)(nextMsgId_ >> 8);
  buffer_[length++] = (uint8_t)(nextMsgId_ & 0xFF);
  length = writeString(topic, buffer_, length);
  return writePacket(MQTTUNSUBSCRIBE | MQTTQOS1, buffer_, (uint16_t)(length - MQTT_MAX_HEADER_SIZE));
}

void PubSubClient::disconnect() {
  buffer_[0] = MQTTDISCONNECT;
  buffer_[1] = 0;
  if (client_) {
    client_->write(buffer_, 2);
    client_->flush();
    client_->stop();
  }
  state_ = MQTT_DISCONNECTED;
  answers_.reset();
  lastInActivity_ = lastOutActivity_ = millis();
}

bool PubSubClient::connected() {
  if (!client_) return false;
  if (!client_->connected()) {
    if (state_ == MQTT_CONNECTED) {
      state_ = MQTT_CONNECTION_LOST;
      twin::fact("pubsubclient:%d", state_);
      client_->flush();
      client_->stop();
    }
    return false;
  }
  return state_ == MQTT_CONNECTED;
}
