// Reads lines from the serial port and answers each one: what a board's serial console does for a test that
// types commands (board.write) and expects the answer (board.expect).
String line;

void setup() {
  Serial.begin(115200);
  Serial.println("serial-echo ready");
}

void loop() {
  while (Serial.available() > 0) {
    char c = (char)Serial.read();
    if (c == '\r') continue;
    if (c != '\n') {
      line += c;
      continue;
    }
    Serial.print("echo: ");
    Serial.println(line);
    line = "";
  }
  delay(10);
}
