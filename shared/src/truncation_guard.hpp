// Survives another process truncating a segment we have mapped.
//
// Touching a mapped page that lies beyond the end of a shrunken file raises SIGBUS, which would
// kill the process. While a mapping is watched, a SIGBUS handler recognises faults inside it,
// replaces the whole mapping with private zero pages (the faulting access then completes and
// reads zeros) and marks the mapping lost. Zeros are harmless to every reader: stamps stop
// matching and semaphores read empty. Handles check `lost()` and report the loss instead of
// trusting anything they read afterwards.
//
// Faults outside watched mappings go to the handler that was installed before ours, or get the
// default action (death by SIGBUS), as if we were never there. A program that installs its own
// SIGBUS handler after opening a queue replaces this protection.
#pragma once

#include <atomic>
#include <cstddef>

namespace shmq::detail {

class TruncationWatch {
 public:
  TruncationWatch() = default;
  TruncationWatch(const TruncationWatch&) = delete;
  TruncationWatch& operator=(const TruncationWatch&) = delete;
  ~TruncationWatch();

  // Starts watching [base, base + size). Installs the handler on first use. With more than
  // kMaxWatched mappings alive in one process, later ones are left unwatched.
  void watch(void* base, std::size_t size) noexcept;

  // Raised once the mapping was truncated under us (and now reads as zeros). Never null; an
  // unwatched mapping gets a flag that is never raised.
  [[nodiscard]] const std::atomic<bool>* lost_flag() const noexcept;

  static constexpr int kMaxWatched = 256;

 private:
  int index_ = -1;
};

}  // namespace shmq::detail
