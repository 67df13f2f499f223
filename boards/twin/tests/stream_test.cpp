// Stream (Stream.h): the timed reads sketches parse serial commands and replies with.
#include "Arduino.h"
#include "check.h"

namespace {
// Characters that become readable one by one, `gapMs` apart (0: all at once), from the first read on.
class ScriptStream : public Stream {
 public:
  explicit ScriptStream(const char* text, unsigned long gapMs = 0) : text_(text), gapMs_(gapMs) {}
  int available() override { return ready() ? (int)(ready() - pos_) : 0; }
  int read() override {
    int c = peek();
    if (c >= 0) pos_++;
    return c;
  }
  int peek() override { return pos_ < ready() ? (unsigned char)text_[pos_] : -1; }
  size_t write(uint8_t) override { return 0; }

 private:
  size_t ready() {
    if (!started_) {
      started_ = true;
      start_ = millis();
    }
    size_t n = gapMs_ == 0 ? text_.size() : (size_t)((millis() - start_) / gapMs_) + 1;
    return n < text_.size() ? n : text_.size();
  }
  std::string text_;
  unsigned long gapMs_;
  size_t pos_ = 0;
  bool started_ = false;
  unsigned long start_ = 0;
};
}  // namespace

TEST(read_string_until_consumes_the_terminator) {
  ScriptStream s("hello\nworld");
  s.setTimeout(20);
  CHECK_EQ(s.readStringUntil('\n'), "hello");
  CHECK_EQ(s.peek(), (int)'w');
  CHECK_EQ(s.readString(), "world");
  CHECK_EQ(s.readStringUntil('\n'), "");
}

TEST(parse_int_skips_to_the_number_and_leaves_the_rest) {
  ScriptStream s("abc-123xyz 42 17");
  s.setTimeout(20);
  CHECK_EQ(s.parseInt(), -123L);
  CHECK_EQ(s.read(), (int)'x');
  CHECK_EQ(s.parseInt(), 42L);
  CHECK_EQ(s.parseInt(), 17L);
  CHECK_EQ(s.parseInt(), 0L);  // nothing left: 0 once the timeout passes
}

TEST(parse_float_stops_at_a_second_sign_or_point) {
  ScriptStream s("x3.25y 12-5 1.2.3");
  s.setTimeout(20);
  CHECK_EQ(s.parseFloat(), 3.25f);
  CHECK_EQ(s.parseFloat(), 12.0f);
  CHECK_EQ(s.parseInt(), -5L);  // the '-' after 12 starts the next number
  CHECK_EQ(s.parseFloat(), 1.2f);
  CHECK_EQ(s.read(), (int)'.');
}

TEST(set_timeout_bounds_each_wait_not_the_whole_read) {
  ScriptStream empty("");
  CHECK_EQ(empty.getTimeout(), 1000ul);  // the cores' default
  empty.setTimeout(30);
  CHECK_EQ(empty.getTimeout(), 30ul);
  unsigned long t0 = millis();
  CHECK_EQ(empty.readString(), "");
  CHECK(millis() - t0 >= 30);  // it waited the timeout (a lower bound only)
  // One character every 10 ms against a 500 ms timeout: every character arrives within its own wait.
  ScriptStream slow("abcd", 10);
  slow.setTimeout(500);
  CHECK_EQ(slow.readStringUntil('d'), "abc");
}

TEST(find_restarts_inside_a_partial_match) {
  ScriptStream s("xx11112rest");
  s.setTimeout(20);
  CHECK(s.find("1112"));
  CHECK_EQ(s.readString(), "rest");
  ScriptStream none("abc");
  none.setTimeout(20);
  CHECK(!none.find("zz"));
}

TEST(read_bytes_and_read_bytes_until) {
  ScriptStream s("abcdef,gh");
  s.setTimeout(20);
  char buf[16] = {0};
  CHECK_EQ(s.readBytes(buf, 4), 4u);
  CHECK_EQ(std::string(buf, 4), "abcd");
  CHECK_EQ(s.readBytesUntil(',', buf, sizeof buf), 2u);
  CHECK_EQ(std::string(buf, 2), "ef");
  CHECK_EQ(s.readBytes(buf, sizeof buf), 2u);  // ends at the timeout with what came
}
