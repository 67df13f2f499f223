// Seed 002 (forum.arduino.cc "NodeMCU (ESP8266) MQTT TLS"): the poster's sketch, trimmed only of what cannot
// matter (LED handling in the callback). Secrets, the PEM blocks and the broker address are arduino_secrets.h
// SECRET_* placeholders (sketches/README.md). Lines marked [rig] are additions for the rig.
// Two changes the post needs to compile at all: the key array is declared client_private_key but used as
// client_key (declared as client_key here), and X509List/PrivateKey(pem, sizeof(pem)) picks the DER
// overload (const uint8_t*, size_t), which a char array does not convert to: the PEM constructors are used.
#include <ESP8266WiFi.h>
#include <PubSubClient.h>
#include "arduino_secrets.h"

const char client_key[] PROGMEM = SECRET_CLIENT_KEY;

const char client_cert[] PROGMEM = SECRET_CLIENT_CERT;

static const char ca_cert[] PROGMEM = SECRET_CA_CERT;

const char* ssid = SECRET_SSID;
const char* password = SECRET_PASS;
const char* mqtt_server = SECRET_BROKER;
const char* MQTT_USERNAME = SECRET_MQTT_USER;
const char* MQTT_PASSWORD = SECRET_MQTT_PASS;

BearSSL::WiFiClientSecure espClient;
PubSubClient client(espClient);
unsigned long lastMsg = 0;
#define MSG_BUFFER_SIZE	(50)
char msg[MSG_BUFFER_SIZE];
int value = 0;

void setClock() {
  configTime(2 * 3600, 3600, "pool.ntp.org", "time.nist.gov", "time.google.com");

  Serial.print("Waiting for NTP time sync: ");
  time_t now = time(nullptr);

  // Wait until time is synced (year > 2020)
  while (now < 1700000000) { // Wait until after 2020-09-13
    delay(500);
    Serial.print(".");
    now = time(nullptr);
  }

  Serial.println("");
  struct tm timeinfo;
  localtime_r(&now, &timeinfo); // Use localtime_r instead of gmtime_r
  Serial.print("Current LOCAL time: ");
  Serial.print(asctime(&timeinfo));
}

void setup_wifi() {

  delay(10);
  // We start by connecting to a WiFi network
  Serial.println();
  Serial.print("Connecting to ");
  Serial.println(ssid);

  WiFi.mode(WIFI_STA);
  WiFi.begin(ssid, password);

  while (WiFi.status() != WL_CONNECTED) {
    delay(500);
    Serial.print(".");
  }

  randomSeed(micros());

  Serial.println("");
  Serial.println("WiFi connected");
  Serial.println("IP address: ");
  Serial.println(WiFi.localIP());
}

void callback(char* topic, byte* payload, unsigned int length) {
  Serial.print("Message arrived [");
  Serial.print(topic);
  Serial.print("] ");
  for (int i = 0; i < length; i++) {
    Serial.print((char)payload[i]);
  }
  Serial.println();
}

void reconnect() {
  char err_buf[256];

  // Loop until we're reconnected
  while (!client.connected()) {
    Serial.print("Attempting MQTT connection...");
    // Create a random client ID
    String clientId = SECRET_CLIENT_ID;
    // Attempt to connect
    if (client.connect(clientId.c_str(), MQTT_USERNAME, MQTT_PASSWORD)) {
      Serial.println("connected");
      Serial.println("RIG: connected");  // [rig]
      // Once connected, publish an announcement...
      client.publish(SECRET_TOPIC "/up", "hello world");
      // ... and resubscribe
      client.subscribe(SECRET_TOPIC "/cmd");
    } else {
      Serial.print("failed, rc=");
      Serial.println(client.state());
      int tls = espClient.getLastSSLError(err_buf, sizeof(err_buf));
      Serial.print("SSL error: ");
      Serial.println(err_buf);
      Serial.printf("RIG: connect fail state=%d tls=%d text=\"%s\"\n", client.state(), tls, err_buf);  // [rig]
      Serial.println(" try again in 5 seconds");
      // Wait 5 seconds before retrying
      delay(5000);
    }
  }
}

void setup() {
  Serial.begin(115200);

  setup_wifi();
  setClock(); // Required for X.509 validation


  BearSSL::X509List *serverTrustedCA = new BearSSL::X509List(ca_cert);
  BearSSL::X509List *serverCertList = new BearSSL::X509List(client_cert);
  BearSSL::PrivateKey *serverPrivKey = new BearSSL::PrivateKey(client_key);
  espClient.setBufferSizes(4096, 512);
  espClient.setTrustAnchors(serverTrustedCA);
  espClient.setClientRSACert(serverCertList, serverPrivKey);

  //espClient.allowSelfSignedCerts();

  //espClient.setInsecure(); //for testing only!!! - works fine
  client.setServer(mqtt_server, SECRET_PORT);
  client.setCallback(callback);
}

void loop() {

  if (!client.connected()) {
    reconnect();
  }
  client.loop();

  unsigned long now = millis();
  if (now - lastMsg > 5000) {
    lastMsg = now;
    ++value;
    snprintf (msg, MSG_BUFFER_SIZE, "hello world #%ld", value);
    Serial.print("Publish message: ");
    Serial.println(msg);
    client.publish(SECRET_TOPIC "/up", msg);
  }
}
