// Seed 004 (tutorial "Secure connection between ESP32 and a Mosquitto MQTT broker", 2025): its ESP32 Arduino
// example (section 2c) plus the client certificate lines of section 3b, trimmed only of what cannot matter.
// Credentials, broker and PEM blocks are arduino_secrets.h SECRET_* placeholders (sketches/README.md).
// Lines marked [rig] are additions: outcome markers and one publish the rig can observe.
#include <WiFi.h>
#include <WiFiClientSecure.h>
#include <PubSubClient.h>
#include "arduino_secrets.h"

// WiFi credentials
const char* ssid = SECRET_SSID;
const char* password = SECRET_PASS;

// MQTT broker settings
const char* mqtt_server = SECRET_BROKER;
const int mqtt_port = SECRET_PORT;
const char* mqtt_user = SECRET_MQTT_USER;
const char* mqtt_password = SECRET_MQTT_PASS;
const char* mqtt_client_id = SECRET_CLIENT_ID;

// CA certificate
const char* ca_cert = SECRET_CA_CERT;

WiFiClientSecure espClient;
PubSubClient client(espClient);

void callback(char* topic, byte* payload, unsigned int length);
void reconnect();

void setup() {
  Serial.begin(115200);

  // Connect to WiFi
  WiFi.begin(ssid, password);
  while (WiFi.status() != WL_CONNECTED) {
    delay(1000);
    Serial.println("Connecting to WiFi...");
  }
  Serial.println("Connected to WiFi");

  // Load CA certificate
  espClient.setCACert(ca_cert);
#if defined(SECRET_CLIENT_CERT) && defined(SECRET_CLIENT_KEY)
  // Section 3b: client certificate and key for require_certificate true
  espClient.setCertificate(SECRET_CLIENT_CERT);
  espClient.setPrivateKey(SECRET_CLIENT_KEY);
#endif

  // Configure MQTT
  client.setServer(mqtt_server, mqtt_port);
  client.setCallback(callback);

  // Connect to MQTT broker
  reconnect();
}

void callback(char* topic, byte* payload, unsigned int length) {
  Serial.print("Message received on topic: ");
  Serial.println(topic);
  Serial.print("Payload: ");
  for (int i = 0; i < length; i++) {
    Serial.print((char)payload[i]);
  }
  Serial.println();
}

void reconnect() {
  while (!client.connected()) {
    Serial.println("Attempting MQTT connection...");
    if (client.connect(mqtt_client_id, mqtt_user, mqtt_password)) {
      Serial.println("Connected to MQTT broker");
      Serial.println("RIG: connected");                 // [rig]
      client.subscribe(SECRET_TOPIC "/cmd");
      client.publish(SECRET_TOPIC "/up", "hello");      // [rig]
    } else {
      Serial.print("Failed, rc=");
      Serial.print(client.state());
      Serial.println(" Retrying in 5 seconds...");
      char text[100] = "";                                // [rig]
      int tls = espClient.lastError(text, sizeof(text));  // [rig]
      Serial.printf("RIG: connect fail state=%d tls=%d text=\"%s\"\n", client.state(), tls, text);  // [rig]
      delay(5000);
    }
  }
}

void loop() {
  if (!client.connected()) {
    reconnect();
  }
  client.loop();
}
