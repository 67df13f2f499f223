// ArduinoMqttClient (arduino-libraries/ArduinoMqttClient) for the twin: MqttClient's API and connectError()
// codes, written for the twin from the library's src/MqttClient.h/.cpp: MQTT 3.1.1, QoS 0 publishing through
// beginMessage()/print()/endMessage(), subscribe(), poll() for keep-alive and incoming messages. connect()
// returns 0 with connectError() = MQTT_CONNECTION_REFUSED (-2) when the underlying client (TLS included) does
// not connect, and the broker's CONNACK code otherwise. Not emulated: QoS 1/2 publishing, wills.
#pragma once
#include <string>

#include "Arduino.h"
#include "Client.h"
#include "WString.h"
#include "twin_world.h"

// Which release the build imitates (boards/twin/libraries/versions.yaml): 0.1.5 buffers at most 256 payload bytes
// of a message begun without a size (MqttClient.cpp:35, :656-658 at 0.1.5); 0.1.6 lets TX_PAYLOAD_BUFFER_SIZE be a
// build define and adds setTxPayloadSize() (MqttClient.cpp:32-37, MqttClient.h:99 at 0.1.6).
#ifndef TWIN_ARDUINOMQTTCLIENT_VERSION
#define TWIN_ARDUINOMQTTCLIENT_VERSION 108
#endif
#if TWIN_ARDUINOMQTTCLIENT_VERSION >= 106 && !defined(TX_PAYLOAD_BUFFER_SIZE)
#define TX_PAYLOAD_BUFFER_SIZE 256
#endif

#define MQTT_CONNECTION_REFUSED -2
#define MQTT_CONNECTION_TIMEOUT -1
#define MQTT_SUCCESS 0
#define MQTT_UNACCEPTABLE_PROTOCOL_VERSION 1
#define MQTT_IDENTIFIER_REJECTED 2
#define MQTT_SERVER_UNAVAILABLE 3
#define MQTT_BAD_USER_NAME_OR_PASSWORD 4
#define MQTT_NOT_AUTHORIZED 5

class MqttClient : public Client {
 public:
  explicit MqttClient(Client& client) : _client(&client) {}
  explicit MqttClient(Client* client) : _client(client) {}

  void onMessage(void (*callback)(int)) { _onMessage = callback; }
  int parseMessage();
  String messageTopic() const { return _rxTopic; }

  int beginMessage(const char* topic, bool retain = false, uint8_t qos = 0, bool dup = false);
  int beginMessage(const String& topic, bool retain = false, uint8_t qos = 0, bool dup = false) {
    return beginMessage(topic.c_str(), retain, qos, dup);
  }
  // A message whose size is given up front is streamed, not buffered: no payload limit.
  int beginMessage(const char* topic, unsigned long size, bool retain = false, uint8_t qos = 0, bool dup = false);
  int beginMessage(const String& topic, unsigned long size, bool retain = false, uint8_t qos = 0, bool dup = false) {
    return beginMessage(topic.c_str(), size, retain, qos, dup);
  }
  int endMessage();
#if TWIN_ARDUINOMQTTCLIENT_VERSION >= 106
  void setTxPayloadSize(unsigned short size) { _txPayloadBufferSize = size; }
#endif

  int subscribe(const char* topic, uint8_t qos = 0);
  int subscribe(const String& topic, uint8_t qos = 0) { return subscribe(topic.c_str(), qos); }
  void poll();

  int connect(IPAddress ip, uint16_t port = 1883) override { return connectImpl(ip, nullptr, port); }
  int connect(const char* host, uint16_t port = 1883) override { return connectImpl(IPAddress(), host, port); }
  size_t write(uint8_t b) override { return write(&b, 1); }
  size_t write(const uint8_t* buf, size_t size) override;
  using Print::write;
  int available() override { return _rxAvailable; }
  int read() override;
  int read(uint8_t* buf, size_t size) override;
  int peek() override { return -1; }
  void flush() override {}
  void stop() override;
  uint8_t connected() override { return _client->connected() && _connected; }
  operator bool() override { return true; }

  void setId(const char* id) { _id = id; }
  void setId(const String& id) { _id = id; }
  void setUsernamePassword(const char* username, const char* password) { _username = username; _password = password; }
  void setUsernamePassword(const String& username, const String& password) { _username = username; _password = password; }
  void setCleanSession(bool clean) { _cleanSession = clean; }
  void setKeepAliveInterval(unsigned long interval) { _keepAliveInterval = interval; }
  void setConnectionTimeout(unsigned long timeout) { _connectionTimeout = timeout; }
  int connectError() const { return _connectError; }
  int subscribeQoS() const { return _subscribeQos; }

 private:
  int connectImpl(IPAddress ip, const char* host, uint16_t port);
  bool sendPacket(uint8_t header, const std::string& body);
  bool readPacket(unsigned long waitMs);

  Client* _client;
  void (*_onMessage)(int) = nullptr;
  String _id, _username, _password;
  bool _cleanSession = true;
  unsigned long _keepAliveInterval = 60 * 1000UL;
  unsigned long _connectionTimeout = 30 * 1000UL;
  int _connectError = MQTT_SUCCESS;
  bool _connected = false;
  int _subscribeQos = 0x80;
  uint16_t _packetId = 0;
  unsigned long _lastRx = 0, _lastPingTx = 0;
  twin::MqttAnswers _answers;  // twin: what virtual time learns of the broker's answers (not in the library)
  // The last packet read: type, body; a PUBLISH's payload is what read() hands out.
  uint8_t _rxType = 0;
  std::string _rxBody;
  String _rxTopic;
  std::string _rxPayload;
  int _rxAvailable = 0;
  size_t _rxPos = 0;
  std::string _txTopic;
  std::string _txPayload;
  bool _txRetain = false;
  bool _inMessage = false;
  bool _txStream = false;
  size_t _txDropped = 0;
  size_t _txPayloadBufferSize = payloadBufferDefault();
  static size_t payloadBufferDefault();
};
