// A copy for short, variable-length messages: up to 64 bytes it is two overlapping fixed-size
// moves the compiler inlines, instead of a call into the C library's memcpy (whose dispatch
// costs as much as the copy at these sizes). Reads and writes only [0, n).
#pragma once

#include <cstddef>
#include <cstring>

namespace shmq {

inline void short_copy(void* to, const void* from, std::size_t n) noexcept {
  auto* d = static_cast<unsigned char*>(to);
  const auto* s = static_cast<const unsigned char*>(from);
  if (n > 64) {
    std::memcpy(d, s, n);
  } else if (n >= 32) {
    std::memcpy(d, s, 32);
    std::memcpy(d + n - 32, s + n - 32, 32);
  } else if (n >= 16) {
    std::memcpy(d, s, 16);
    std::memcpy(d + n - 16, s + n - 16, 16);
  } else if (n >= 8) {
    std::memcpy(d, s, 8);
    std::memcpy(d + n - 8, s + n - 8, 8);
  } else if (n >= 4) {
    std::memcpy(d, s, 4);
    std::memcpy(d + n - 4, s + n - 4, 4);
  } else {
    for (std::size_t i = 0; i < n; ++i) d[i] = s[i];
  }
}

}  // namespace shmq
