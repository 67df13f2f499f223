// Rig probe: ESP32 Arduino sketch using ESP-IDF's esp-mqtt (mqtt_client.h, shipped with arduino-esp32) the
// way seed 004 §2d and esp-mqtt#254 / esp-idf#5757 do: URI "mqtts://<broker>", port, CA certificate,
// user name / password, then esp_mqtt_client_init + esp_mqtt_client_start. Configuration: arduino_secrets.h
// (contract in ../README.md). esp-mqtt / esp-tls print their own "E (ms) tag: ..." lines; the "RIG: " lines
// mark the outcome for the rig. Builds for cores 2.0.x (IDF 4.4, flat config) and 3.x (IDF 5.x, nested).
#include <WiFi.h>
#include "mqtt_client.h"
#include "arduino_secrets.h"

static char uri[160];
static bool wasConnected = false;
static bool errorReported = false;

// "" in the header means "not set"; esp-mqtt would skip an empty user name anyway (mqtt_msg.c).
static const char* orNull(const char* s) { return (s && s[0]) ? s : NULL; }

// The RIG line uses PubSubClient's state numbers so boards compare: -2 = the network/TLS connect failed,
// 1..5 = the broker's CONNACK refusal code, -4 = no CONNACK in time. tls= is the mbedTLS return (0 if none).
static void reportFailure(esp_mqtt_error_codes_t* e) {
  int state = -4;
  if (e->error_type == MQTT_ERROR_TYPE_CONNECTION_REFUSED) state = (int)e->connect_return_code;
  else if (e->error_type == MQTT_ERROR_TYPE_TCP_TRANSPORT) state = -2;
  Serial.printf("RIG: connect fail state=%d tls=%d text=\"esp-tls 0x%x, verify flags 0x%x, errno %d\"\n", state,
                e->esp_tls_stack_err, e->esp_tls_last_esp_err, (unsigned)e->esp_tls_cert_verify_flags,
                e->esp_transport_sock_errno);
}

static void onMqttEvent(void* args, esp_event_base_t base, int32_t id, void* data) {
  esp_mqtt_event_handle_t event = (esp_mqtt_event_handle_t)data;
  switch ((esp_mqtt_event_id_t)id) {
    case MQTT_EVENT_CONNECTED: {
      wasConnected = true;
      errorReported = false;
      Serial.println("RIG: connected");
      esp_mqtt_client_subscribe(event->client, SECRET_TOPIC "/cmd", 0);
      // QoS 0: esp_mqtt_client_publish returns 0 when sent, -1 on failure.
      int id = esp_mqtt_client_publish(event->client, SECRET_TOPIC "/up", "hello from " SECRET_CLIENT_ID, 0, 0, 0);
      Serial.println(id >= 0 ? "RIG: published" : "RIG: publish failed");
      break;
    }
    case MQTT_EVENT_DATA: {
      String topic(event->topic, event->topic_len);
      if (topic != SECRET_TOPIC "/cmd") break;
      String text(event->data, event->data_len);
      esp_mqtt_client_publish(event->client, SECRET_TOPIC "/echo", text.c_str(), 0, 0, 0);
      Serial.print("RIG: echo ");
      Serial.println(text);
      break;
    }
    case MQTT_EVENT_ERROR:
      errorReported = true;
      if (!wasConnected) reportFailure(event->error_handle);
      break;
    case MQTT_EVENT_DISCONNECTED:
      // A failed attempt without an error event: the broker did not answer the CONNECT in time.
      if (!wasConnected && !errorReported) reportFailure(event->error_handle);
      if (wasConnected) Serial.println("MQTT disconnected");
      wasConnected = false;
      errorReported = false;
      break;
    default:
      break;
  }
}

void setup() {
  Serial.begin(115200);
  delay(10);
  Serial.println();
  Serial.print("Connecting to ");
  Serial.println(SECRET_SSID);
  WiFi.begin(SECRET_SSID, SECRET_PASS);
  while (WiFi.status() != WL_CONNECTED) {
    delay(500);
    Serial.print(".");
  }
  Serial.println("WiFi connected");
  snprintf(uri, sizeof uri, "mqtts://%s", SECRET_BROKER);
  Serial.printf("MQTT connecting to %s port %d\n", uri, SECRET_PORT);

  esp_mqtt_client_config_t cfg = {};
#if defined(ESP_ARDUINO_VERSION_MAJOR) && ESP_ARDUINO_VERSION_MAJOR >= 3
  cfg.broker.address.uri = uri;
  cfg.broker.address.port = SECRET_PORT;
#ifdef SECRET_CA_CERT
  cfg.broker.verification.certificate = SECRET_CA_CERT;
#endif
  cfg.credentials.client_id = SECRET_CLIENT_ID;
  cfg.credentials.username = orNull(SECRET_MQTT_USER);
  cfg.credentials.authentication.password = orNull(SECRET_MQTT_PASS);
#if defined(SECRET_CLIENT_CERT) && defined(SECRET_CLIENT_KEY)
  cfg.credentials.authentication.certificate = SECRET_CLIENT_CERT;
  cfg.credentials.authentication.key = SECRET_CLIENT_KEY;
#endif
#else
  cfg.uri = uri;
  cfg.port = SECRET_PORT;
#ifdef SECRET_CA_CERT
  cfg.cert_pem = SECRET_CA_CERT;
#endif
  cfg.client_id = SECRET_CLIENT_ID;
  cfg.username = orNull(SECRET_MQTT_USER);
  cfg.password = orNull(SECRET_MQTT_PASS);
#if defined(SECRET_CLIENT_CERT) && defined(SECRET_CLIENT_KEY)
  cfg.client_cert_pem = SECRET_CLIENT_CERT;
  cfg.client_key_pem = SECRET_CLIENT_KEY;
#endif
#endif
  // esp-mqtt retries by itself (default 10 s); the rig decides on the first attempt.
  esp_mqtt_client_handle_t client = esp_mqtt_client_init(&cfg);
  esp_mqtt_client_register_event(client, (esp_mqtt_event_id_t)ESP_EVENT_ANY_ID, onMqttEvent, NULL);
  esp_mqtt_client_start(client);
}

void loop() {
  delay(1000);
}
