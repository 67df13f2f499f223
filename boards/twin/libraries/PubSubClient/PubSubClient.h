// PubSubClient 2.6 / 2.7 / 2.8 API (knolleary/pubsubclient), written for the twin from the library's documented and
// observed behaviour: MQTT 3.1.1, one packet buffer, blocking connect with a socket timeout. The build says which
// version (TWIN_PUBSUBCLIENT_VERSION, from boards/twin/libraries/versions.yaml): 2.6 and 2.7 have a fixed buffer of
// MQTT_MAX_PACKET_SIZE (128 by default, PubSubClient.h:26 at v2.6/v2.7) that only a build define changes; 2.8 has
// 256 and setBufferSize() (PubSubClient.h:26, :142 at v2.8). As on the board, a #define in the sketch reaches only
// the sketch: the library's code is compiled with the build's defines (docs/upstream-sources.md §10).
#pragma once
#include <functional>
#include "Arduino.h"
#include "Client.h"
#include "IPAddress.h"
#include "Stream.h"
#include "twin_world.h"

#define MQTT_VERSION_3_1 3
#define MQTT_VERSION_3_1_1 4
#ifndef MQTT_VERSION
#define MQTT_VERSION MQTT_VERSION_3_1_1
#endif
#ifndef TWIN_PUBSUBCLIENT_VERSION
#define TWIN_PUBSUBCLIENT_VERSION 20800
#endif
#ifndef MQTT_MAX_PACKET_SIZE
#if TWIN_PUBSUBCLIENT_VERSION >= 20800
#define MQTT_MAX_PACKET_SIZE 256
#else
#define MQTT_MAX_PACKET_SIZE 128
#endif
#endif
#ifndef MQTT_KEEPALIVE
#define MQTT_KEEPALIVE 15
#endif
#ifndef MQTT_SOCKET_TIMEOUT
#define MQTT_SOCKET_TIMEOUT 15
#endif

#define MQTT_CONNECTION_TIMEOUT -4
#define MQTT_CONNECTION_LOST -3
#define MQTT_CONNECT_FAILED -2
#define MQTT_DISCONNECTED -1
#define MQTT_CONNECTED 0
#define MQTT_CONNECT_BAD_PROTOCOL 1
#define MQTT_CONNECT_BAD_CLIENT_ID 2
#define MQTT_CONNECT_UNAVAILABLE 3
#define MQTT_CONNECT_BAD_CREDENTIALS 4
#define MQTT_CONNECT_UNAUTHORIZED 5

#define MQTTCONNECT 1 << 4
#define MQTTCONNACK 2 << 4
#define MQTTPUBLISH 3 << 4
#define MQTTPUBACK 4 << 4
#define MQTTSUBSCRIBE 8 << 4
#define MQTTSUBACK 9 << 4
#define MQTTUNSUBSCRIBE 10 << 4
#define MQTTUNSUBACK 11 << 4
#define MQTTPINGREQ 12 << 4
#define MQTTPINGRESP 13 << 4
#define MQTTDISCONNECT 14 << 4
#define MQTTQOS0 (0 << 1)
#define MQTTQOS1 (1 << 1)
#define MQTTQOS2 (2 << 1)
#define MQTT_MAX_HEADER_SIZE 5

#define MQTT_CALLBACK_SIGNATURE std::function<void(char*, uint8_t*, unsigned int)> callback

// One class for all versions (2.6 was not yet a Print and had no beginPublish(), PubSubClient.h:83 at v2.6); what
// changes between versions is the buffer, and setBufferSize() and friends that only 2.8 has.
class PubSubClient : public Print {
 public:
  PubSubClient();
  explicit PubSubClient(Client& client);
  PubSubClient(IPAddress addr, uint16_t port, Client& client);
  PubSubClient(IPAddress addr, uint16_t port, Client& client, Stream& stream);
  PubSubClient(IPAddress addr, uint16_t port, MQTT_CALLBACK_SIGNATURE, Client& client);
  PubSubClient(IPAddress addr, uint16_t port, MQTT_CALLBACK_SIGNATURE, Client& client, Stream& stream);
  PubSubClient(uint8_t* ip, uint16_t port, Client& client);
  PubSubClient(uint8_t* ip, uint16_t port, MQTT_CALLBACK_SIGNATURE, Client& client);
  PubSubClient(const char* domain, uint16_t port, Client& client);
  PubSubClient(const char* domain, uint16_t port, Client& client, Stream& stream);
  PubSubClient(const char* domain, uint16_t port, MQTT_CALLBACK_SIGNATURE, Client& client);
  PubSubClient(const char* domain, uint16_t port, MQTT_CALLBACK_SIGNATURE, Client& client, Stream& stream);
  ~PubSubClient() override;

  PubSubClient& setServer(IPAddress ip, uint16_t port);
  PubSubClient& setServer(uint8_t* ip, uint16_t port);
  PubSubClient& setServer(const char* domain, uint16_t port);  // keeps the pointer, not a copy
  PubSubClient& setCallback(MQTT_CALLBACK_SIGNATURE);
  PubSubClient& setClient(Client& client);
  PubSubClient& setStream(Stream& stream);
#if TWIN_PUBSUBCLIENT_VERSION >= 20800
  PubSubClient& setKeepAlive(uint16_t keepAlive);
  PubSubClient& setSocketTimeout(uint16_t timeout);
  bool setBufferSize(uint16_t size);
  uint16_t getBufferSize() { return bufferSize_; }
#endif

  bool connect(const char* id);
  bool connect(const char* id, const char* user, const char* pass);
  bool connect(const char* id, const char* willTopic, uint8_t willQos, bool willRetain, const char* willMessage);
  bool connect(const char* id, const char* user, const char* pass, const char* willTopic, uint8_t willQos,
               bool willRetain, const char* willMessage);
  bool connect(const char* id, const char* user, const char* pass, const char* willTopic, uint8_t willQos,
               bool willRetain, const char* willMessage, bool cleanSession);
  void disconnect();

  bool publish(const char* topic, const char* payload);
  bool publish(const char* topic, const char* payload, bool retained);
  bool publish(const char* topic, const uint8_t* payload, unsigned int plength);
  bool publish(const char* topic, const uint8_t* payload, unsigned int plength, bool retained);
  bool publish_P(const char* topic, const char* payload, bool retained);
  bool publish_P(const char* topic, const uint8_t* payload, unsigned int plength, bool retained);
  bool beginPublish(const char* topic, unsigned int plength, bool retained);
  int endPublish();
  size_t write(uint8_t c) override;
  size_t write(const uint8_t* buf, size_t size) override;
  using Print::write;

  bool subscribe(const char* topic);
  bool subscribe(const char* topic, uint8_t qos);
  bool unsubscribe(const char* topic);
  bool loop();
  bool connected();
  int state() { return state_; }

 private:
  bool readByte(uint8_t* result);
  bool readByte(uint8_t* result, uint16_t* index);
  uint32_t readPacket(uint8_t* lengthLength);
  bool writePacket(uint8_t header, uint8_t* buf, uint16_t length);
  uint16_t writeString(const char* s, uint8_t* buf, uint16_t pos);
  size_t buildHeader(uint8_t header, uint8_t* buf, uint16_t length);
  bool fits(uint16_t pos, const char* s) const;
  bool resize(uint16_t size);
  // Twin side channel: a packet that does not fit the buffer (the library itself says nothing).
  void tooLarge(const char* what, size_t bytes) const;

  Client* client_ = nullptr;
  Stream* stream_ = nullptr;
  uint8_t* buffer_ = nullptr;
  uint16_t bufferSize_ = 0;
  uint16_t keepAlive_ = MQTT_KEEPALIVE;
  uint16_t socketTimeout_ = MQTT_SOCKET_TIMEOUT;
  uint16_t nextMsgId_ = 0;
  unsigned long lastOutActivity_ = 0;
  unsigned long lastInActivity_ = 0;
  bool pingOutstanding_ = false;
  twin::MqttAnswers answers_;  // twin: what virtual time learns of the broker's answers (not in the library)
  MQTT_CALLBACK_SIGNATURE;
  IPAddress ip_;
  const char* domain_ = nullptr;
  uint16_t port_ = 0;
  int state_ = MQTT_DISCONNECTED;
};
