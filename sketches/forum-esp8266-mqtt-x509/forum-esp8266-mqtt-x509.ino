// Forum reproductions on ESP8266: the shape of PubSubClient's mqtt_esp8266 example with the TLS setup of
// copercini/esp8266-aws_iot mqtt_x509 (what the threads' sketches are made of), so the serial shows the
// users' own lines: "Attempting MQTT connection...failed, rc=-2 try again in 5 seconds" and
// "WiFiClientSecure SSL error: <getLastSSLError text>". Settings come from arduino_secrets.h
// (sketches/README.md) plus these optional extras (scenario client.config):
//   SECRET_SET_CLOCK 0          do not call configTime() (sketches written for axTLS never did)
//   SECRET_CLIENT_CERT_FIRST 1  call setClientRSACert() before the server-auth setter (esp8266#7455 order)
//   SECRET_RX_BUF / SECRET_TX_BUF  setBufferSizes(rx, tx) (esp8266#5061)
//   SECRET_TLS_MAX 770          setSSLVersion(BR_TLS10, <max>): a client stack that stops at TLS 1.1 (espduino#36)
// Lines starting "RIG: " are for the rig.
#include <ESP8266WiFi.h>
#include <PubSubClient.h>
#include <time.h>
#include "arduino_secrets.h"

#ifndef SECRET_SET_CLOCK
#define SECRET_SET_CLOCK 1
#endif
#ifndef SECRET_CLIENT_CERT_FIRST
#define SECRET_CLIENT_CERT_FIRST 0
#endif

BearSSL::WiFiClientSecure espClient;
PubSubClient client(espClient);
#ifdef SECRET_CA_CERT
BearSSL::X509List caList(SECRET_CA_CERT);
#endif
#if defined(SECRET_CLIENT_CERT) && defined(SECRET_CLIENT_KEY)
BearSSL::X509List clientCert(SECRET_CLIENT_CERT);
BearSSL::PrivateKey clientKey(SECRET_CLIENT_KEY);
#endif
unsigned long lastAttempt = 0;
bool attempted = false;

const char* orNull(const char* s) { return (s && s[0]) ? s : NULL; }

void setClientCert() {
#if defined(SECRET_CLIENT_CERT) && defined(SECRET_CLIENT_KEY)
  espClient.setClientRSACert(&clientCert, &clientKey);
#endif
}

void setServerAuth() {
#if SECRET_INSECURE
  espClient.setInsecure();
#elif defined(SECRET_CA_CERT)
  espClient.setTrustAnchors(&caList);
#endif
}

void reconnect() {
  Serial.print("Attempting MQTT connection...");
  if (client.connect(SECRET_CLIENT_ID, orNull(SECRET_MQTT_USER), orNull(SECRET_MQTT_PASS))) {
    Serial.println("connected");
    Serial.println("RIG: connected");
    if (client.publish(SECRET_TOPIC "/up", "hello")) Serial.println("RIG: published");
    client.subscribe(SECRET_TOPIC "/cmd");
    return;
  }
  Serial.print("failed, rc=");
  Serial.print(client.state());
  Serial.println(" try again in 5 seconds");
  char buf[256] = "";
  int err = espClient.getLastSSLError(buf, sizeof(buf));
  Serial.print("WiFiClientSecure SSL error: ");
  Serial.println(buf);
  Serial.printf("RIG: connect fail state=%d tls=%d text=\"%s\"\n", client.state(), err, buf);
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
  Serial.println("WiFi connected");
#if SECRET_SET_CLOCK
  configTime(0, 0, "pool.ntp.org", "time.nist.gov");
  time_t now = time(nullptr);
  for (int i = 0; i < 40 && now < 1700000000; i++) { delay(500); now = time(nullptr); }
#endif
#ifdef SECRET_TLS_MAX
  espClient.setSSLVersion(BR_TLS10, SECRET_TLS_MAX);
#endif
#if defined(SECRET_RX_BUF) && defined(SECRET_TX_BUF)
  espClient.setBufferSizes(SECRET_RX_BUF, SECRET_TX_BUF);
#endif
#if SECRET_CLIENT_CERT_FIRST
  setClientCert();
  setServerAuth();
#else
  setServerAuth();
  setClientCert();
#endif
#if SECRET_BROKER_IS_IP
  IPAddress ip;
  ip.fromString(SECRET_BROKER);
  client.setServer(ip, SECRET_PORT);
#else
  client.setServer(SECRET_BROKER, SECRET_PORT);
#endif
}

void loop() {
  if (!client.connected()) {
    if (!attempted || millis() - lastAttempt >= 5000) {
      attempted = true;
      lastAttempt = millis();
      reconnect();
    }
    delay(10);
    return;
  }
  client.loop();
}
