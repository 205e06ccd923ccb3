#include "shmq/consumer.hpp"

#include <algorithm>

#include "acquire_in_slices.hpp"
#include "shmq/process_table.hpp"
#include "shmq/ring.hpp"

namespace shmq {

struct Consumer::Impl {
  Impl(const std::string& name, OpenMode mode, const QueueConfig& config,
       const AttachOptions& attach_options)
      : segment(Segment::open(name, mode, config)),
        ring(segment),
        multi(segment.geometry().multi_consumer),
        attachment(segment.header(), layout::Role::consumer, !multi, name),
        options(attach_options) {
    // acquire: continue after whatever an earlier consumer took.
    next = segment.header().consumer.taken.load(std::memory_order_acquire);
    // acquire: pairs with the attach/detach read-modify-writes of producers.
    const auto producers = MembershipCount::decode(
        segment.header().membership.producers.load(std::memory_order_acquire));
    producers_at_attach = producers;
    // Messages already waiting with no producer attached come from a stream that has ended:
    // draining them counts as having seen its producer.
    leftover_stream = producers.attached == 0 && ring.items().value() != 0;
  }

  // End of stream: every producer seen during our lifetime has detached (at least
  // expect_producers of them) and none is attached now.
  bool end_of_stream() const {
    // seq_cst: pairs with the producer's seq_cst detach; after it, its posts are visible.
    const auto now = MembershipCount::decode(
        ring.header().membership.producers.load(std::memory_order_seq_cst));
    if (now.attached != 0) return false;
    const std::uint64_t seen = std::uint64_t{producers_at_attach.attached} +
                               (now.ever - producers_at_attach.ever) + (leftover_stream ? 1 : 0);
    return seen >= options.expect_producers;
  }

  std::uint64_t take_positions(std::uint32_t count) {
    auto& side = ring.header().consumer;
    if (!multi) {
      const std::uint64_t first = next;
      next += count;
      // relaxed: we are the only writer; others read it only for monitoring and recovery.
      side.taken.store(next, std::memory_order_relaxed);
      return first;
    }
    MutexGuard guard(ring.mutex(), [this] { ring.repair_after_holder_died(); });
    // relaxed: the mutex orders taken between consumers.
    const std::uint64_t first = side.taken.load(std::memory_order_relaxed);
    side.taken.store(first + count, std::memory_order_relaxed);
    return first;
  }

  // Reads each slot's stamp and length once and checks them before exposing the payload.
  void fill(ReadBatch& batch) const {
    const std::uint32_t slot_size = ring.geometry().slot_size;
    batch.messages_.clear();
    for (std::uint32_t i = 0; i < batch.count_; ++i) {
      const std::uint64_t position = batch.first_ + i;
      auto& slot = ring.slot_header(position);
      // acquire: pairs with the producer's release of the stamp; the payload is complete.
      const std::uint64_t stamp = slot.stamp.load(std::memory_order_acquire);
      if (stamp == layout::stamp(position, layout::kSlotSkipped)) {
        ++batch.skipped_;
        continue;
      }
      const std::uint32_t length = slot.length;
      if (stamp != layout::stamp(position, layout::kSlotPublished) || length > slot_size) {
        ++batch.corrupt_;
        continue;
      }
      batch.messages_.emplace_back(ring.payload(position), length);
    }
  }

  Segment segment;
  Ring ring;
  bool multi;
  Attachment attachment;
  AttachOptions options;
  MembershipCount producers_at_attach{};
  bool leftover_stream = false;
  std::uint64_t next = 0;      // single-consumer: our cursor (we own `taken`)
  std::uint64_t finished = 0;  // messages released by this handle
  ReadBatch* held = nullptr;   // taken and not yet released
  ReadBatch single;            // get()'s one-message batch
  bool closed = false;
};

Consumer::Consumer(const std::string& name, OpenMode mode, const QueueConfig& config,
                   const AttachOptions& options)
    : impl_(std::make_unique<Impl>(name, mode, config, options)) {}

Consumer::~Consumer() { close(); }
Consumer::Consumer(Consumer&&) noexcept = default;
Consumer& Consumer::operator=(Consumer&&) noexcept = default;

Status Consumer::take(ReadBatch& batch, std::uint32_t max, Clock::time_point until) {
  Impl& self = *impl_;
  if (self.held != nullptr) release(*self.held);
  batch = ReadBatch{};
  max = std::min(max, self.ring.geometry().capacity);
  if (max == 0) return Status::ok;
  std::uint32_t got = 0;
  const Status status = detail::acquire_in_slices(self.ring.items(), max, until, self.options, got,
                                                  [&self] { return self.end_of_stream(); });
  if (status != Status::ok) return status;
  batch.first_ = self.take_positions(got);
  batch.count_ = got;
  batch.messages_.reserve(got);
  self.fill(batch);
  self.held = &batch;
  return batch.corrupt_ != 0 ? Status::corrupt : Status::ok;
}

void Consumer::release(ReadBatch& batch) {
  Impl& self = *impl_;
  if (batch.count_ == 0) return;
  auto& side = self.ring.header().consumer;
  std::uint32_t freed = batch.count_;
  if (!self.multi) {
    // release: our reads of these slots happen before a producer reuses them.
    side.released.store(batch.first_ + batch.count_, std::memory_order_release);
  } else {
    for (std::uint32_t i = 0; i < batch.count_; ++i) {
      const std::uint64_t position = batch.first_ + i;
      // release: our reads of the slot happen before whoever advances `released` over it.
      self.ring.slot_header(position).stamp.store(layout::stamp(position, layout::kSlotDone),
                                                  std::memory_order_release);
    }
    MutexGuard guard(self.ring.mutex(), [&] { self.ring.repair_after_holder_died(); });
    freed = self.ring.advance_released_locked();
  }
  // post: hands the slots back to producers (release inside post()).
  if (freed != 0) self.ring.room().post(freed);
  const auto delivered = static_cast<std::uint64_t>(batch.messages_.size());
  // relaxed: monitoring counters.
  side.messages_out.fetch_add(delivered, std::memory_order_relaxed);
  self.attachment.entry().messages.fetch_add(delivered, std::memory_order_relaxed);
  if (batch.skipped_ != 0) {
    // relaxed: a monitoring counter.
    self.ring.header().membership.skipped.fetch_add(batch.skipped_, std::memory_order_relaxed);
  }
  self.finished += delivered;
  if (self.held == &batch) self.held = nullptr;
  batch = ReadBatch{};
}

Status Consumer::get_until(std::vector<std::byte>& out, Clock::time_point until) {
  Impl& self = *impl_;
  for (;;) {
    const Status status = take(self.single, 1, until);
    if (status != Status::ok && status != Status::corrupt) return status;
    const bool got_message = !self.single.empty();
    if (got_message) out.assign(self.single[0].begin(), self.single[0].end());
    release(self.single);
    if (status == Status::corrupt) return status;
    if (got_message) return Status::ok;
    // The slot was skipped (its producer died): look for the next message.
  }
}

Status Consumer::get(std::vector<std::byte>& out) {
  return get_until(out, Clock::time_point::max());
}

Status Consumer::try_get(std::vector<std::byte>& out) {
  const Status status = get_until(out, Clock::time_point::min());
  return status == Status::timeout ? Status::empty : status;
}

Status Consumer::get_for(std::vector<std::byte>& out, Clock::duration timeout) {
  return get_until(out, deadline_after(timeout));
}

void Consumer::close() noexcept {
  if (!impl_ || impl_->closed) return;
  impl_->closed = true;
  impl_->attachment.detach();
}

const Geometry& Consumer::geometry() const noexcept { return impl_->ring.geometry(); }
bool Consumer::created_queue() const noexcept { return impl_->segment.created(); }
std::uint64_t Consumer::messages() const noexcept { return impl_->finished; }

std::uint32_t Consumer::depth() const noexcept { return impl_->ring.items().value(); }

}  // namespace shmq
