#include "shmq/producer.hpp"

#include <algorithm>
#include <cstring>

#include "handle_core.hpp"
#include "producer_sides.hpp"
#include "shmq/detail/failpoint.hpp"
#include "wait_for_units.hpp"

namespace shmq {

struct Producer::Impl : detail::HandleCore {
  Impl(const std::string& name, OpenMode mode, const QueueConfig& config,
       const AttachOptions& attach_options)
      : HandleCore(name, mode, config, attach_options, layout::Role::producer),
        sole(ring),
        journalled(ring, attachment) {}

  // Claims up to `max` free slots without waiting for room (a multi producer waits for the
  // mutex until `until`); returns the positions (count 0 if fewer than `need` are free).
  PositionRange try_claim(std::uint32_t max, Clock::time_point until, std::uint32_t need) {
    return multi ? journalled.claim(max, until, need)
                 : sole.claim(max, [this] { return lost(); }, need);
  }

  // Waits for room until `until`, then claims up to `max` slots and at least `need`.
  Status claim_range(PositionRange& range, std::uint32_t max, std::uint32_t need,
                     Clock::time_point until) {
    return guarded([&] {
      return detail::wait_for_units(
          ring, ring.room(), until, options,
          [&] { return (range = try_claim(max, until, need)).count != 0; },
          [] { return false; },
          multi ? need : 1);  // a single producer's reserve keeps what it took so far
    });
  }

  // Makes the stamped slots [first, first + count), which hold `messages` messages, visible to
  // consumers, and counts them.
  void publish_stamped(std::uint64_t first, std::uint32_t count, std::uint64_t messages) {
    failpoint::reach(failpoint::kProducerAfterStamps);
    if (!multi) {
      sole.publish(first, count);
    } else {
      journalled.publish();
    }
    count_messages(ring.header().producer.messages_in, messages, multi);
    count_messages(attachment.entry().messages, messages, false);
    messages_published += messages;
    put_end = first + count;
  }

  detail::SoleProducing sole;              // single-producer queue
  detail::JournalledProducing journalled;  // multi-producer queue
  std::uint64_t put_end = 0;      // one past the last position we published (for join)
  std::uint64_t messages_published = 0;  // by this handle (Ring::published() is a position)
  WriteBatch outstanding;         // claimed and not yet published
  detail::PackState packing;      // how far its slots are packed
  WriteBatch one_by_one;          // put()'s one-slot batch
};

Producer::Producer(const std::string& name, OpenMode mode, const QueueConfig& config,
                   const AttachOptions& options)
    : impl_(std::make_unique<Impl>(name, mode, config, options)) {}

Producer::~Producer() { close(); }
Producer::Producer(Producer&&) noexcept = default;
Producer& Producer::operator=(Producer&&) noexcept = default;

Status Producer::claim(WriteBatch& batch, std::uint32_t max, Clock::time_point until) {
  Impl& self = *impl_;
  [[maybe_unused]] const auto one_thread = self.one_thread();
  if (self.outstanding.count_ != 0) publish(self.outstanding);
  batch = WriteBatch{};
  if (self.fault != Status::ok) return self.fault;
  if (self.lost()) return Status::lost;
  max = std::min(max, self.ring.geometry().capacity);
  if (max == 0) return Status::ok;
  PositionRange range;
  const Status status = self.claim_range(range, max, 1, until);
  if (status != Status::ok) return status;
  failpoint::reach(failpoint::kProducerAfterClaim);
  batch.ring_ = &self.ring;
  self.packing = {};
  batch.packing_ = &self.packing;
  batch.first_ = range.first;
  batch.count_ = range.count;
  batch.first_index_ = static_cast<std::uint32_t>(self.ring.slots().index_of(range.first));
  batch.capacity_ = self.ring.geometry().capacity;
  batch.slot_size_ = self.ring.geometry().slot_size;
  batch.slots_ = self.segment.slot(0);
  batch.stride_ = self.segment.slot_stride();
  const std::uint32_t ahead = self.ring.slots().prefetch_ahead();
  self.ring.slots().prefetch_start(range.first, range.count, true);
  for (std::uint32_t i = 0; i < range.count; ++i) {
    if (i + ahead < range.count) self.ring.slots().prefetch(range.first + i + ahead, true);
    // An unfilled slot publishes as an empty message, never as stale bytes. (The write also
    // brings the slot's line to us ahead of the caller's copy.)
    batch.set_length(i, 0);
  }
  // The units or the slots may have been zeros: hand out nothing. (Messages published before
  // the loss were in the file the readers had.)
  if (self.ring.lost()) {
    batch = WriteBatch{};
    return Status::lost;
  }
  self.outstanding = batch;
  return Status::ok;
}

void Producer::publish(WriteBatch& batch) {
  Impl& self = *impl_;
  [[maybe_unused]] const auto one_thread = self.one_thread();
  // Only the batch claimed last: a copy, or one published already (by a later claim, put, join
  // or close), publishes nothing.
  const WriteBatch& mine = self.outstanding;
  if (batch.count_ == 0 || batch.ring_ != mine.ring_ || batch.first_ != mine.first_ ||
      batch.count_ != mine.count_) {
    batch = WriteBatch{};
    return;
  }
  failpoint::reach(failpoint::kProducerBeforePublish);
  if (self.attachment.revoked()) {
    // Our slots may be someone else's now: publish nothing, and stop (claim and put say lost).
    self.outstanding = WriteBatch{};
    batch = WriteBatch{};
    return;
  }
  for (std::uint32_t i = 0; i < batch.count_; ++i) {
    self.ring.slots().set_stamp(batch.first_ + i, layout::kSlotPublished);
  }
  // A packed slot holds several messages; every other slot holds one.
  self.publish_stamped(batch.first_, batch.count_,
                       batch.count_ - self.packing.packed_slots + self.packing.packed_messages);
  self.outstanding = WriteBatch{};
  batch = WriteBatch{};
}

Status Producer::put_until(std::span<const std::byte> message, Clock::time_point until) {
  Impl& self = *impl_;
  [[maybe_unused]] const auto one_thread = self.one_thread();
  if (message.size() > self.ring.geometry().slot_size) return put_in_fragments(message, until);
  const Status status = claim(self.one_by_one, 1, until);
  if (status != Status::ok) return status;
  if (!message.empty()) {
    std::memcpy(self.one_by_one.buffer(0).data(), message.data(), message.size());
  }
  self.one_by_one.set_length(0, static_cast<std::uint32_t>(message.size()));
  publish(self.one_by_one);
  if (self.fault != Status::ok) return self.fault;
  return self.lost() ? Status::lost : Status::ok;
}

// A message larger than a slot: its fragments' slots are claimed at once, filled, and stamped
// last to first (see layout.hpp), so that consumers see it whole or not at all.
Status Producer::put_in_fragments(std::span<const std::byte> message, Clock::time_point until) {
  Impl& self = *impl_;
  const Geometry& geometry = self.ring.geometry();
  if (message.size() > geometry.max_message_size()) return Status::too_big;
  if (self.outstanding.count_ != 0) publish(self.outstanding);  // it comes first
  if (self.fault != Status::ok) return self.fault;
  if (self.lost()) return Status::lost;
  const std::uint32_t slot_size = geometry.slot_size;
  const auto count = static_cast<std::uint32_t>((message.size() + slot_size - 1) / slot_size);
  PositionRange range;
  const Status status = self.claim_range(range, count, count, until);
  if (status != Status::ok) return status;
  failpoint::reach(failpoint::kProducerAfterClaim);
  const SlotArray& slots = self.ring.slots();
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::size_t offset = std::size_t{i} * slot_size;
    const auto length = static_cast<std::uint32_t>(std::min<std::size_t>(
        slot_size, message.size() - offset));
    layout::SlotHeader& header = slots.header(range.first + i);
    header.length = length;
    header.records = layout::fragment_records(i == 0, count - 1 - i);
    std::memcpy(slots.payload(range.first + i), message.data() + offset, length);
  }
  failpoint::reach(failpoint::kProducerBeforePublish);
  // Zeros where the slots were (the segment lost), or our entry retired: publish nothing.
  if (self.lost()) return Status::lost;
  for (std::uint32_t i = count; i-- > 1;) slots.set_stamp(range.first + i, layout::kSlotPublished);
  failpoint::reach(failpoint::kProducerBeforeFirstFragment);
  slots.set_stamp(range.first, layout::kSlotPublished);  // the whole message becomes visible
  self.publish_stamped(range.first, count, 1);
  return self.fault != Status::ok ? self.fault : Status::ok;
}

Status Producer::put(std::span<const std::byte> message) {
  return put_until(message, Clock::time_point::max());
}

Status Producer::try_put(std::span<const std::byte> message) {
  const Status status = put_until(message, Clock::time_point::min());
  return status == Status::timeout ? Status::full : status;
}

Status Producer::put_for(std::span<const std::byte> message, Clock::duration timeout) {
  return put_until(message, deadline_after(timeout));
}

Status Producer::join(Clock::time_point until) {
  Impl& self = *impl_;
  [[maybe_unused]] const auto one_thread = self.one_thread();
  if (self.outstanding.count_ != 0) publish(self.outstanding);
  CursorSemaphore& room = self.ring.room();
  for (;;) {
    // Read before released(): a release after this read moves the limit, so the sleep below
    // returns at once instead of missing it.
    const std::uint32_t limit = room.givers_limit();
    // Once `released` passes our last position, consumers have finished all our messages.
    if (self.ring.released() >= self.put_end) return Status::ok;
    // relaxed: the flag carries no data.
    if (self.options.stop != nullptr && self.options.stop->load(std::memory_order_relaxed)) {
      return Status::cancelled;
    }
    if (self.ring.lost()) return Status::lost;
    if (Clock::now() >= until) return Status::timeout;
    // A release gives room: the givers' limit moves, and sleepers on it are woken.
    room.wait_for_give(limit, std::min(until, Clock::now() + kWaitSlice));
  }
}

void Producer::close() noexcept {
  if (!impl_ || impl_->closed) return;
  [[maybe_unused]] const auto one_thread = impl_->one_thread();
  Impl& self = *impl_;
  // A child forked after we attached holds a copy of this handle: the batch is the parent's.
  if (self.outstanding.count_ != 0 && self.attachment.in_attaching_process()) {
    publish(self.outstanding);
  }
  self.closed = true;
  self.attachment.detach();  // wakes consumers, who re-check for end of stream
}

void Producer::end_stream() noexcept {
  if (!impl_ || impl_->closed) return;
  if (impl_->options.ends_explicitly && !impl_->lost()) {
    // relaxed: close() detaches under the mutex, and consumers confirm an end under it.
    impl_->ring.header().membership.end_owed.store(0, std::memory_order_relaxed);
  }
  close();
}

void Producer::set_note(std::string_view note) noexcept { impl_->set_note(note); }

const Geometry& Producer::geometry() const noexcept { return impl_->ring.geometry(); }
bool Producer::created_queue() const noexcept { return impl_->segment.created(); }
std::uint32_t Producer::reaped_at_attach() const noexcept { return impl_->attachment.reaped(); }
bool Producer::replaced_abandoned() const noexcept { return impl_->segment.replaced_abandoned(); }
std::uint64_t Producer::messages() const noexcept { return impl_->messages_published; }

std::uint32_t Producer::consumers_attached() const noexcept {
  return impl_->ring.attached(layout::Role::consumer);
}

std::uint32_t Producer::depth() const noexcept {
  return impl_->ring.geometry().capacity - impl_->ring.room().value() - impl_->sole.reserve();
}

}  // namespace shmq
