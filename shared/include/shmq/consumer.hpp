// The consumer handle: one attachment of this process, as a consumer, to a queue.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "shmq/attach_options.hpp"
#include "shmq/errors.hpp"
#include "shmq/geometry.hpp"

namespace shmq {

// Where a message sits in its queue: its slot's position (counted from the queue's creation,
// never reused) and its place among the messages packed in that slot. With the queue's
// incarnation (Consumer::queue_incarnation()) it names the message for good: a message handed
// out again (its consumer died, or its lease ran out) keeps its id.
struct MessageId {
  std::uint64_t position = 0;
  std::uint32_t record = 0;

  friend bool operator==(const MessageId&, const MessageId&) = default;
};

// Messages taken for reading in place. The views stay valid until the batch is released; the
// slots return to producers only then. A message larger than a slot (in fragments over several
// slots) is the one exception to "in place": take() copies it whole into the batch's own
// storage, and its view points there.
class ReadBatch {
 public:
  [[nodiscard]] std::size_t size() const noexcept { return messages_.size(); }
  [[nodiscard]] bool empty() const noexcept { return messages_.empty(); }
  [[nodiscard]] std::span<const std::byte> operator[](std::size_t i) const noexcept {
    return messages_[i];
  }
  // The messages in order, for range-for.
  [[nodiscard]] auto begin() const noexcept { return messages_.cbegin(); }
  [[nodiscard]] auto end() const noexcept { return messages_.cend(); }
  // Slots in the batch that held no message: left by a producer that died (skipped) or holding
  // something impossible (corrupt). They are released with the batch.
  [[nodiscard]] std::uint32_t skipped() const noexcept { return skipped_; }
  [[nodiscard]] std::uint32_t corrupt() const noexcept { return corrupt_; }
  // Whether take() records each message's id (off by default: it costs a store per message).
  void keep_ids(bool keep) noexcept { keep_ids_ = keep; }
  // The id of message i (i < size()); only in a batch that keeps ids.
  [[nodiscard]] MessageId id(std::size_t i) const noexcept { return ids_[i]; }

 private:
  friend class Consumer;
  // Empties the batch but keeps its storage, so a consumer that reuses one never allocates.
  void reset() noexcept {
    messages_.clear();
    ids_.clear();
    assembled_used_ = 0;
    first_ = 0;
    count_ = skipped_ = corrupt_ = 0;
  }
  // Moves message i into `out` and returns true if the batch owns its bytes (a message in
  // fragments, assembled here), leaving `out`'s old storage in its place; false otherwise.
  bool move_assembled(std::size_t i, std::vector<std::byte>& out) noexcept {
    for (std::size_t k = 0; k < assembled_used_; ++k) {
      if (assembled_[k].data() != messages_[i].data()) continue;
      out.swap(assembled_[k]);
      return true;
    }
    return false;
  }
  // An emptied buffer to assemble the next message in fragments into, kept across resets.
  std::vector<std::byte>& next_assembly() {
    if (assembled_used_ == assembled_.size()) assembled_.emplace_back();
    auto& buffer = assembled_[assembled_used_++];
    buffer.clear();
    return buffer;
  }

  std::vector<std::span<const std::byte>> messages_;
  // Messages in fragments, assembled; the first assembled_used_ are this batch's. (A vector
  // that grows moves its buffers, not their bytes: the views stay valid.)
  std::vector<std::vector<std::byte>> assembled_;
  std::size_t assembled_used_ = 0;
  std::vector<MessageId> ids_;  // one per message, if keep_ids_
  bool keep_ids_ = false;
  std::uint64_t first_ = 0;
  std::uint32_t count_ = 0;  // slots taken, including skipped and corrupt ones
  std::uint32_t skipped_ = 0;
  std::uint32_t corrupt_ = 0;
};

// The contract of every member below, unless it says otherwise:
//  - Who may call: the thread using the handle, one thread at a time. A handle is not
//    thread-safe: give each thread its own (on a multi-consumer queue); builds with the one-thread
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
class Consumer {
 public:
  // Creates the queue or opens it (see OpenMode) and attaches as a consumer. Blocks up to
  // QueueConfig::ready_timeout for a creator to finish, and for the mutex. Throws shmq::Error.
  explicit Consumer(const std::string& name, OpenMode mode = OpenMode::open_or_create,
                    const QueueConfig& config = {}, const AttachOptions& options = {});
  ~Consumer();  // close()
  Consumer(Consumer&&) noexcept;
  Consumer& operator=(Consumer&&) noexcept;

  // Blocks until a message arrives or the stream ends; copies it into `out` and releases its slot
  // (a slot of packed messages once the last of them has been copied out). ok | end_of_stream |
  // cancelled | corrupt.
  [[nodiscard]] Status get(std::vector<std::byte>& out);
  // Never blocks. ok | empty | end_of_stream | corrupt.
  [[nodiscard]] Status try_get(std::vector<std::byte>& out);
  // Blocks at most `timeout`. ok | timeout | end_of_stream | cancelled | corrupt.
  [[nodiscard]] Status get_for(std::vector<std::byte>& out, Clock::duration timeout);

  // Zero-copy batch: blocks until at least one slot is filled (or `until`), then takes up to
  // `max` slots, in order, and exposes their messages (several per slot where a producer packed
  // them). On a multi-consumer queue the batch is ours for AttachOptions::lease: held longer,
  // another process may hand it to other consumers, and its views may then show later messages
  // (get() copies and checks, so it never returns such a copy). Releases the batch held before, if
  // any: a consumer holds one at a time. If get() has handed out only part of a packed slot, the
  // batch is the rest of it instead. ok | timeout | end_of_stream | cancelled | corrupt (the batch
  // then still holds the good messages and must be released).
  [[nodiscard]] Status take(ReadBatch& batch, std::uint32_t max, Clock::time_point until);
  // Single-consumer queue: takes the batch after those held, as take() would, but keeps holding
  // them: a consumer can work on several at once (shmq-bridge out publishes one while it awaits
  // the acknowledgements of those before). release() then hands them back oldest first: only
  // the oldest batch held releases anything. A dead consumer's batches are all delivered again.
  // On a multi-consumer queue, or holding nothing, the same as take().
  [[nodiscard]] Status take_ahead(ReadBatch& batch, std::uint32_t max, Clock::time_point until);
  // Hands the batch's slots back to producers; its views become invalid. Never waits for
  // producers; on a multi-consumer queue waits for the mutex (held for a few instructions; a
  // holder stopped inside it keeps us until our stop flag, and the slots then stay held for the
  // next take() to release).
  void release(ReadBatch& batch);
  // Never blocks. Whether `batch`, the batch taken last, is still ours: false once our lease
  // ran out and another process handed its messages on (multi-consumer), when its views may
  // show later messages (true for an empty batch). Check after reading what the views show and
  // before acting on it.
  [[nodiscard]] bool still_holds(const ReadBatch& batch) const noexcept;

  // Detaches: what this handle still holds goes to other consumers. Idempotent; waits only for
  // the mutex, like release(). Any call after close() is a programming error.
  void close() noexcept;

  // Replaces what `shmq stat` shows beside this process (AttachOptions::note). Never blocks.
  void set_note(std::string_view note) noexcept;

  // Snapshots and facts about the attachment: never block, never throw.
  [[nodiscard]] const Geometry& geometry() const noexcept;
  // The queue's random id, drawn when it was created: a queue removed and created again under
  // the same name has another one.
  [[nodiscard]] std::uint64_t queue_incarnation() const noexcept;
  [[nodiscard]] bool created_queue() const noexcept;  // whether this handle created the segment
  // Dead processes whose leftovers were repaired when this handle attached (a stale queue), and
  // whether an abandoned half-created segment was replaced.
  [[nodiscard]] std::uint32_t reaped_at_attach() const noexcept;
  [[nodiscard]] bool replaced_abandoned() const noexcept;
  [[nodiscard]] std::uint64_t messages() const noexcept;  // released by this handle
  // Messages this handle took whose lease ran out before it released them (it was stopped or
  // too slow): they were handed to other consumers, so they count as redelivered.
  [[nodiscard]] std::uint64_t lost_to_lease() const noexcept;
  [[nodiscard]] std::uint32_t depth() const noexcept;     // messages waiting (a snapshot)

 private:
  Status get_until(std::vector<std::byte>& out, Clock::time_point until);
  void hand_over_rest_of_one_by_one(ReadBatch& batch);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shmq
