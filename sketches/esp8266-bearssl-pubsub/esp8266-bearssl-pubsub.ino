// Rig probe for ESP8266 core 3.1.x: BearSSL::WiFiClientSecure + PubSubClient 2.8, configured only through
// arduino_secrets.h (sketches/README.md). Builds unchanged for a NodeMCU; uses only real core APIs.
// It does what real sketches do: configTime(), wait for the clock, then setX509Time(time(nullptr)).
#include <ESP8266WiFi.h>
#include <WiFiClientSecure.h>
#include <PubSubClient.h>
#include <time.h>
#include "arduino_secrets.h"

BearSSL::WiFiClientSecure net;
PubSubClient mqtt(net);
#ifdef SECRET_CA_CERT
BearSSL::X509List caList(SECRET_CA_CERT);
#endif
#if defined(SECRET_CLIENT_CERT) && defined(SECRET_CLIENT_KEY)
BearSSL::X509List clientChain(SECRET_CLIENT_CERT);
BearSSL::PrivateKey clientKey(SECRET_CLIENT_KEY);
#endif
unsigned long lastAttempt = 0;
bool everTried = false;

void onMessage(char* topic, byte* payload, unsigned int length) {
  static char text[257];
  unsigned int n = length < sizeof(text) - 1 ? length : sizeof(text) - 1;
  memcpy(text, payload, n);
  text[n] = 0;
  Serial.print("RIG: echo ");
  Serial.println(text);
  mqtt.publish(SECRET_TOPIC "/echo", text);
}

void setClock() {
  configTime(0, 0, "pool.ntp.org", "time.nist.gov");
  Serial.print("Waiting for NTP time sync: ");
  time_t now = time(nullptr);
  unsigned long start = millis();
  // Give up after 15 s like many sketches do; the clock then stays near 1970 (TLS says 54).
  while (now < 1700000000 && millis() - start < 15000) {
    delay(500);
    Serial.print(".");
    now = time(nullptr);
  }
  Serial.println("");
  Serial.print("Current time: ");
  Serial.print(ctime(&now));
}

void setup() {
  Serial.begin(115200);
  Serial.println();
  Serial.print("Connecting to ");
  Serial.println(SECRET_SSID);
  WiFi.mode(WIFI_STA);
  WiFi.begin(SECRET_SSID, SECRET_PASS);
  while (WiFi.status() != WL_CONNECTED) {
    delay(500);
    Serial.print(".");
  }
  Serial.println("");
  Serial.print("WiFi connected, IP address: ");
  Serial.println(WiFi.localIP());
  setClock();

#if SECRET_INSECURE
  net.setInsecure();
#elif defined(SECRET_CA_CERT)
  net.setTrustAnchors(&caList);
#endif
  net.setX509Time(time(nullptr));
#if defined(SECRET_CLIENT_CERT) && defined(SECRET_CLIENT_KEY)
  if (clientKey.isEC()) net.setClientECCert(&clientChain, &clientKey, BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN, BR_KEYTYPE_EC);
  else net.setClientRSACert(&clientChain, &clientKey);
#endif

#if SECRET_BROKER_IS_IP
  IPAddress brokerIp;
  brokerIp.fromString(SECRET_BROKER);
  mqtt.setServer(brokerIp, SECRET_PORT);
#else
  mqtt.setServer(SECRET_BROKER, SECRET_PORT);
#endif
  mqtt.setCallback(onMessage);
#ifdef SECRET_BUFFER_SIZE
  mqtt.setBufferSize(SECRET_BUFFER_SIZE);  // PubSubClient 2.8: CONNECT and PUBLISH share this buffer (256 by default)
#endif
}

void tryConnect() {
  Serial.print("Attempting MQTT connection...");
  const char* user = SECRET_MQTT_USER;
  bool ok = user[0] ? mqtt.connect(SECRET_CLIENT_ID, SECRET_MQTT_USER, SECRET_MQTT_PASS) : mqtt.connect(SECRET_CLIENT_ID);
  if (ok) {
    Serial.println("connected");
    Serial.println("RIG: connected");
    mqtt.subscribe(SECRET_TOPIC "/cmd");
    if (mqtt.publish(SECRET_TOPIC "/up", "hello from " SECRET_CLIENT_ID)) Serial.println("RIG: published");
    else Serial.println("RIG: publish failed");
    return;
  }
  char err[256];
  int tls = net.getLastSSLError(err, sizeof(err));
  Serial.print("failed, rc=");
  Serial.print(mqtt.state());
  Serial.println(" try again in 5 seconds");
  Serial.print("SSL error: ");
  Serial.println(err);
  Serial.printf("RIG: connect fail state=%d tls=%d text=\"%s\"\n", mqtt.state(), tls, err);
}

void loop() {
  if (!mqtt.connected()) {
    if (!everTried || millis() - lastAttempt >= 5000) {
      everTried = true;
      lastAttempt = millis();
      tryConnect();
    }
    delay(10);
    return;
  }
  mqtt.loop();
}
