// Print (Print.h): the number and float formatting every Serial.print and log line goes through.
#include <math.h>

#include "Arduino.h"
#include "check.h"

namespace {
class Capture : public Print {
 public:
  size_t write(uint8_t c) override {
    text += (char)c;
    return 1;
  }
  std::string take() {
    std::string t = text;
    text.clear();
    return t;
  }
  std::string text;
};
}  // namespace

TEST(integers_in_every_base) {
  Capture p;
  p.print(255, HEX);
  p.print(' ');
  p.print(255, BIN);
  p.print(' ');
  p.print(8, OCT);
  p.print(' ');
  p.print(-42);
  p.print(' ');
  p.print(0);
  CHECK_EQ(p.take(), "FF 11111111 10 -42 0");
  p.print(-1, HEX);  // the board's 32-bit int
  CHECK_EQ(p.take(), "FFFFFFFF");
  p.print(-1L, HEX);  // the board's long is 32 bits too
  CHECK_EQ(p.take(), "FFFFFFFF");
  p.print(-1LL, HEX);
  CHECK_EQ(p.take(), "FFFFFFFFFFFFFFFF");
  p.print(4294967295UL);
  CHECK_EQ(p.take(), "4294967295");
  p.print(65, 0);  // base 0 writes the byte itself
  CHECK_EQ(p.take(), "A");
}

TEST(floats_with_digits_round_like_the_cores) {
  Capture p;
  p.print(3.14159);
  CHECK_EQ(p.take(), "3.14");
  p.print(3.14159, 4);
  CHECK_EQ(p.take(), "3.1416");
  p.print(2.5, 0);  // half a digit added, then cut: printf's half-to-even would print 2
  CHECK_EQ(p.take(), "3");
  p.print(-0.125, 2);
  CHECK_EQ(p.take(), "-0.13");
  p.print(1.999, 2);
  CHECK_EQ(p.take(), "2.00");
  p.print(21.5f, 1);
  CHECK_EQ(p.take(), "21.5");
  p.print(NAN);
  CHECK_EQ(p.take(), "nan");
  p.print(INFINITY);
  CHECK_EQ(p.take(), "inf");
  p.print(5e9);
  CHECK_EQ(p.take(), "ovf");
}

TEST(println_ends_lines_with_cr_lf) {
  Capture p;
  CHECK_EQ(p.println(42), 4u);
  p.println();
  p.println(F("flash"));
  p.println(255, HEX);
  p.println(String("s"));
  CHECK_EQ(p.take(), "42\r\n\r\nflash\r\nFF\r\ns\r\n");
}

TEST(printf_formats_short_and_long_lines) {
  Capture p;
  CHECK_EQ(p.printf("%d-%s", 7, "x"), 3u);
  CHECK_EQ(p.take(), "7-x");
  std::string longText(300, 'z');
  CHECK_EQ(p.printf("[%s]", longText.c_str()), 302u);
  CHECK_EQ(p.take(), "[" + longText + "]");
}

TEST(strings_flash_strings_and_printables) {
  Capture p;
  CHECK_EQ(p.print("abc"), 3u);
  p.print(F("|F|"));
  p.print(String("str"));
  p.print(IPAddress(10, 0, 0, 1));
  CHECK_EQ(p.take(), "abc|F|str10.0.0.1");
  static const char text[] PROGMEM = "progmem";
  CHECK_EQ(strlen_P(text), 7u);
  CHECK_EQ((char)pgm_read_byte(text + 1), 'r');
}
