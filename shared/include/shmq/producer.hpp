// The producer handle: one attachment of this process, as a producer, to a queue.
#pragma once

#include <cassert>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "shmq/attach_options.hpp"
#include "shmq/errors.hpp"
#include "shmq/geometry.hpp"
#include "shmq/wire.hpp"

namespace shmq {

class Ring;

namespace detail {
// Where packing stands in the batch claimed last; kept by the Producer, so that every copy of
// the batch sees the same state, and never read back from the shared slots.
struct PackState {
  std::uint32_t slot = UINT32_MAX;  // the slot being packed
  std::uint32_t used = 0;           // its payload bytes so far
  std::uint32_t records = 0;        // its messages so far
  std::uint32_t packed_slots = 0;   // slots of the batch that hold packed messages
  std::uint64_t packed_messages = 0;
};
}  // namespace detail

// Slots claimed for writing in place, then published together. Fill each slot one of two ways:
//  - one message: write buffer(i), then set_length(i);
//  - several small messages packed: append(i, size) for each, writing where it points, or
//    append_many(i, size, n, fill) for n of one size. Pack slot by slot: appending to a later
//    slot closes the one before. A message too long to share a slot takes an empty one alone,
//    so appending is all a writer needs.
// A slot left unfilled publishes as an empty message. The accessors are inline: they run once
// per message, on the hot path.
class WriteBatch {
 public:
  [[nodiscard]] std::uint32_t size() const noexcept { return count_; }
  // Writable payload of slot i (i < size()): exactly slot_size bytes.
  [[nodiscard]] std::span<std::byte> buffer(std::uint32_t i) const noexcept {
    return {slot(i) + sizeof(layout::SlotHeader), slot_size_};
  }
  // The message in slot i is its first `length` bytes (length <= slot_size).
  void set_length(std::uint32_t i, std::uint32_t length) const noexcept {
    auto& header = *reinterpret_cast<layout::SlotHeader*>(slot(i));
    header.length = length < slot_size_ ? length : slot_size_;
    header.records = 0;
  }
  // Packs one more message of `size` bytes into slot i (i < size(), i not below a slot packed
  // before) and returns where to write it, or a span with a null data() if it does not fit
  // there (the slot is unchanged). A message too long to pack but not for the slot takes an
  // empty slot alone.
  [[nodiscard]] std::span<std::byte> append(std::uint32_t i, std::uint32_t size) const noexcept {
    std::span<std::byte> where;
    append_many(i, size, 1, [&where](std::span<std::byte> at, std::uint32_t) { where = at; });
    return where;
  }
  // Packs up to `n` more messages of `size` bytes each into slot i, as n calls of append(i, size)
  // would, and calls fill(where, k) to write the k-th of them (k = 0, 1, ...). Returns how many
  // fitted (0: the slot is unchanged). The packing state and the slot's header are updated once,
  // and fill() runs in a loop the compiler sees whole: the fast way to pack many messages.
  template <class Fill>
  std::uint32_t append_many(std::uint32_t i, std::uint32_t size, std::uint32_t n,
                            Fill&& fill) const {
    detail::PackState& pack = *packing_;
    const std::uint32_t used = pack.slot == i ? pack.used : 0;
    const std::uint64_t record = std::uint64_t{layout::kRecordPrefix} + size;
    const std::uint64_t fitting = (slot_size_ - used) / record;
    const auto count = static_cast<std::uint32_t>(n < fitting ? n : fitting);
    if (count == 0) return n != 0 && pack.slot != i ? fill_alone(i, size, fill) : 0;
    if (pack.slot != i) {
      assert(pack.slot == UINT32_MAX || i > pack.slot);  // a closed slot stays as it is
      pack.slot = i;
      pack.records = 0;
      ++pack.packed_slots;
    }
    std::byte* const start = slot(i);
    std::byte* at = start + sizeof(layout::SlotHeader) + used;
    for (std::uint32_t k = 0; k < count; ++k, at += record) {
      std::memcpy(at, &size, sizeof size);
      fill(std::span<std::byte>(at + layout::kRecordPrefix, size), k);
    }
    pack.used = used + static_cast<std::uint32_t>(record * count);  // at most slot_size
    pack.records += count;
    pack.packed_messages += count;
    auto& header = *reinterpret_cast<layout::SlotHeader*>(start);
    header.length = pack.used;
    header.records = pack.records;
    return count;
  }
  // How many messages of `size` bytes one slot holds packed (0 if not even one).
  [[nodiscard]] static std::uint32_t packable(std::uint32_t slot_size,
                                              std::uint32_t size) noexcept {
    return static_cast<std::uint32_t>(slot_size / (std::uint64_t{layout::kRecordPrefix} + size));
  }

 private:
  friend class Producer;
  // A message too long to pack into a slot still empty: it takes the slot alone, unprefixed, as
  // set_length() would have it, if it fits at all. The slot is then closed to appends.
  template <class Fill>
  std::uint32_t fill_alone(std::uint32_t i, std::uint32_t size, Fill& fill) const {
    if (size > slot_size_) return 0;
    assert(packing_->slot == UINT32_MAX || i > packing_->slot);  // a closed slot stays as it is
    *packing_ = {i, slot_size_, 0, packing_->packed_slots, packing_->packed_messages};
    set_length(i, size);
    fill(buffer(i).first(size), 0U);
    return 1;
  }
  // Slot i of the batch: the batch may wrap around the end of the ring once.
  [[nodiscard]] std::byte* slot(std::uint32_t i) const noexcept {
    assert(i < count_);  // past the batch is past the ring, or another process's slots
    std::uint64_t index = std::uint64_t{first_index_} + i;
    if (index >= capacity_) index -= capacity_;
    return slots_ + index * stride_;
  }

  Ring* ring_ = nullptr;
  detail::PackState* packing_ = nullptr;
  std::uint64_t first_ = 0;  // position of slot 0
  std::uint32_t count_ = 0;
  std::uint32_t first_index_ = 0;  // its index in the ring
  std::uint32_t capacity_ = 0;
  std::uint32_t slot_size_ = 0;
  std::byte* slots_ = nullptr;  // the ring's slot 0
  std::size_t stride_ = 0;
};

// The contract of every member below, unless it says otherwise:
//  - Who may call: the thread using the handle, one thread at a time. A handle is not
//    thread-safe: give each thread its own (on a multi-producer queue); builds with the one-thread
//    check (no NDEBUG, or SHMQ_CHECK_THREADS) abort when two threads are inside one at once.
//    Handing a handle to another thread between calls is fine. A child forked after the handle
//    attached may only close or destroy its copy, which leaves the queue alone.
//  - Throws: only the constructor (shmq::Error: a code, errno, a message). Every other call
//    reports through its Status and never throws, but for std::bad_alloc when a vector it fills
//    must grow.
//  - Besides the statuses listed, a call that touches the ring may return corrupt (the queue's
//    shared state holds nonsense: the handle stays corrupt), lost (another process truncated
//    the segment, or retired our entry as dead: only close() is left), and a wait for the
//    queue's mutex ends with timeout or cancelled like any other wait.
//  - Blocking calls sleep in the kernel, waking at most 10 times a second while idle; they end
//    at their deadline, or with cancelled once AttachOptions::stop is raised.
class Producer {
 public:
  // Creates the queue or opens it (see OpenMode) and attaches as a producer. Blocks up to
  // QueueConfig::ready_timeout for a creator to finish, and for the mutex. Throws shmq::Error.
  explicit Producer(const std::string& name, OpenMode mode = OpenMode::open_or_create,
                    const QueueConfig& config = {}, const AttachOptions& options = {});
  ~Producer();  // close()
  Producer(Producer&&) noexcept;
  Producer& operator=(Producer&&) noexcept;

  // Copies one message into the ring and publishes it. Blocks while the ring is full. A message
  // larger than a slot, up to Geometry::max_message_size(), goes in fragments over consecutive
  // slots, published at once, and consumers receive it whole. ok | too_big | cancelled.
  [[nodiscard]] Status put(std::span<const std::byte> message);
  // Never blocks. ok | full | too_big.
  [[nodiscard]] Status try_put(std::span<const std::byte> message);
  // Blocks at most `timeout`. ok | timeout | too_big | cancelled.
  [[nodiscard]] Status put_for(std::span<const std::byte> message, Clock::duration timeout);
  // Blocks until `until`. ok | timeout | too_big | cancelled.
  [[nodiscard]] Status put_until(std::span<const std::byte> message, Clock::time_point until);

  // Zero-copy batch: blocks until at least one slot is free (or `until`), then claims up to `max`.
  // ok | timeout | cancelled. Every claimed slot must then be filled and published.
  [[nodiscard]] Status claim(WriteBatch& batch, std::uint32_t max, Clock::time_point until);
  // Makes every message of the batch visible to consumers, in order. Never waits (on a
  // multi-producer queue, a batch behind another producer's unfinished one becomes visible
  // when that one is published, or its producer is found dead).
  void publish(WriteBatch& batch);

  // Blocks until every message this producer put has been finished by a consumer
  // (queue.Queue.join() across processes). ok | timeout | cancelled.
  [[nodiscard]] Status join(Clock::time_point until = Clock::time_point::max());

  // Detaches, publishing a batch still claimed; when the last producer detaches and the ring
  // drains, consumers see end of stream. Idempotent; waits only for the mutex, like publish().
  // Any call after close() is a programming error.
  void close() noexcept;

  // Ends the stream, then close()s: what a producer attached with AttachOptions::ends_explicitly
  // calls when its source has ended (a bridge that met the end-of-stream marker). Without it,
  // such a producer's leaving is no end of stream for the consumers. On any producer, the same
  // as close().
  void end_stream() noexcept;

  // Replaces what `shmq stat` shows beside this process (AttachOptions::note). Never blocks.
  void set_note(std::string_view note) noexcept;

  // Snapshots and facts about the attachment: never block, never throw.
  [[nodiscard]] const Geometry& geometry() const noexcept;
  [[nodiscard]] bool created_queue() const noexcept;  // whether this handle created the segment
  // Dead processes whose leftovers were repaired when this handle attached (a stale queue), and
  // whether an abandoned half-created segment was replaced.
  [[nodiscard]] std::uint32_t reaped_at_attach() const noexcept;
  [[nodiscard]] bool replaced_abandoned() const noexcept;
  [[nodiscard]] std::uint64_t messages() const noexcept;  // published by this handle
  [[nodiscard]] std::uint32_t depth() const noexcept;     // messages in the ring (a snapshot)
  // Consumers attached now (a snapshot; a dead one counts until a waiting process reaps it).
  [[nodiscard]] std::uint32_t consumers_attached() const noexcept;

 private:
  Status put_in_fragments(std::span<const std::byte> message, Clock::time_point until);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shmq
