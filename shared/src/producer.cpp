#include "shmq/producer.hpp"

#include <algorithm>
#include <cstring>
#include <thread>

#include "acquire_in_slices.hpp"
#include "shmq/process_table.hpp"
#include "shmq/ring.hpp"

namespace shmq {

std::span<std::byte> WriteBatch::buffer(std::uint32_t i) const noexcept {
  return {ring_->payload(first_ + i), ring_->geometry().slot_size};
}

void WriteBatch::set_length(std::uint32_t i, std::uint32_t length) const noexcept {
  ring_->slot_header(first_ + i).length = std::min(length, ring_->geometry().slot_size);
}

struct Producer::Impl {
  Impl(const std::string& name, OpenMode mode, const QueueConfig& config,
       const AttachOptions& attach_options)
      : segment(Segment::open(name, mode, config)),
        ring(segment),
        multi(segment.geometry().multi_producer),
        attachment(segment.header(), layout::Role::producer, !multi, name),
        options(attach_options) {
    // acquire: continue after whatever an earlier producer published.
    next = segment.header().producer.claimed.load(std::memory_order_acquire);
  }

  std::uint64_t claim_positions(std::uint32_t count) {
    auto& side = ring.header().producer;
    if (!multi) {
      const std::uint64_t first = next;
      next += count;
      // relaxed: we are the only writer; others read it only for monitoring and recovery.
      side.claimed.store(next, std::memory_order_relaxed);
      return first;
    }
    MutexGuard guard(ring.mutex(), [this] { ring.repair_after_holder_died(); });
    // relaxed: the mutex orders claimed between producers.
    const std::uint64_t first = side.claimed.load(std::memory_order_relaxed);
    side.claimed.store(first + count, std::memory_order_relaxed);
    return first;
  }

  Segment segment;
  Ring ring;
  bool multi;
  Attachment attachment;
  AttachOptions options;
  std::uint64_t next = 0;         // single-producer: our cursor (we own `claimed`)
  std::uint64_t put_end = 0;      // one past the last position we published (for join)
  std::uint64_t published = 0;    // messages published by this handle
  WriteBatch outstanding;         // claimed and not yet published
  WriteBatch single;              // put()'s one-slot batch
  bool closed = false;
};

Producer::Producer(const std::string& name, OpenMode mode, const QueueConfig& config,
                   const AttachOptions& options)
    : impl_(std::make_unique<Impl>(name, mode, config, options)) {}

Producer::~Producer() { close(); }
Producer::Producer(Producer&&) noexcept = default;
Producer& Producer::operator=(Producer&&) noexcept = default;

Status Producer::claim(WriteBatch& batch, std::uint32_t max, Clock::time_point until) {
  Impl& self = *impl_;
  if (self.outstanding.count_ != 0) publish(self.outstanding);
  batch = WriteBatch{};
  max = std::min(max, self.ring.geometry().capacity);
  if (max == 0) return Status::ok;
  std::uint32_t got = 0;
  const Status status = detail::acquire_in_slices(self.ring.room(), max, until, self.options, got,
                                                  [] { return false; });
  if (status != Status::ok) return status;
  batch.ring_ = &self.ring;
  batch.first_ = self.claim_positions(got);
  batch.count_ = got;
  for (std::uint32_t i = 0; i < got; ++i) {
    auto& slot = self.ring.slot_header(batch.first_ + i);
    slot.length = 0;  // an unfilled slot publishes as an empty message, never as stale bytes
    slot.origin = self.attachment.index();
  }
  self.ring.note_depth(self.ring.geometry().capacity - self.ring.room().value());
  self.outstanding = batch;
  return Status::ok;
}

void Producer::publish(WriteBatch& batch) {
  Impl& self = *impl_;
  if (batch.count_ == 0) return;
  for (std::uint32_t i = 0; i < batch.count_; ++i) {
    const std::uint64_t position = batch.first_ + i;
    // release: the payload and length written above are visible to whoever sees this stamp.
    self.ring.slot_header(position).stamp.store(layout::stamp(position, layout::kSlotPublished),
                                                std::memory_order_release);
  }
  auto& side = self.ring.header().producer;
  std::uint32_t visible = batch.count_;
  if (!self.multi) {
    // release: monitoring and recovery read `published` and then the slots below it.
    side.published.store(batch.first_ + batch.count_, std::memory_order_release);
  } else {
    MutexGuard guard(self.ring.mutex(), [&] { self.ring.repair_after_holder_died(); });
    visible = self.ring.advance_published_locked();
  }
  // post: hands the now-visible slots to consumers (release inside post()).
  if (visible != 0) self.ring.items().post(visible);
  // relaxed: monitoring counters.
  side.messages_in.fetch_add(batch.count_, std::memory_order_relaxed);
  self.attachment.entry().messages.fetch_add(batch.count_, std::memory_order_relaxed);
  self.published += batch.count_;
  self.put_end = batch.first_ + batch.count_;
  if (&batch != &self.outstanding) self.outstanding = WriteBatch{};
  batch = WriteBatch{};
}

Status Producer::put_until(std::span<const std::byte> message, Clock::time_point until) {
  Impl& self = *impl_;
  if (message.size() > self.ring.geometry().slot_size) return Status::too_big;
  const Status status = claim(self.single, 1, until);
  if (status != Status::ok) return status;
  if (!message.empty()) std::memcpy(self.single.buffer(0).data(), message.data(), message.size());
  self.single.set_length(0, static_cast<std::uint32_t>(message.size()));
  publish(self.single);
  self.outstanding = WriteBatch{};
  return Status::ok;
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
  if (self.outstanding.count_ != 0) publish(self.outstanding);
  auto pause = std::chrono::microseconds(50);
  // acquire: once `released` passes our last position, consumers have finished our messages.
  while (self.ring.header().consumer.released.load(std::memory_order_acquire) < self.put_end) {
    // relaxed: the flag carries no data.
    if (self.options.stop != nullptr && self.options.stop->load(std::memory_order_relaxed)) {
      return Status::cancelled;
    }
    if (Clock::now() >= until) return Status::timeout;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(2000));
  }
  return Status::ok;
}

void Producer::close() noexcept {
  if (!impl_ || impl_->closed) return;
  Impl& self = *impl_;
  if (self.outstanding.count_ != 0) publish(self.outstanding);
  self.closed = true;
  self.attachment.detach();
  // Consumers asleep on `items` re-check for end of stream.
  self.ring.items().wake_all();
}

const Geometry& Producer::geometry() const noexcept { return impl_->ring.geometry(); }
bool Producer::created_queue() const noexcept { return impl_->segment.created(); }
std::uint64_t Producer::messages() const noexcept { return impl_->published; }

std::uint32_t Producer::depth() const noexcept {
  return impl_->ring.geometry().capacity - impl_->ring.room().value();
}

}  // namespace shmq
