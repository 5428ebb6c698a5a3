// Splits a fuzzer's input into parameters (taken from the front) and the bytes under test,
// and stops a target with a message when one of its invariants breaks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

namespace causeway::fuzz {

class Input {
 public:
  Input(const std::uint8_t* data, std::size_t size) : data_(data, size) {}

  // Missing bytes read as zero, so every input is usable.
  std::uint8_t u8() {
    if (data_.empty()) return 0;
    const std::uint8_t v = data_[0];
    data_ = data_.subspan(1);
    return v;
  }
  std::uint16_t u16() {
    const std::uint16_t low = u8();
    return static_cast<std::uint16_t>(low | (u8() << 8));
  }
  std::uint32_t u32() {
    const std::uint32_t low = u16();
    return low | (std::uint32_t(u16()) << 16);
  }
  std::span<const std::uint8_t> rest() const { return data_; }

 private:
  std::span<const std::uint8_t> data_;
};

// An invariant broke: libFuzzer records the input as a crash.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

inline void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

}  // namespace causeway::fuzz
