// A counting semaphore in shared memory whose count is the distance between two cursors packed in
// one 64-bit word (see layout::SemaphoreData): taking n units moves the takers' cursor by n with
// one CAS and tells the taker which positions it got; giving n units moves the givers' limit with
// one fetch_add. No unit exists outside the word, so no crash can leak one.
//
// Uncontended, take and give are one atomic instruction each; give enters the kernel only when a
// waiter has recorded itself in `sleepers`. A blocking wait polls for up to 200 us (yielding the
// core between rounds) before it sleeps on the word's high half (a futex). Deadlines are on the
// monotonic clock. Any process that maps the segment may call any member.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include "shmq/attach_options.hpp"  // Clock, WaitStrategy
#include "shmq/detail/layout.hpp"

namespace shmq {


// A run of units taken at once: the takers' cursor (low 32 bits of a position) of the first
// one, and how many (not to be confused with Ring::taken(), the consumers' 64-bit cursor).
struct UnitRun {
  std::uint32_t first = 0;
  std::uint32_t count = 0;
};

class CursorSemaphore {
 public:
  explicit CursorSemaphore(layout::SemaphoreData& data) noexcept : data_(data) {}

  // Creator only, before the segment is marked ready: `count` units, cursor at 0.
  static void initialise(layout::SemaphoreData& data, std::uint32_t count) noexcept;

  // Never blocks. Takes min(available, max) units (count 0 if none).
  [[nodiscard]] UnitRun try_take(std::uint32_t max) noexcept;
  // Blocks until at least one unit is available or `until` passes; then takes up to max.
  [[nodiscard]] UnitRun take(std::uint32_t max, Clock::time_point until, WaitStrategy strategy);
  // Waits, without taking, until a unit is available, `until` passes, or (block strategy) a
  // wake-up arrives; returns whether a unit is available. Callers loop and re-check their own
  // conditions in between (end of stream, stop requests). With `poll` (the start of a wait) a
  // blocking wait only polls, up to 200 us, and returns, so that the caller checks its
  // conditions before its first sleep; without (after a slice that came up empty) it sleeps at
  // once, so that an idle waiter costs no CPU. `need`: wait for that many units instead of one
  // (a message that takes several slots).
  bool wait_available(Clock::time_point until, WaitStrategy strategy, bool poll = true,
                      std::uint32_t need = 1);
  // Sleeps in the kernel, without polling or taking, until the givers' limit is no longer
  // `seen_limit` (someone gave), a wake-up arrives, or `until` passes. For waiting on what the
  // givers' limit counts (Ring::released(): a producer's join) rather than on units.
  void wait_for_give(std::uint32_t seen_limit, Clock::time_point until) noexcept;

  // Never blocks. Makes n more units available and wakes sleepers, if any are recorded. Returns
  // the units available just after the give (what the givers' add left in the word).
  std::uint32_t give(std::uint32_t n) noexcept;
  // Never blocks. Gives n units only if the givers' limit is still `seen_limit` (a giver that
  // derived n from it, racing others that may have given the same units first); wakes sleepers
  // as give() does. Returns the units available just after, or nothing if the limit moved.
  [[nodiscard]] std::optional<std::uint32_t> give_from(std::uint32_t seen_limit,
                                                       std::uint32_t n) noexcept;
  // Wakes every sleeper without giving, so they re-check their conditions (end of stream).
  void wake_all() noexcept;
  // Recovery only (under the queue mutex): moves the takers' cursor back to `cursor`, making the
  // units between it and the current cursor available again.
  void rewind_takers(std::uint32_t cursor) noexcept;

  // Snapshots for monitoring and recovery; stale as soon as they are returned.
  [[nodiscard]] std::uint32_t value() const noexcept;
  [[nodiscard]] std::uint32_t takers_cursor() const noexcept;
  [[nodiscard]] std::uint32_t givers_limit() const noexcept;
  // givers_limit() read with a read-modify-write that changes nothing: every caller's earlier
  // stores are ordered before it, and it sees those of every caller before it (all such reads
  // of one word are in one total order), where a plain load could be passed by a store still in
  // our store buffer. A fence that ThreadSanitizer understands.
  [[nodiscard]] std::uint32_t givers_limit_after_our_stores() noexcept;

 private:
  // Sleeps until a give or `until`, unless `awake(word)` holds once we are recorded as a sleeper;
  // `counted`: a sleep for units, which `sleeps` counts.
  template <class Awake>
  void sleep_unless(Clock::time_point until, Awake awake, bool counted) noexcept;

  layout::SemaphoreData& data_;
};

// The units a semaphore word holds: givers' limit minus takers' cursor, modulo 2^32.
[[nodiscard]] constexpr std::uint32_t units_in(std::uint64_t word) noexcept {
  return static_cast<std::uint32_t>(word >> 32) - static_cast<std::uint32_t>(word);
}

// The full 64-bit position whose low 32 bits are `low`, given a `hint` within 2^31 of it.
[[nodiscard]] constexpr std::uint64_t expand(std::uint32_t low, std::uint64_t hint) noexcept {
  return hint + static_cast<std::uint64_t>(static_cast<std::int64_t>(
                    static_cast<std::int32_t>(low - static_cast<std::uint32_t>(hint))));
}

}  // namespace shmq
