// The board's UART0 on the host: a pseudo-terminal the rig opens with serialport, or any file descriptor
// (stdout for manual runs, a pipe in tests). HardwareSerial (Serial) and the core log lines both write here.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <string>

namespace twin {
// Opens a raw 115200 pty and makes it the serial port; its slave path in `slavePath`. False (errno set) on failure.
bool serialOpenPty(std::string& slavePath);
// Uses these descriptors instead (inFd -1: nothing to read).
void serialAttach(int outFd, int inFd);
// Bytes to the serial port; core log lines use this too so they interleave like UART0.
void serialWrite(const uint8_t* data, size_t len);
// Board time (µs) of the last serial write, 0 before any: virtual time pauses after a burst (clock.cpp).
uint64_t serialLastWriteUs();
// Lines ('\n') written to the serial port so far: a burst end names how many the rig should have read.
uint64_t serialLinesWritten();
// Waits (at most timeoutMs) until the rig has read everything written to the pty; before an exit.
void serialDrain(uint32_t timeoutMs);
}  // namespace twin
