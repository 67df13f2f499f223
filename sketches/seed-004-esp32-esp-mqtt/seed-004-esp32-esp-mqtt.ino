// Seed 004, section 2d: the ESP-IDF esp-mqtt client (mqtt_client.h), called from an Arduino sketch (the
// arduino-esp32 core ships esp-mqtt). Broker, credentials and CA are arduino_secrets.h SECRET_* placeholders.
// The config uses the IDF 5.x field names of the tutorial (arduino-esp32 3.x); the tutorial writes
// `.credentials.password`, which IDF 5 does not have (it is `.credentials.authentication.password`). esp-mqtt logs its own
// errors (esp-tls, transport_base, mqtt_client); [rig] lines mark the outcome for the rig.
#include <WiFi.h>
#include "mqtt_client.h"
#include "arduino_secrets.h"

static const char* ca_cert = SECRET_CA_CERT;
static char uri[128];

static void mqtt_event_handler(void* handler_args, esp_event_base_t base, int32_t event_id, void* event_data) {
  esp_mqtt_event_handle_t event = (esp_mqtt_event_handle_t)event_data;
  switch ((esp_mqtt_event_id_t)event_id) {
    case MQTT_EVENT_CONNECTED:
      Serial.println("RIG: connected");  // [rig]
      esp_mqtt_client_publish(event->client, SECRET_TOPIC "/up", "hello", 0, 0, 0);
      break;
    case MQTT_EVENT_ERROR:
      Serial.printf("RIG: connect fail state=-2 tls=%d\n", event->error_handle->esp_tls_last_esp_err);  // [rig]
      break;
    default:
      break;
  }
}

void setup() {
  Serial.begin(115200);
  WiFi.begin(SECRET_SSID, SECRET_PASS);
  while (WiFi.status() != WL_CONNECTED) delay(500);
  snprintf(uri, sizeof uri, "mqtts://%s", SECRET_BROKER);

  esp_mqtt_client_config_t mqtt_cfg = {};
  mqtt_cfg.broker.address.uri = uri;
  mqtt_cfg.broker.address.port = SECRET_PORT;
  mqtt_cfg.broker.verification.certificate = ca_cert;
  mqtt_cfg.credentials.username = SECRET_MQTT_USER;
  mqtt_cfg.credentials.authentication.password = SECRET_MQTT_PASS;

  esp_mqtt_client_handle_t client = esp_mqtt_client_init(&mqtt_cfg);
  esp_mqtt_client_register_event(client, (esp_mqtt_event_id_t)ESP_EVENT_ANY_ID, mqtt_event_handler, NULL);
  esp_mqtt_client_start(client);
}

void loop() {
  delay(1000);
}
