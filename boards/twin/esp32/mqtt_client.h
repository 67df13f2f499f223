// esp-mqtt (ESP-IDF components/mqtt, as shipped in arduino-esp32) for the twin, over the board's esp-tls
// behaviour on mbedTLS 2.28. Config layout: IDF 4.4 (flat) for cores 2.0.x, IDF 5.x (nested) for cores 3.x,
// chosen by ESP_ARDUINO_VERSION_MAJOR (set by rig/twin/build.ts). Subset: init/start/stop/destroy,
// register_event, publish/enqueue, subscribe, unsubscribe, reconnect, set_uri; MQTT 3.1.1, QoS 0/1.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "Arduino.h"

typedef struct esp_mqtt_client* esp_mqtt_client_handle_t;
typedef const char* esp_event_base_t;
typedef void* esp_event_loop_handle_t;
typedef void (*esp_event_handler_t)(void* handler_args, esp_event_base_t base, int32_t event_id, void* event_data);
#ifndef ESP_EVENT_ANY_ID
#define ESP_EVENT_ANY_ID -1
#endif
extern const char* MQTT_EVENTS;

typedef enum {
  MQTT_EVENT_ANY = -1,
  MQTT_EVENT_ERROR = 0,
  MQTT_EVENT_CONNECTED,
  MQTT_EVENT_DISCONNECTED,
  MQTT_EVENT_SUBSCRIBED,
  MQTT_EVENT_UNSUBSCRIBED,
  MQTT_EVENT_PUBLISHED,
  MQTT_EVENT_DATA,
  MQTT_EVENT_BEFORE_CONNECT,
  MQTT_EVENT_DELETED,
} esp_mqtt_event_id_t;

typedef enum {
  MQTT_CONNECTION_ACCEPTED = 0,
  MQTT_CONNECTION_REFUSE_PROTOCOL,
  MQTT_CONNECTION_REFUSE_ID_REJECTED,
  MQTT_CONNECTION_REFUSE_SERVER_UNAVAILABLE,
  MQTT_CONNECTION_REFUSE_BAD_USERNAME,
  MQTT_CONNECTION_REFUSE_NOT_AUTHORIZED,
} esp_mqtt_connect_return_code_t;

typedef enum { MQTT_ERROR_TYPE_NONE = 0, MQTT_ERROR_TYPE_TCP_TRANSPORT, MQTT_ERROR_TYPE_CONNECTION_REFUSED } esp_mqtt_error_type_t;
#define MQTT_ERROR_TYPE_ESP_TLS MQTT_ERROR_TYPE_TCP_TRANSPORT

typedef enum { MQTT_TRANSPORT_UNKNOWN = 0, MQTT_TRANSPORT_OVER_TCP, MQTT_TRANSPORT_OVER_SSL, MQTT_TRANSPORT_OVER_WS, MQTT_TRANSPORT_OVER_WSS } esp_mqtt_transport_t;
typedef enum { MQTT_PROTOCOL_UNDEFINED = 0, MQTT_PROTOCOL_V_3_1, MQTT_PROTOCOL_V_3_1_1, MQTT_PROTOCOL_V_5 } esp_mqtt_protocol_ver_t;

typedef struct esp_mqtt_error_codes {
  int esp_tls_last_esp_err;
  int esp_tls_stack_err;         // mbedTLS return, e.g. -0x2700
  int esp_tls_cert_verify_flags; // mbedtls_ssl_get_verify_result()
  esp_mqtt_error_type_t error_type;
  esp_mqtt_connect_return_code_t connect_return_code;
  int esp_transport_sock_errno;
} esp_mqtt_error_codes_t;

typedef struct esp_mqtt_event_t {
  esp_mqtt_event_id_t event_id;
  esp_mqtt_client_handle_t client;
  void* user_context;
  char* data;
  int data_len;
  int total_data_len;
  int current_data_offset;
  char* topic;
  int topic_len;
  int msg_id;
  int session_present;
  esp_mqtt_error_codes_t* error_handle;
  bool retain;
  int qos;
  bool dup;
} esp_mqtt_event_t;
typedef esp_mqtt_event_t* esp_mqtt_event_handle_t;
typedef int (*mqtt_event_callback_t)(esp_mqtt_event_handle_t event);

// Normalised configuration passed to the implementation (both layouts map onto it).
struct twin_mqtt_config {
  const char* uri; const char* host; uint32_t port; esp_mqtt_transport_t transport;
  const char* client_id; const char* username; const char* password;
  const char* lwt_topic; const char* lwt_msg; int lwt_qos; int lwt_retain;
  int keepalive; bool disable_clean_session; bool disable_auto_reconnect; int reconnect_timeout_ms; int network_timeout_ms;
  const char* cert_pem; const char* client_cert_pem; const char* client_key_pem;
  const char* client_key_password; int client_key_password_len;  // esp-tls clientkey_password(_len)
  bool skip_cert_common_name_check; const char* common_name; bool use_global_ca_store; bool crt_bundle;
  mqtt_event_callback_t event_handle; void* user_context; int buffer_size;
};
esp_mqtt_client_handle_t twin_esp_mqtt_client_init(const twin_mqtt_config* cfg);

#if defined(ESP_ARDUINO_VERSION_MAJOR) && ESP_ARDUINO_VERSION_MAJOR >= 3
// IDF 5.x nested layout (subset of fields).
typedef struct esp_mqtt_client_config_t {
  struct broker_t {
    struct address_t { const char* uri; const char* hostname; esp_mqtt_transport_t transport; const char* path; uint32_t port; } address;
    struct verification_t { bool use_global_ca_store; int (*crt_bundle_attach)(void* conf); const char* certificate; size_t certificate_len;
      const void* psk_hint_key; bool skip_cert_common_name_check; const char** alpn_protos; const char* common_name; } verification;
  } broker;
  struct credentials_t {
    const char* username; const char* client_id; bool set_null_client_id;
    struct authentication_t { const char* password; const char* certificate; size_t certificate_len; const char* key; size_t key_len;
      const char* key_password; int key_password_len; bool use_secure_element; void* ds_data; } authentication;
  } credentials;
  struct session_t {
    struct last_will_t { const char* topic; const char* msg; int msg_len; int qos; int retain; } last_will;
    bool disable_clean_session; int keepalive; bool disable_keepalive; esp_mqtt_protocol_ver_t protocol_ver; int message_retransmit_timeout;
  } session;
  struct network_t { int reconnect_timeout_ms; int timeout_ms; int refresh_connection_after_ms; bool disable_auto_reconnect; } network;
  struct task_t { int priority; int stack_size; } task;
  struct buffer_t { int size; int out_size; } buffer;
} esp_mqtt_client_config_t;

static inline esp_mqtt_client_handle_t esp_mqtt_client_init(const esp_mqtt_client_config_t* c) {
  twin_mqtt_config t{};
  t.uri = c->broker.address.uri; t.host = c->broker.address.hostname; t.port = c->broker.address.port; t.transport = c->broker.address.transport;
  t.client_id = c->credentials.client_id; t.username = c->credentials.username; t.password = c->credentials.authentication.password;
  t.lwt_topic = c->session.last_will.topic; t.lwt_msg = c->session.last_will.msg; t.lwt_qos = c->session.last_will.qos; t.lwt_retain = c->session.last_will.retain;
  t.keepalive = c->session.disable_keepalive ? 0 : c->session.keepalive; t.disable_clean_session = c->session.disable_clean_session;
  t.disable_auto_reconnect = c->network.disable_auto_reconnect; t.reconnect_timeout_ms = c->network.reconnect_timeout_ms; t.network_timeout_ms = c->network.timeout_ms;
  t.cert_pem = c->broker.verification.certificate; t.client_cert_pem = c->credentials.authentication.certificate; t.client_key_pem = c->credentials.authentication.key;
  t.client_key_password = c->credentials.authentication.key_password; t.client_key_password_len = c->credentials.authentication.key_password_len;
  t.skip_cert_common_name_check = c->broker.verification.skip_cert_common_name_check; t.common_name = c->broker.verification.common_name;
  t.use_global_ca_store = c->broker.verification.use_global_ca_store; t.crt_bundle = c->broker.verification.crt_bundle_attach != nullptr;
  t.buffer_size = c->buffer.size;
  return twin_esp_mqtt_client_init(&t);
}
#else
// IDF 4.4 flat layout (subset of fields, same names).
typedef struct esp_mqtt_client_config_t {
  mqtt_event_callback_t event_handle;
  esp_event_loop_handle_t event_loop_handle;
  const char* host; const char* uri; uint32_t port; bool set_null_client_id; const char* client_id;
  const char* username; const char* password;
  const char* lwt_topic; const char* lwt_msg; int lwt_qos; int lwt_retain; int lwt_msg_len;
  int disable_clean_session; int keepalive; bool disable_auto_reconnect; void* user_context;
  int task_prio; int task_stack; int buffer_size;
  const char* cert_pem; size_t cert_len; const char* client_cert_pem; size_t client_cert_len; const char* client_key_pem; size_t client_key_len;
  esp_mqtt_transport_t transport; int refresh_connection_after_ms; const void* psk_hint_key; bool use_global_ca_store;
  int (*crt_bundle_attach)(void* conf); int reconnect_timeout_ms; const char** alpn_protos;
  const char* clientkey_password; int clientkey_password_len; esp_mqtt_protocol_ver_t protocol_ver; int out_buffer_size;
  bool skip_cert_common_name_check; bool use_secure_element; void* ds_data; int network_timeout_ms; bool disable_keepalive;
  const char* path; int message_retransmit_timeout;
} esp_mqtt_client_config_t;

static inline esp_mqtt_client_handle_t esp_mqtt_client_init(const esp_mqtt_client_config_t* c) {
  twin_mqtt_config t{};
  t.uri = c->uri; t.host = c->host; t.port = c->port; t.transport = c->transport;
  t.client_id = c->client_id; t.username = c->username; t.password = c->password;
  t.lwt_topic = c->lwt_topic; t.lwt_msg = c->lwt_msg; t.lwt_qos = c->lwt_qos; t.lwt_retain = c->lwt_retain;
  t.keepalive = c->disable_keepalive ? 0 : c->keepalive; t.disable_clean_session = c->disable_clean_session != 0;
  t.disable_auto_reconnect = c->disable_auto_reconnect; t.reconnect_timeout_ms = c->reconnect_timeout_ms; t.network_timeout_ms = c->network_timeout_ms;
  t.cert_pem = c->cert_pem; t.client_cert_pem = c->client_cert_pem; t.client_key_pem = c->client_key_pem;
  t.client_key_password = c->clientkey_password; t.client_key_password_len = c->clientkey_password_len;
  t.skip_cert_common_name_check = c->skip_cert_common_name_check; t.use_global_ca_store = c->use_global_ca_store;
  t.crt_bundle = c->crt_bundle_attach != nullptr; t.event_handle = c->event_handle; t.user_context = c->user_context; t.buffer_size = c->buffer_size;
  return twin_esp_mqtt_client_init(&t);
}
#endif

esp_err_t esp_mqtt_client_start(esp_mqtt_client_handle_t client);
esp_err_t esp_mqtt_client_stop(esp_mqtt_client_handle_t client);
esp_err_t esp_mqtt_client_destroy(esp_mqtt_client_handle_t client);
esp_err_t esp_mqtt_client_reconnect(esp_mqtt_client_handle_t client);
esp_err_t esp_mqtt_client_disconnect(esp_mqtt_client_handle_t client);
esp_err_t esp_mqtt_client_set_uri(esp_mqtt_client_handle_t client, const char* uri);
esp_err_t esp_mqtt_client_register_event(esp_mqtt_client_handle_t client, esp_mqtt_event_id_t event, esp_event_handler_t handler, void* arg);
int esp_mqtt_client_publish(esp_mqtt_client_handle_t client, const char* topic, const char* data, int len, int qos, int retain);
int esp_mqtt_client_enqueue(esp_mqtt_client_handle_t client, const char* topic, const char* data, int len, int qos, int retain, bool store);
int esp_mqtt_client_subscribe(esp_mqtt_client_handle_t client, const char* topic, int qos);
int esp_mqtt_client_unsubscribe(esp_mqtt_client_handle_t client, const char* topic);
