// Copy and compare for short, variable-length messages: up to 64 bytes each is two overlapping
// fixed-size operations the compiler inlines, instead of a call into the C library (whose
// dispatch costs as much as the work at these sizes). Both touch only [0, n).
#pragma once

#include <cstddef>
#include <cstring>

namespace shmq {

namespace detail {

// Runs op.run<W>(offset) over [0, n), n <= 64: two overlapping pieces of one fixed width W, or
// byte by byte below 4. Stops at the first piece that returns false.
template <class Op>
inline bool short_pieces(std::size_t n, const Op& op) noexcept {
  if (n >= 32) return op.template run<32>(0) && op.template run<32>(n - 32);
  if (n >= 16) return op.template run<16>(0) && op.template run<16>(n - 16);
  if (n >= 8) return op.template run<8>(0) && op.template run<8>(n - 8);
  if (n >= 4) return op.template run<4>(0) && op.template run<4>(n - 4);
  for (std::size_t i = 0; i < n; ++i) {
    if (!op.template run<1>(i)) return false;
  }
  return true;
}

struct CopyPiece {
  unsigned char* to;
  const unsigned char* from;
  template <std::size_t W>
  bool run(std::size_t at) const noexcept {
    std::memcpy(to + at, from + at, W);
    return true;
  }
};

struct EqualPiece {
  const unsigned char* a;
  const unsigned char* b;
  template <std::size_t W>
  bool run(std::size_t at) const noexcept {
    return std::memcmp(a + at, b + at, W) == 0;  // a fixed width: inlined as loads and compares
  }
};

}  // namespace detail

inline void short_copy(void* to, const void* from, std::size_t n) noexcept {
  if (n > 64) {
    std::memcpy(to, from, n);
    return;
  }
  detail::short_pieces(n, detail::CopyPiece{static_cast<unsigned char*>(to),
                                            static_cast<const unsigned char*>(from)});
}

// Whether the n bytes at a and b are equal.
inline bool short_equal(const void* a, const void* b, std::size_t n) noexcept {
  if (n > 64) return std::memcmp(a, b, n) == 0;
  return detail::short_pieces(n, detail::EqualPiece{static_cast<const unsigned char*>(a),
                                                    static_cast<const unsigned char*>(b)});
}

}  // namespace shmq
